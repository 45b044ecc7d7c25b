/**
 * Summarises V8 CPU profiles (.cpuprofile) into where the time goes: self time by function
 * and by area (uWS/native, LMDB, msgpackr, Parley's own modules, Node internals, GC, idle).
 * Percentages are of the samples in all given profiles (one per worker thread).
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
interface CpuProfile { nodes: ProfileNode[]; samples?: number[] }

export interface ProfileSummary {
  samples: number
  /** Share of samples by area, percent. */
  areas: Record<string, number>
  /** Top functions by self time: "name (file:line)" → percent. */
  top: Array<{ fn: string; pct: number }>
}

function area(url: string, fn: string): string {
  if (fn === '(idle)') return 'idle'
  if (fn === '(garbage collector)') return 'gc'
  if (fn === '(program)') return 'program (native, outside JS)'
  if (url.includes('/lmdb/')) return 'lmdb'
  if (url.includes('/msgpackr')) return 'msgpackr'
  if (url.includes('uWebSockets.js') || url.includes('uws-js-unofficial')) return 'uws (JS side)'
  if (url.includes('/dist/actors/')) return 'parley actors/'
  if (url.includes('/dist/src/')) return 'parley src/'
  if (url.startsWith('node:')) return 'node internals'
  if (url === '') return `native: ${fn || '(anonymous)'}`
  return 'other'
}

export function summariseProfiles(files: string[], topN = 25): ProfileSummary {
  const byFn = new Map<string, number>()
  const byArea = new Map<string, number>()
  let total = 0
  for (const f of files) {
    const p = JSON.parse(readFileSync(f, 'utf8')) as CpuProfile
    const hits = new Map<number, number>()
    if (p.samples) for (const id of p.samples) hits.set(id, (hits.get(id) ?? 0) + 1)
    for (const n of p.nodes) {
      const h = p.samples ? (hits.get(n.id) ?? 0) : (n.hitCount ?? 0)
      if (h === 0) continue
      total += h
      const { functionName, url, lineNumber } = n.callFrame
      const file = url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')
      const key = `${functionName || '(anonymous)'} (${file || 'native'}${file ? `:${lineNumber + 1}` : ''})`
      byFn.set(key, (byFn.get(key) ?? 0) + h)
      const a = area(url, functionName)
      byArea.set(a, (byArea.get(a) ?? 0) + h)
    }
  }
  const pct = (h: number) => Math.round((h / Math.max(1, total)) * 1000) / 10
  const areas: Record<string, number> = {}
  for (const [k, v] of [...byArea].sort((a, b) => b[1] - a[1])) areas[k] = pct(v)
  const top = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, topN).map(([fn, h]) => ({ fn, pct: pct(h) }))
  return { samples: total, areas, top }
}
