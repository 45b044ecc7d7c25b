/**
 * CPU profiles of the worker threads of every Parley process of a setup (one node, or every
 * node of a cluster) during a round's phases, as RoomRoundHooks: profiled beside the window of
 * the first saturation phase and of the fixed phase, summarised over all the processes' threads
 * (profile.ts), logged when the phases are done, and kept for the result.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sleepUntil } from './phases.js'
import { type ProfileSummary, summariseProfiles } from './profile.js'
import type { RoomRoundHooks } from './roomPhases.js'
import type { ServerProcess } from './servers.js'

export type RoomProfiles = Partial<Record<'saturation' | 'fixed', ProfileSummary & { dir: string }>>

export function roomProfileHooks(servers: ServerProcess[], log: (m: string) => void): { hooks: RoomRoundHooks; profiles: RoomProfiles } {
  const profiles: RoomProfiles = {}
  const hooks: RoomRoundHooks = {
    during: (key) => async (from, to) => {
      const dir = mkdtempSync(join(tmpdir(), 'parley-bench-prof-'))
      await sleepUntil(from)
      await Promise.all(servers.map((s) => s.profileStart()))
      await sleepUntil(to)
      // Each node's threads write thread-<id>.cpuprofile; thread ids repeat across processes.
      const files = await Promise.all(servers.map((s, i) => s.profileStop(mkdtempSync(join(dir, `node${i + 1}-`)))))
      profiles[key] = { dir, ...summariseProfiles(files.flat()) }
    },
    after: (key) => {
      const prof = profiles[key]
      if (!prof) return
      log(`${key}: worker-thread CPU profile over ${servers.length} process(es) (${prof.samples} samples, files in ${prof.dir}); by area: ${JSON.stringify(prof.areas)}`)
      for (const t of prof.top.slice(0, 15)) log(`  ${String(t.pct).padStart(5)}%  ${t.fn}`)
    },
  }
  return { hooks, profiles }
}
