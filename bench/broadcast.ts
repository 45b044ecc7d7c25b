/**
 * Live broadcast into one large room: an AVChatRoom with `members` online members.
 *
 * Members are spread over `clientProcs` member processes (roomClient.ts: wsLite sockets for
 * Parley and raw uWS, socket.io-client for socket.io); one more process publishes
 * (roomPublisher.ts). Every member counts every message it receives; one in `sampleEvery`
 * also measures send → receive latency (the stamp is CLOCK_MONOTONIC, shared by all
 * processes). Against each system, in this order (saturation first: its closed loop leaves
 * no backlog, while a system that cannot sustain the fixed rate may queue for minutes):
 *   1. saturation: the publisher keeps `ahead` messages ahead of the slowest sampled member
 *      for `measureMs` (after `warmupMs`) → deliveries/s (one message to one member = one).
 *      One phase per value of `ahead`; the best counts (raw uWS slows down when a burst
 *      outgrows the sockets' kernel buffers, Parley's coalescing wants more in flight);
 *   2. fixed rate: `rate` messages/s into the room for `fixedMs` (open loop, each message
 *      stamped with its intended send time) → p50/p99 latency and messages dropped: accepted
 *      messages a member never received by the end of the drain, summed over members. The
 *      drain ends when all arrived, when nothing arrived for `quietMs`, or after `drainMs`.
 * Systems, in one run with the same clients:
 *   - raw uWS (the ceiling): one uWS thread; the publisher's frames are published unchanged to
 *     one topic with `app.publish`, one publish per message (roomUwsMain.ts);
 *   - socket.io (a peer): `io.to(room).emit` on a default socket.io server (roomSocketIoMain.ts);
 *   - Parley: embedded mode, `threads` worker threads, LMDB; the publisher is the room's owner
 *     sending `groupSend`. Run once per value in `coalesceMs` (PARLEY_ROOM_COALESCE_MS: a thread
 *     pushes a busy room's events at most once per window, several per frame), each on a
 *     restart over the same data. The per-group send limit (PARLEY_GROUP_MSG_RATE, default 40/s)
 *     is raised to `groupMsgRate` so that saturation measures fan-out, not the limit.
 *     Members join before the measured part: each logs in, joins and leaves (`--parleyJoin
 *     before`, the default), then all log in and are subscribed to the room at login. Joining
 *     while the others are online (`--parleyJoin online`) pushes a join tip to every online
 *     member per join, a quadratic storm at this size.
 *
 *   npm run build && node dist/bench/broadcast.js [--members 15000] [--coalesceMs 50,0,100] [--ahead 16,32,64] …
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitForQuiet } from './lib/clients.js'
import { sleepUntil } from './lib/phases.js'
import { summariseProfiles } from './lib/profile.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress } from './lib/report.js'
import { RoomClients } from './lib/roomClients.js'
import { PUBLISHER_ID } from './lib/roomFrames.js'
import { openMembers, type OpenSummary, prepareRoom, requireAllOpen, type RoomPhaseResult, runRoomRound } from './lib/roomPhases.js'
import type { RoomSystem, RoomTarget } from './lib/roomProtocol.js'
import { createRoom } from './lib/roomSetup.js'
import { benchApp, type BenchApp, type ServerProcess, startParley, startRoomBaseline } from './lib/servers.js'

const defaults = {
  members: 15_000,
  /**
   * Member processes (7,500 sockets each, under the 20,000 open files per process). Two, not
   * four: each process then finds more ready sockets per wake-up, and the load costs less of
   * the 2 cores it shares with the server (raw uWS measured 735k vs 448k deliveries/s).
   */
  clientProcs: 2,
  /** Member processes for socket.io-client (heavier per socket); 0: same as clientProcs. */
  socketioClientProcs: 0,
  sampleEvery: 50,
  threads: 2,
  rate: 40,
  fixedMs: 20_000,
  /** Saturation: messages kept ahead of the slowest sampled member, one phase per value; the best counts. */
  ahead: '16,32,64',
  warmupMs: 2000,
  measureMs: 10_000,
  drainMs: 30_000,
  quietMs: 5000,
  /** PARLEY_ROOM_COALESCE_MS values, one Parley round each; the targets are judged on 50 (the default). */
  coalesceMs: '50,0,100',
  /** PARLEY_GROUP_MSG_RATE for every Parley round (its default, 40/s, would cap saturation). */
  groupMsgRate: 1_000_000,
  /** `before`: members join, then log in again later (no join-tip storm); `online`: join while online. */
  parleyJoin: 'before',
  /** Systems measured, in this order: uws, socketio, parley. */
  systems: 'uws,socketio,parley',
  connectConcurrency: 100,
  profile: false,
  quietWaitS: 600,
  quietCores: 0.3,
  /** Runs of a phase during which other processes used more than quietCores, at most (the least disturbed counts). */
  attempts: 2,
}
type Params = typeof defaults

