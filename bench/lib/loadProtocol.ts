/**
 * The messages between a benchmark (parent) and its load-client processes (loadClient.ts),
 * over the child_process IPC channel. Every command carries an `id`; the child answers each
 * with one `LoadReply` of the same id. Times that must agree across processes are Unix
 * epoch milliseconds (`performance.timeOrigin + performance.now()`).
 */
import type { HistogramData } from './histogram.js'

/**
 * The sessions one load client owns: users `<prefix><first>` … `<prefix><first+count-1>`,
 * each with its own socket, logging in with a v2 UserSig minted in the child before any
 * timing starts. With `pairs`, `first` must be even: session 2k sends to session 2k+1
 * (both in this process, so one clock stamps and reads each message).
 */
export interface SessionSpec {
  prefix: string
  first: number
  count: number
  sdkAppId: number
  secretKey: string
  pairs: boolean
}

export interface Target {
  host: string
  port: number
  /**
   * Several nodes of a cluster: this process's session i connects to ports[i % n] (so with
   * `pairs`, sender 2k and receiver 2k+1 are always on different nodes). Default: [port].
   */
  ports?: number[]
}

export type LoadCommand =
  | { id: number; type: 'prepare'; sessions: SessionSpec }
  | {
      id: number; type: 'open'; target: Target
      /** Sockets connecting or logging in at once, in this process. */
      concurrency: number
      /** Start connecting at this epoch ms (so several processes start together). */
      startAt: number
      /** A socket not logged in this long after its connect started counts as a timeout, ms. */
      timeoutMs: number
    }
  | ({ id: number; type: 'traffic' } & TrafficSpec)
  | { id: number; type: 'close'; graceMs: number }
  | { id: number; type: 'status' }

/**
 * One traffic phase over the pairs of this process: warm-up, a measured window, then a
 * drain with no new sends. Latency is recorded for messages stamped inside the window.
 * - `closed`: each pair keeps `window` messages in flight (saturation).
 * - `open`: messages are sent at `ratePerSec` (this process's share), round-robin over the
 *   pairs, each stamped with its intended send time, so client lag counts as latency.
 *   Sending pauses while more than `maxInflight` are in flight (the run is then reported
 *   as not sustaining the rate).
 */
export interface TrafficSpec {
  mode: 'closed' | 'open'
  window: number
  ratePerSec: number
  maxInflight: number
  startAt: number
  warmupMs: number
  measureMs: number
  drainMs: number
}

export interface OpenResult {
  attempted: number
  loggedIn: number
  failures: Record<string, number>
  /** Epoch ms of the first connect and of the last completed login. */
  firstStartAt: number
  lastDoneAt: number
  /** Connect start → login response, µs. */
  latency: HistogramData
}

export interface TrafficResult {
  sent: number
  sentInWindow: number
  deliveredInWindow: number
  windowMs: number
  latency: HistogramData
  /** Send failures by error code (Parley `res` with `ok: false`). */
  sendErrors: Record<string, number>
  /** Messages neither delivered nor failed when the drain ended. */
  undelivered: number
  /**
   * Up to 10 pairs with messages still in flight when the drain ended, with the messages the
   * sender sent and the receiver received over the whole run (all phases).
   */
  stuckPairs: Array<{ from: string; to: string; inflight: number; sent: number; received: number }>
  /** Times `open` mode skipped a send because `maxInflight` was reached. */
  backlogged: number
  /** Largest client-side socket write buffer seen, bytes (client-side backpressure). */
  maxClientBufferedBytes: number
}

export interface StatusResult {
  open: number
  closedByServer: Record<string, number>
}

export type LoadReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string }
