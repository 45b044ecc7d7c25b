/**
 * The steps every benchmark repeats against a server: log sessions in across the load
 * processes, run one traffic phase and merge its results, and sample the CPU used by the
 * server and the load processes during the measured window.
 */
import { Histogram } from './histogram.js'
import type { OpenResult, Target, TrafficResult, TrafficSpec } from './loadProtocol.js'
import { cpuSeconds, machineBusySeconds, type LoadClients } from './clients.js'
import { round } from './report.js'

const nowEpoch = () => performance.timeOrigin + performance.now()
export const sleepUntil = (epochMs: number) => new Promise((r) => setTimeout(r, Math.max(0, epochMs - nowEpoch())))

export interface OpenSummary {
  attempted: number
  loggedIn: number
  failures: Record<string, number>
  /** Logins completed per second: all logins / (last login done − first connect started). */
  loginsPerSec: number
  elapsedMs: number
  /** Epoch ms at which the load processes started connecting. */
  startAt: number
  latencyMs: ReturnType<Histogram['summaryMs']>
}

/** Connects and logs in every prepared session of every load process, starting together. */
export async function openAll(clients: LoadClients, target: Target, concurrencyPerProc: number, timeoutMs: number): Promise<OpenSummary> {
  const startAt = nowEpoch() + 300
  const rs = await clients.all<OpenResult>(() => ({ type: 'open', target, concurrency: concurrencyPerProc, startAt, timeoutMs }))
  const hist = new Histogram()
  const failures: Record<string, number> = {}
  for (const r of rs) {
    hist.add(r.latency)
    for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v
  }
  const attempted = rs.reduce((a, r) => a + r.attempted, 0)
  const loggedIn = rs.reduce((a, r) => a + r.loggedIn, 0)
  const elapsedMs = Math.max(...rs.map((r) => r.lastDoneAt)) - startAt
  return { attempted, loggedIn, failures, loginsPerSec: round(loggedIn / (elapsedMs / 1000), 0), elapsedMs: round(elapsedMs, 0), startAt, latencyMs: hist.summaryMs() }
}

export interface CpuUse {
  /** Cores used on average during the window (CPU seconds / wall seconds). */
  serverCores: number
  clientCores: number
  /** Cores used by everything else on the machine meanwhile (other processes, kernel softirq). */
  otherCores: number
}

export interface CpuSnapshot { server: number; clients: number; machine: number; at: number }

/** CPU seconds used so far by the server, the load processes (summed) and the whole machine. */
export async function cpuSnapshot(serverPid: number | readonly number[], clientPids: number[]): Promise<CpuSnapshot> {
  const serverPids = typeof serverPid === 'number' ? [serverPid] : serverPid
  const [machine, ...rest] = await Promise.all([machineBusySeconds(), ...serverPids.map(cpuSeconds), ...clientPids.map(cpuSeconds)])
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
  return { server: sum(rest.slice(0, serverPids.length)), clients: sum(rest.slice(serverPids.length)), machine, at: nowEpoch() }
}

/** Average cores used between two snapshots. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const wall = (b.at - a.at) / 1000
  const server = (b.server - a.server) / wall
  const clients = (b.clients - a.clients) / wall
  const machine = (b.machine - a.machine) / wall
  return { serverCores: round(server, 2), clientCores: round(clients, 2), otherCores: round(Math.max(0, machine - server - clients), 2) }
}

/** CPU cores used by `serverPid` and `clientPids` between two epoch times (sleeps until `to`). */
export async function cpuDuring(serverPid: number | readonly number[], clientPids: number[], from: number, to: number): Promise<CpuUse> {
  await sleepUntil(from)
  const a = await cpuSnapshot(serverPid, clientPids)
  await sleepUntil(to)
  return cpuBetween(a, await cpuSnapshot(serverPid, clientPids))
}

export interface TrafficSummary {
  mode: 'closed' | 'open'
  offeredPerSec: number | undefined
  window: number | undefined
  /** Deliveries received during the measured window, per second. */
  deliveredPerSec: number
  sent: number
  sentInWindow: number
  deliveredInWindow: number
  latencyMs: ReturnType<Histogram['summaryMs']>
  sendErrors: Record<string, number>
  undelivered: number
  stuckPairs: TrafficResult['stuckPairs']
  backlogged: number
  maxClientBufferedBytes: number
  cpu: CpuUse
}

export type PhaseSpec = Omit<TrafficSpec, 'startAt' | 'ratePerSec'> & { totalRatePerSec: number }

/**
 * Runs one traffic phase in every load process at once (the rate split evenly) and merges.
 * `during(from, to)`, if given, runs alongside with the measured window's epoch bounds.
 */
export async function runTraffic(clients: LoadClients, serverPid: number | readonly number[], spec: PhaseSpec,
  during?: (from: number, to: number) => Promise<void>): Promise<TrafficSummary> {
  const startAt = nowEpoch() + 300
  const mStart = startAt + spec.warmupMs
  const mEnd = mStart + spec.measureMs
  const ratePerSec = spec.totalRatePerSec / clients.size
  const maxInflight = Math.ceil(spec.maxInflight / clients.size)
  const [rs, cpu] = await Promise.all([
    clients.all<TrafficResult>(() => ({ type: 'traffic', ...spec, ratePerSec, maxInflight, startAt })),
    cpuDuring(serverPid, clients.pids, mStart, mEnd),
    during?.(mStart, mEnd),
  ])
  const hist = new Histogram()
  const sendErrors: Record<string, number> = {}
  for (const r of rs) {
    hist.add(r.latency)
    for (const [k, v] of Object.entries(r.sendErrors)) sendErrors[k] = (sendErrors[k] ?? 0) + v
  }
  const sum = (f: (r: TrafficResult) => number) => rs.reduce((a, r) => a + f(r), 0)
  return {
    mode: spec.mode,
    offeredPerSec: spec.mode === 'open' ? spec.totalRatePerSec : undefined,
    window: spec.mode === 'closed' ? spec.window : undefined,
    deliveredPerSec: round(sum((r) => r.deliveredInWindow) / (spec.measureMs / 1000), 0),
    sent: sum((r) => r.sent),
    sentInWindow: sum((r) => r.sentInWindow),
    deliveredInWindow: sum((r) => r.deliveredInWindow),
    latencyMs: hist.summaryMs(),
    sendErrors,
    undelivered: sum((r) => r.undelivered),
    stuckPairs: rs.flatMap((r) => r.stuckPairs).slice(0, 10),
    backlogged: sum((r) => r.backlogged),
    maxClientBufferedBytes: Math.max(...rs.map((r) => r.maxClientBufferedBytes)),
    cpu,
  }
}

/** An open-loop phase sustained its rate: ≥ 97% delivered in the window, nothing backlogged or lost. */
export function sustained(t: TrafficSummary): boolean {
  return t.offeredPerSec !== undefined && t.deliveredPerSec >= 0.97 * t.offeredPerSec && t.backlogged === 0 && t.undelivered === 0
}