const TARGET_SHARE_OF_RAW = 0.8
const TARGET_P99_MS = 250
const DEFAULT_WINDOW_MS = 50
/** The baselines' GroupId in payloads: as long as an assigned one, so frames are Parley's size. */
const BASELINE_GROUP_ID = '@TGS#BENCHROOM1'
const log = (m: string) => progress('broadcast', m)

interface SystemRun {
  system: RoomSystem
  coalesceMs?: number
  login: OpenSummary
  join?: OpenSummary
  fixed: RoomPhaseResult
  /** The saturation phase with the most deliveries/s, and every saturation phase run. */
  saturation: RoomPhaseResult
  saturationRuns: RoomPhaseResult[]
  profile?: { fixed?: ProfileResult; saturation?: ProfileResult }
}
type ProfileResult = ReturnType<typeof summariseProfiles> & { dir: string }

async function run(p: Params): Promise<Record<string, unknown>> {
  if (p.parleyJoin !== 'before' && p.parleyJoin !== 'online') throw new Error('--parleyJoin: before or online')
  const systems = p.systems.split(',').map((s) => s.trim()) as RoomSystem[]
  const windows = p.coalesceMs.split(',').map(Number)
  const otherCoresBefore = await waitForQuiet(p.quietWaitS, p.quietCores, log)
  const app = benchApp()
  const runs: SystemRun[] = []
  for (const system of systems) {
    if (system === 'parley') runs.push(...await parleyRounds(p, app, windows))
    else if (system === 'uws' || system === 'socketio') runs.push(await baseline(p, app, system))
    else throw new Error(`unknown system ${String(system)}`)
  }
  return {
    bench: 'broadcast',
    date: new Date().toISOString(),
    machine: { ...machineInfo(), otherCoresBefore },
    code: codeVersion(),
    params: { ...p, mode: 'embedded', store: 'lmdb', roomType: 'AVChatRoom' },
    runs,
    targets: targets(runs),
  }
}

async function baseline(p: Params, app: BenchApp, system: 'uws' | 'socketio'): Promise<SystemRun> {
  const server = await startRoomBaseline(system === 'uws' ? 'uws-room' : 'socketio-room')
  log(`${system}: server on port ${server.port}`)
  const procs = system === 'socketio' && p.socketioClientProcs > 0 ? p.socketioClientProcs : p.clientProcs
  const clients = new RoomClients(procs)
  try {
    const target: RoomTarget = { system, host: '127.0.0.1', port: server.port, groupId: BASELINE_GROUP_ID, sdkAppId: app.sdkAppId, secretKey: app.secretKey }
    await prepareRoom(clients, target, p.members, p.sampleEvery)
    const login = await openMembers(clients, 'join', p.connectConcurrency, 60_000)
    requireAllOpen(system, login)
    log(`${system}: ${login.done} members joined over ${procs} processes in ${login.elapsedMs} ms`)
    return { system, login, ...await phases(p, clients, server, system) }
  } finally {
    await clients.stop()
    await server.stop()
  }
}

async function parleyRounds(p: Params, app: BenchApp, windows: number[]): Promise<SystemRun[]> {
  const out: SystemRun[] = []
  let data: { dir: string; remove(): void } | undefined
  let groupId = ''
  try {
    for (const [i, w] of windows.entries()) {
      const server = await startParley({
        app, threads: p.threads, dataDir: data?.dir,
        env: { PARLEY_ROOM_COALESCE_MS: String(w), PARLEY_GROUP_MSG_RATE: String(p.groupMsgRate) },
      })
      data ??= { dir: server.dataDir, remove: () => server.removeData() }
      const name = `parley (window ${w} ms)`
      log(`${name}: on port ${server.port} (${p.threads} threads, data in ${server.dataDir})`)
      const clients = new RoomClients(p.clientProcs)
      try {
        if (i === 0) groupId = await createRoom(server.port, app, PUBLISHER_ID)
        const target: RoomTarget = { system: 'parley', host: '127.0.0.1', port: server.port, groupId, sdkAppId: app.sdkAppId, secretKey: app.secretKey }
        await prepareRoom(clients, target, p.members, p.sampleEvery)
        const join = i === 0 && p.parleyJoin === 'before' ? await joinFirst(p, clients, name, groupId) : undefined
        const joinOnline = i === 0 && p.parleyJoin === 'online'
        const login = await openMembers(clients, joinOnline ? 'join' : 'login', p.connectConcurrency, 120_000)
        requireAllOpen(name, login)
        log(`${name}: ${login.done} members ${joinOnline ? 'logged in and joined' : 'logged in (subscribed at login)'} in ${login.elapsedMs} ms`)
        out.push({ system: 'parley', coalesceMs: w, login, join, ...await phases(p, clients, server, name) })
      } finally {
        await clients.stop()
        await server.stop()
      }
    }
  } finally {
    data?.remove()
  }
  return out
}

