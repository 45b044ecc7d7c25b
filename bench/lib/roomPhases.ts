/**
 * The steps the broadcast benchmark repeats against each server: get every member online in
 * the room, and run one publishing phase (publish, drain, count) with its results merged over
 * the member processes and the CPU used meanwhile.
 */
import { readFile } from 'node:fs/promises'
import { Histogram } from './histogram.js'
import { cpuDuring, type CpuUse, sleepUntil } from './phases.js'
import { round } from './report.js'
import type { RoomClients } from './roomClients.js'
import { monoUs } from './roomFrames.js'
import type { CountResult, MemberCommand, MemberPhaseResult, OpenResult, PublishResult } from './roomProtocol.js'

const nowEpoch = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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
  cpu: CpuUse & { softirqCores: number }
  /** Runs of this phase (a run disturbed by other processes is repeated; see broadcast.ts). */
  attempts?: number
}

let nextPhase = 1

/**
 * One phase: the publisher starts 500 ms from now and sends for warmupMs + measureMs; the
 * members count what they receive, then the drain waits until each has every accepted
 * message (or drainMs passed). `during(fromEpochMs, toEpochMs)` runs alongside the window.
 */
export async function runRoomPhase(clients: RoomClients, serverPid: number, spec: RoomPhaseSpec,
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
    cpuDuring(serverPid, clients.pids, epochOf(fromUs), epochOf(toUs)),
    softirqDuring(epochOf(fromUs), epochOf(toUs)),
    during?.(epochOf(fromUs), epochOf(toUs)),
  ])
  const drainStart = performance.now()
  const drainEnd = await drain(clients, pub.accepted, spec)
  const drainMs = Math.round(performance.now() - drainStart)
  const rs = await clients.all<MemberPhaseResult>(() => ({ type: 'finish', expected: pub.accepted }))
  return merge(spec, pub, rs, { ...cpu, softirqCores }, drainMs, drainEnd)
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
    `cpu server ${t.cpu.serverCores} + load ${t.cpu.clientCores} + other ${t.cpu.otherCores} (softirq ${t.cpu.softirqCores}) cores`,
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
