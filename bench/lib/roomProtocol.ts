/**
 * The messages between the broadcast benchmark (parent) and its forked processes: member
 * processes (roomClient.ts), each owning a range of a room's members, and the publisher
 * process (roomPublisher.ts), which owns the one socket that sends into the room. Every
 * command carries an `id` and gets one `RoomReply` of that id. A member process also sends
 * `progress` on its own during a phase; the parent forwards the minimum over processes to
 * the publisher as `ack` (the closed loop of the saturation phase). Times are µs of
 * CLOCK_MONOTONIC (roomFrames.ts `monoUs`), which all processes share.
 */
import type { HistogramData } from './histogram.js'

/** The system under test; decides the client (wsLite or socket.io-client) and the join steps. */
export type RoomSystem = 'parley' | 'uws' | 'socketio'

export interface RoomTarget {
  system: RoomSystem
  host: string
  /** The publisher's port, and every member's unless `ports` is given. */
  port: number
  /**
   * Several servers (a cluster's nodes): member i (global index, see MemberSpec) connects to
   * `ports[i % ports.length]`, so each node gets an even share and every member process has
   * sockets on every node. Absent: every member connects to `port`.
   */
  ports?: number[]
  /** Parley: the AVChatRoom; the baselines ignore it except in payloads. */
  groupId: string
  sdkAppId: number
  secretKey: string
}

export interface MemberSpec {
  /** Members `<prefix><first>` … `<prefix><first+count-1>`. */
  prefix: string
  first: number
  count: number
  /** Member i (global index) samples latency and reports progress when i % sampleEvery === 0. */
  sampleEvery: number
}

export type MemberCommand =
  | { id: number; type: 'prepare'; target: RoomTarget; members: MemberSpec }
  | {
      id: number; type: 'open'
      /** Connects in this process at once. */
      concurrency: number
      timeoutMs: number
      /**
       * `join`: log in, join the room, stay online (the default). `joinAndLeave`: log in, join and
       * close again (Parley: makes members before anyone is online; see broadcast.ts). `login`:
       * log in only (members of the room are subscribed at login).
       */
      mode: 'join' | 'joinAndLeave' | 'login'
    }
  | { id: number; type: 'phase'; phase: number; measureFromUs: number; measureToUs: number }
  | { id: number; type: 'count' }
  | { id: number; type: 'finish'; expected: number }
  | { id: number; type: 'close' }

export interface OpenResult {
  attempted: number
  done: number
  failures: Record<string, number>
  elapsedMs: number
}

export interface CountResult {
  /** Events of the current phase received. */
  received: number
  /** Benchmark events of any phase received since the process started. */
  events: number
  open: number
}

export interface MemberPhaseResult {
  members: number
  /** Members that sample latency. */
  sampled: number
  /** Members still open at the end. */
  open: number
  /** Closed by the server during the phase, by close code. */
  closedByServer: Record<string, number>
  received: number
  /** Events received between measureFrom and measureTo. */
  receivedInWindow: number
  /** Frames that carried at least one event of the phase, and the events they carried. */
  frames: number
  /** Σ over members of max(0, expected − received): messages a member never got. */
  missing: number
  /** Σ over members of max(0, received − expected): should be 0. */
  extra: number
  /** Send → receive latency of sampled members' events stamped inside the window, µs. */
  latency: HistogramData
  /** Frames whose `gev` header count differed from the tags a sampled member found (expected 0). */
  countMismatches: number
  /** Size of a frame carrying exactly one event (the first seen), bytes of WebSocket payload; 0 if none. */
  singleEventFrameBytes: number
}

export type PublisherCommand =
  | { id: number; type: 'prepare'; target: RoomTarget }
  | { id: number; type: 'open'; timeoutMs: number }
  | {
      id: number; type: 'publish'; phase: number
      /** `closed`: keep `window` messages ahead of the members' acks; `open`: `ratePerSec` on schedule. */
      mode: 'closed' | 'open'
      window: number
      ratePerSec: number
      startUs: number
      /** Messages stamped from here on count as `sentInWindow`. */
      measureFromUs: number
      endUs: number
      /** How long to wait for the server's answers after the last send (Parley), ms. */
      answerWaitMs: number
    }
  | { id: number; type: 'close' }

export interface PublishResult {
  sent: number
  /** Messages stamped in [measureFromUs, endUs). */
  sentInWindow: number
  /** Sends the server accepted (Parley: `res ok`); the baselines accept every send. */
  accepted: number
  failed: Record<string, number>
  /** Parley sends still unanswered after answerWaitMs. */
  unanswered: number
  /** Largest client-side write buffer seen, bytes. */
  maxBufferedBytes: number
}

/** Sent by the parent to the publisher (no id, no reply). */
export interface AckMessage { type: 'ack'; phase: number; upTo: number }

/** Sent by a member process during a phase: every sampled member has seen messages up to k = upTo. */
export interface ProgressMessage { type: 'progress'; phase: number; upTo: number }

export type RoomReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string }