/** Every member logs in, joins the room and leaves again, before anyone stays online. */
async function joinFirst(p: Params, clients: RoomClients, name: string, groupId: string): Promise<OpenSummary> {
  const join = await openMembers(clients, 'joinAndLeave', p.connectConcurrency, 60_000)
  requireAllOpen(name, join)
  log(`${name}: ${join.done} members joined ${groupId} (log in, join, leave) in ${join.elapsedMs} ms (${join.perSec}/s)`)
  return join
}

async function phases(p: Params, clients: RoomClients, server: ServerProcess, name: string): Promise<Pick<SystemRun, 'fixed' | 'saturation' | 'saturationRuns' | 'profile'>> {
  const profile: NonNullable<SystemRun['profile']> = {}
  const profiler = (key: 'fixed' | 'saturation') => (p.profile && server.kind === 'parley'
    ? async (from: number, to: number) => {
        const dir = mkdtempSync(join(tmpdir(), 'parley-bench-prof-'))
        await sleepUntil(from)
        await server.profileStart()
        await sleepUntil(to)
        profile[key] = { dir, ...summariseProfiles(await server.profileStop(dir)) }
      }
    : undefined)
  const after = (key: 'fixed' | 'saturation') => { const prof = profile[key]; if (prof) logProfile(prof) }
  const round = await runRoomRound(clients, server.pid, p, name, log, { during: profiler, after })
  return { ...round, ...(p.profile && server.kind === 'parley' ? { profile } : {}) }
}

function logProfile(prof: ProfileResult): void {
  log(`server worker-thread CPU profile (${prof.samples} samples, files in ${prof.dir}); by area: ${JSON.stringify(prof.areas)}`)
  for (const t of prof.top.slice(0, 15)) log(`  ${String(t.pct).padStart(5)}%  ${t.fn}`)
}

function targets(runs: SystemRun[]): Record<string, unknown> {
  const raw = runs.find((r) => r.system === 'uws')
  const parley = runs.find((r) => r.system === 'parley' && r.coalesceMs === DEFAULT_WINDOW_MS) ?? runs.find((r) => r.system === 'parley')
  if (!parley) return {}
  const share = raw ? parley.saturation.deliveriesPerSec / raw.saturation.deliveriesPerSec : undefined
  const fixed = parley.fixed
  const fixedOk = (r: RoomPhaseResult) => r.dropped === 0 && r.accepted === r.sent && r.latencyMs.p99 < TARGET_P99_MS
  return {
    judgedOn: { system: 'parley', coalesceMs: parley.coalesceMs },
    deliveriesVsRaw: {
      target: TARGET_SHARE_OF_RAW, parley: parley.saturation.deliveriesPerSec, raw: raw?.saturation.deliveriesPerSec,
      share: share === undefined ? undefined : Math.round(share * 100) / 100, met: share !== undefined && share >= TARGET_SHARE_OF_RAW,
    },
    p99AtRate: { targetMs: TARGET_P99_MS, p50: fixed.latencyMs.p50, p99: fixed.latencyMs.p99, met: fixed.latencyMs.p99 < TARGET_P99_MS },
    noDropsAtRate: { dropped: fixed.dropped, refused: fixed.sent - fixed.accepted, met: fixed.dropped === 0 && fixed.accepted === fixed.sent },
    everyWindow: runs.filter((r) => r.system === 'parley').map((r) => ({
      coalesceMs: r.coalesceMs, p50: r.fixed.latencyMs.p50, p99: r.fixed.latencyMs.p99, dropped: r.fixed.dropped,
      saturationDeliveriesPerSec: r.saturation.deliveriesPerSec, fixedTargetsMet: fixedOk(r.fixed),
    })),
  }
}

run(parseFlags(process.argv.slice(2), defaults)).then(printResult, (e: unknown) => {
  process.stderr.write(`broadcast failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
