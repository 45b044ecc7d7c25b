/**
 * The steps the broadcast benchmarks (broadcast.ts, roomCluster.ts) repeat against each server:
 * get every member online in the room, run one publishing phase (publish, drain, count) with its
 * results merged over the member processes and the CPU used meanwhile, and run a round of
 * phases (saturation, then the fixed rate).
 */
import { readFile } from 'node:fs/promises'
import { cpuSeconds, machineBusySeconds, waitForQuiet } from './clients.js'
import { Histogram } from './histogram.js'
import { type CpuUse, sleepUntil } from './phases.js'
import { round } from './report.js'
import type { RoomClients } from './roomClients.js'
import { monoUs } from './roomFrames.js'
import type { CountResult, MemberCommand, MemberPhaseResult, OpenResult, PublishResult, RoomTarget } from './roomProtocol.js'

const nowEpoch = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Gives member process i of n the members m⌊members·i/n⌋ … m⌊members·(i+1)/n⌋−1 of `target`
 * (each member's socket goes to its port, see RoomTarget `ports`), and the publisher the target.
 */
export async function prepareRoom(clients: RoomClients, target: RoomTarget, members: number, sampleEvery: number): Promise<void> {
  const n = clients.size
  await clients.all((i) => {
    const first = Math.floor((members * i) / n)
    return { type: 'prepare', target, members: { prefix: 'm', first, count: Math.floor((members * (i + 1)) / n) - first, sampleEvery } }
  })
  await clients.pub({ type: 'prepare', target })
}

export interface OpenSummary {
  attempted: number
  done: number
  failures: Record<string, number>
  elapsedMs: number
  perSec: number
}

/** Opens every member in every member process at once (see MemberCommand `open`). */
export async function openMembers(clients: RoomClients, mode: Extract<MemberCommand, { type: 'open' }>['mode'],
  concurrency: number, timeoutMs: number): Promise<OpenSummary> {
  const started = performance.now()
  const rs = await clients.all<OpenResult>(() => ({ type: 'open', concurrency, timeoutMs, mode }))
  const failures: Record<string, number> = {}
  for (const r of rs) for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v
  const elapsedMs = Math.round(performance.now() - started)
  const done = rs.reduce((a, r) => a + r.done, 0)
  return { attempted: rs.reduce((a, r) => a + r.attempted, 0), done, failures, elapsedMs, perSec: round(done / (elapsedMs / 1000), 0) }
}

/** Throws, naming the failures, unless every member attempted is open (or joined). */
export function requireAllOpen(name: string, o: OpenSummary): void {
  if (o.done !== o.attempted) throw new Error(`${name}: only ${o.done}/${o.attempted} members joined: ${JSON.stringify(o.failures)}`)
}

export interface RoomPhaseSpec {
  mode: 'closed' | 'open'
  /** closed: messages ahead of the slowest sampled member. */
  window: number
  /** open: messages per second into the room. */
  ratePerSec: number
  warmupMs: number
  measureMs: number
  /**
   * After the last send: wait until every member has every accepted message, or nothing more
   * arrived for `quietMs`, or `drainMs` passed, whichever comes first.
   */
  drainMs: number
  quietMs: number
}

export interface RoomPhaseResult {
  mode: 'closed' | 'open'
  window?: number
  offeredPerSec?: number
  members: number
  /** Messages the publisher sent, and those the server accepted (Parley: `res ok`). */
  sent: number
  accepted: number
  sendErrors: Record<string, number>
  unanswered: number
  /** Deliveries (one message to one member) received in the measured window, per second. */
  deliveriesPerSec: number
  /** The same, divided by the members: messages per second through the room. */
  messagesPerSec: number
  /** Send → member's socket, sampled members, messages stamped in the window. */
  latencyMs: ReturnType<Histogram['summaryMs']>
  /**
   * Share of (sampled members × accepted messages stamped in the window) that arrived and so
   * are in `latencyMs`; below 1, the percentiles leave out messages that never arrived.
   */
  latencyCoverage: number
  /** Σ over members of accepted messages never received by the end of the drain. */
  dropped: number
  /** Deliveries beyond one per member and message (should be 0). */
  duplicates: number
  /** Frames where the `gev` header's event count and the tags found by a sampled member disagreed (should be 0). */
  countMismatches: number
  /** Events per frame a member received (coalescing), over the whole phase. */
  eventsPerFrame: number
  singleEventFrameBytes: number
  membersOpenAtEnd: number
  closedByServer: Record<string, number>
  drainMs: number
  /** How the drain ended: everything delivered, nothing more arriving, or out of time. */
  drainEnd: 'complete' | 'quiet' | 'timeout'
  maxPublisherBufferedBytes: number
  /**
   * Cores used during the window. The kernel's softirq time (loopback TCP delivery) is charged
   * to the processes running when it happens, so it is inside the other numbers; shown apart.
   */
  cpu: RoomCpuUse
  /** Runs of this phase (a run disturbed by other processes is repeated; see runRoomRound). */
  attempts?: number
}

/**
 * CPU during a phase's window. With RoomProcesses: each server process's share (in `server`
 * order) and the services' cores, which `otherCores` then leaves out.
 */
export type RoomCpuUse = CpuUse & { softirqCores: number; serverCoresEach?: number[]; serviceCores?: number }

/** The processes a phase charges CPU to, when the system under test is more than one process. */
export interface RoomProcesses {
  /** The system under test: e.g. every node of a cluster. */
  server: readonly number[]
  /** Services it relies on (Cassandra, Redis): `serviceCores`, not `otherCores`. */
  services: readonly number[]
}

let nextPhase = 1

/**
 * One phase: the publisher starts 500 ms from now and sends for warmupMs + measureMs; the
 * members count what they receive, then the drain waits until each has every accepted
 * message (or drainMs passed). `during(fromEpochMs, toEpochMs)` runs alongside the window.
 * `server`: the pid charged as `serverCores`, or RoomProcesses (e.g. a cluster's nodes and services).
 */
export async function runRoomPhase(clients: RoomClients, server: number | RoomProcesses, spec: RoomPhaseSpec,
  during?: (from: number, to: number) => Promise<void>): Promise<RoomPhaseResult> {
  await settle(clients, spec.quietMs, spec.drainMs)
  const phase = nextPhase++
  // Whole µs: tags carry floored stamps, so integer bounds put a message on the same side for all.
  const startUs = Math.floor(monoUs()) + 500_000
  const fromUs = startUs + spec.warmupMs * 1000
  const toUs = fromUs + spec.measureMs * 1000
  const epochOf = (us: number) => nowEpoch() + (us - monoUs()) / 1000
  clients.trackPhase(phase)
  await clients.all(() => ({ type: 'phase', phase, measureFromUs: fromUs, measureToUs: toUs }))
  const [pub, cpu, softirqCores] = await Promise.all([
    clients.pub<PublishResult>({
      type: 'publish', phase, mode: spec.mode, window: spec.window, ratePerSec: spec.ratePerSec, startUs, measureFromUs: fromUs, endUs: toUs, answerWaitMs: spec.drainMs,
    }),
    cpuDuring(server, clients.pids, epochOf(fromUs), epochOf(toUs)),
    softirqDuring(epochOf(fromUs), epochOf(toUs)),
    during?.(epochOf(fromUs), epochOf(toUs)),
  ])
  const drainStart = performance.now()
  const drainEnd = await drain(clients, pub.accepted, spec)
  const drainMs = Math.round(performance.now() - drainStart)
  const rs = await clients.all<MemberPhaseResult>(() => ({ type: 'finish', expected: pub.accepted }))
  return merge(spec, pub, rs, { ...cpu, softirqCores }, drainMs, drainEnd)
}

/** The parameters of a round (the benchmarks' flags of the same names). */
export interface RoomRoundParams {
  /** Saturation: messages kept ahead of the slowest sampled member, comma-separated; one phase each. */
  ahead: string
  /** Fixed rate: messages per second into the room, for `fixedMs`. */
  rate: number
  fixedMs: number
  warmupMs: number
  measureMs: number
  drainMs: number
  quietMs: number
  /** A phase during which other processes used more than `quietCores` is run again, up to `attempts` runs in all. */
  quietCores: number
  attempts: number
  /** Longest wait for a quiet machine before such a repeat, s (at most 120). */
  quietWaitS: number
}

export interface RoomRound {
  fixed: RoomPhaseResult
  /** The saturation phase with the most deliveries/s, and every saturation phase run. */
  saturation: RoomPhaseResult
  saturationRuns: RoomPhaseResult[]
}

/**
 * `during` runs beside the window of the first run of the first saturation phase and of the
 * fixed phase (e.g. a CPU profile); `after` once the saturation phases, and then the fixed one, are done.
 */
export interface RoomRoundHooks {
  during?(key: 'saturation' | 'fixed'): ((from: number, to: number) => Promise<void>) | undefined
  after?(key: 'saturation' | 'fixed'): void
}

/**
 * One round against a server whose members are all online: the publisher connects, one
 * saturation phase per value of `ahead` (closed loop; the best counts), then the fixed rate
 * (open loop), then the publisher and every member close. Saturation comes first: its closed
 * loop leaves no backlog, while a server that cannot sustain the fixed rate may queue for minutes.
 * The least disturbed run of a phase counts (see RoomRoundParams `attempts`).
 */
export async function runRoomRound(clients: RoomClients, server: number | RoomProcesses, p: RoomRoundParams, name: string,
  log: (m: string) => void, hooks: RoomRoundHooks = {}): Promise<RoomRound> {
  await clients.pub({ type: 'open', timeoutMs: 30_000 })
  const drain = { drainMs: p.drainMs, quietMs: p.quietMs }
  const phase = async (label: string, spec: RoomPhaseSpec, during?: (from: number, to: number) => Promise<void>) => {
    const tries: RoomPhaseResult[] = []
    for (;;) {
      const t = await runRoomPhase(clients, server, spec, tries.length === 0 ? during : undefined)
      tries.push(t)
      log(`${name}: ${label}: ${describeRoomPhase(t)}`)
      if (t.cpu.otherCores <= p.quietCores || tries.length >= p.attempts) break
      log(`${name}: ${label}: other processes used ${t.cpu.otherCores} cores meanwhile; repeating`)
      await waitForQuiet(Math.min(120, p.quietWaitS), p.quietCores, log)
    }
    return { ...tries.reduce((a, b) => (b.cpu.otherCores < a.cpu.otherCores ? b : a)), attempts: tries.length }
  }
  const saturationRuns: RoomPhaseResult[] = []
  for (const ahead of p.ahead.split(',').map(Number)) {
    const spec: RoomPhaseSpec = { mode: 'closed', window: ahead, ratePerSec: 0, warmupMs: p.warmupMs, measureMs: p.measureMs, ...drain }
    saturationRuns.push(await phase(`saturation (${ahead} ahead)`, spec, saturationRuns.length === 0 ? hooks.during?.('saturation') : undefined))
  }
  hooks.after?.('saturation')
  const saturation = saturationRuns.reduce((a, b) => (b.deliveriesPerSec > a.deliveriesPerSec ? b : a))
  const fixedSpec: RoomPhaseSpec = { mode: 'open', window: 0, ratePerSec: p.rate, warmupMs: p.warmupMs, measureMs: p.fixedMs, ...drain }
  const fixed = await phase(`${p.rate} msgs/s`, fixedSpec, hooks.during?.('fixed'))
  hooks.after?.('fixed')
  await clients.pub({ type: 'close' })
  await clients.all(() => ({ type: 'close' }))
  return { fixed, saturation, saturationRuns }
}

/** Waits until every open member has `accepted` events, or none arrived for quietMs, or drainMs passed. */
async function drain(clients: RoomClients, accepted: number, spec: RoomPhaseSpec): Promise<RoomPhaseResult['drainEnd']> {
  const start = performance.now()
  let last = -1
  let lastChange = start
  for (;;) {
    const counts = await clients.all<CountResult>(() => ({ type: 'count' }))
    const open = counts.reduce((a, c) => a + c.open, 0)
    const received = counts.reduce((a, c) => a + c.received, 0)
    const events = counts.reduce((a, c) => a + c.events, 0)
    const now = performance.now()
    if (received >= accepted * open) return 'complete'
    if (events !== last) { last = events; lastChange = now }
    if (now - lastChange >= spec.quietMs) return 'quiet'
    if (now - start >= spec.drainMs) return 'timeout'
    await sleep(200)
  }
}

/** Before a phase: waits until no benchmark event arrived anywhere for quietMs (at most maxMs). */
async function settle(clients: RoomClients, quietMs: number, maxMs: number): Promise<void> {
  const start = performance.now()
  let last = -1
  let lastChange = start
  for (;;) {
    const events = (await clients.all<CountResult>(() => ({ type: 'count' }))).reduce((a, c) => a + c.events, 0)
    const now = performance.now()
    if (events !== last) { last = events; lastChange = now }
    if (now - lastChange >= Math.min(quietMs, 1000) || now - start >= maxMs) return
    await sleep(200)
  }
}

/** Cores used by the server, its services and the load processes between two epoch times (sleeps until `to`). */
async function cpuDuring(server: number | RoomProcesses, clientPids: number[], from: number, to: number): Promise<Omit<RoomCpuUse, 'softirqCores'>> {
  const procs = typeof server === 'number' ? { server: [server], services: [] } : server
  const pids = [...procs.server, ...procs.services, ...clientPids]
  const snapshot = async () => {
    const [machine, ...each] = await Promise.all([machineBusySeconds(), ...pids.map(cpuSeconds)])
    return { machine, each, at: nowEpoch() }
  }
  await sleepUntil(from)
  const a = await snapshot()
  await sleepUntil(to)
  const b = await snapshot()
  const wall = (b.at - a.at) / 1000
  const cores = b.each.map((v, i) => (v - a.each[i]) / wall)
  const sum = (at: number, n: number) => cores.slice(at, at + n).reduce((x, y) => x + y, 0)
  const serverCores = sum(0, procs.server.length)
  const serviceCores = sum(procs.server.length, procs.services.length)
  const clientCores = sum(procs.server.length + procs.services.length, clientPids.length)
  const otherCores = Math.max(0, (b.machine - a.machine) / wall - serverCores - serviceCores - clientCores)
  const use = { serverCores: round(serverCores, 2), clientCores: round(clientCores, 2), otherCores: round(otherCores, 2) }
  if (typeof server === 'number') return use
  return { ...use, serverCoresEach: cores.slice(0, procs.server.length).map((c) => round(c, 2)), serviceCores: round(serviceCores, 2) }
}

/** Cores the kernel spent in softirq (loopback TCP delivery, mostly) between two epoch times. */
async function softirqDuring(from: number, to: number): Promise<number> {
  const read = async () => Number((await readFile('/proc/stat', 'utf8')).split('\n')[0].split(/\s+/)[7]) / 100
  await sleepUntil(from)
  const a = await read()
  const t0 = performance.now()
  await sleepUntil(to)
  return round((await read() - a) / ((performance.now() - t0) / 1000), 2)
}

function merge(spec: RoomPhaseSpec, pub: PublishResult, rs: MemberPhaseResult[], cpu: RoomPhaseResult['cpu'], drainMs: number,
  drainEnd: RoomPhaseResult['drainEnd']): RoomPhaseResult {
  const hist = new Histogram()
  const closedByServer: Record<string, number> = {}
  for (const r of rs) {
    hist.add(r.latency)
    for (const [k, v] of Object.entries(r.closedByServer)) closedByServer[k] = (closedByServer[k] ?? 0) + v
  }
  const sum = (f: (r: MemberPhaseResult) => number) => rs.reduce((a, r) => a + f(r), 0)
  const members = sum((r) => r.members)
  const deliveriesPerSec = sum((r) => r.receivedInWindow) / (spec.measureMs / 1000)
  return {
    mode: spec.mode,
    ...(spec.mode === 'closed' ? { window: spec.window } : { offeredPerSec: spec.ratePerSec }),
    members,
    sent: pub.sent,
    accepted: pub.accepted,
    sendErrors: pub.failed,
    unanswered: pub.unanswered,
    deliveriesPerSec: round(deliveriesPerSec, 0),
    messagesPerSec: round(deliveriesPerSec / Math.max(1, members), 1),
    latencyMs: hist.summaryMs(),
    latencyCoverage: round(hist.total / Math.max(1, sum((r) => r.sampled) * Math.min(pub.sentInWindow, pub.accepted)), 3),
    dropped: sum((r) => r.missing),
    duplicates: sum((r) => r.extra),
    countMismatches: sum((r) => r.countMismatches),
    eventsPerFrame: round(sum((r) => r.received) / Math.max(1, sum((r) => r.frames)), 2),
    singleEventFrameBytes: Math.max(...rs.map((r) => r.singleEventFrameBytes)),
    membersOpenAtEnd: sum((r) => r.open),
    closedByServer,
    drainMs,
    drainEnd,
    maxPublisherBufferedBytes: pub.maxBufferedBytes,
    cpu,
  }
}

/** One line for the progress log. */
export function describeRoomPhase(t: RoomPhaseResult): string {
  const parts = [
    `${t.deliveriesPerSec} deliveries/s (${t.messagesPerSec} msgs/s × ${t.members})`,
    `p50 ${t.latencyMs.p50} ms`, `p99 ${t.latencyMs.p99} ms`, `max ${t.latencyMs.max} ms` + (t.latencyCoverage < 1 ? ` (of ${Math.round(t.latencyCoverage * 100)}% that arrived)` : ''),
    `sent ${t.sent}, accepted ${t.accepted}, dropped ${t.dropped}`, `${t.eventsPerFrame} events/frame`,
    `cpu server ${t.cpu.serverCores}${t.cpu.serverCoresEach ? ` (${t.cpu.serverCoresEach.join(' + ')})` : ''}` +
      (t.cpu.serviceCores !== undefined ? ` + services ${t.cpu.serviceCores}` : '') +
      ` + load ${t.cpu.clientCores} + other ${t.cpu.otherCores} (softirq ${t.cpu.softirqCores}) cores`,
    `drain ${t.drainMs} ms (${t.drainEnd})`,
  ]
  if (t.duplicates > 0) parts.push(`${t.duplicates} duplicates`)
  if (t.countMismatches > 0) parts.push(`${t.countMismatches} frames whose header count disagreed with their tags`)
  if (Object.keys(t.sendErrors).length > 0) parts.push(`send errors ${JSON.stringify(t.sendErrors)}`)
  if (t.unanswered > 0) parts.push(`${t.unanswered} sends unanswered`)
  if (Object.keys(t.closedByServer).length > 0) parts.push(`closed by server ${JSON.stringify(t.closedByServer)}`)
  if (t.membersOpenAtEnd < t.members) parts.push(`${t.membersOpenAtEnd}/${t.members} open at the end`)
  return parts.join(', ')
}
