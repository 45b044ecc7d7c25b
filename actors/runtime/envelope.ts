/**
 * Envelopes: the thread-boundary union (thread ↔ thread inside a node), also carried between
 * nodes inside a `relay`. Every variant has a string tag `t` (one letter of key because an
 * envelope wraps every chat message, tell and socket push that crosses a thread).
 *
 * Batching contract: all envelopes one thread produces for one destination thread during one
 * event-loop turn travel as ONE msgpack array (`encodeBatch`) in ONE `postMessage`, with the
 * batch's ArrayBuffer transferred, not copied. Order inside a batch is send order.
 */
import { type WireError } from '../../src/core/errors.js'
import { decode, encode } from '../../src/core/codec.js'

/**
 * An actor message as it crosses a thread: a plain msgpack-encodable object with a string
 * `kind` (structurally the runtime's ActorMessage; declared here so protocol stays a leaf).
 */
export interface EnvelopeMessage {
  readonly kind: string
}

/** Fire-and-forget to an actor; `to` is the canonical actor id string (`kind/app/key`). */
export interface TellEnvelope {
  readonly t: 'tell'
  readonly to: string
  readonly msg: EnvelopeMessage
}

/**
 * Where an ask's reply goes: the ask id (unique per asking node+thread), the asking node
 * (with its boot incarnation) and the asking thread on that node.
 */
export interface ReplyAddress {
  readonly id: number
  readonly node: string
  readonly from: number
}

/** Request to an actor; answered by exactly one `reply` to (`node`, `from`) unless dropped. */
export interface AskEnvelope extends ReplyAddress {
  readonly t: 'ask'
  readonly to: string
  readonly msg: EnvelopeMessage
  /** The asker gives up after this many ms; a reply arriving later is dropped there. */
  readonly timeoutMs: number
}

/** The answer to ask `id`: the handler's value, or its coded failure. */
export type ReplyEnvelope =
  | { readonly t: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly t: 'reply'; readonly id: number; readonly ok: false; readonly error: WireError }

/** Pre-encoded socket bytes (one ServerFrame) for connection `conn` on the receiving thread. */
export interface PushEnvelope {
  readonly t: 'push'
  readonly conn: number
  readonly frame: Uint8Array
}

/** Close connection `conn` on the receiving thread with `code`, after sending `frame` if given. */
export interface CloseEnvelope {
  readonly t: 'close'
  readonly conn: number
  readonly code: number
  readonly reason: string
  readonly frame?: Uint8Array
}

/** Any envelope that is delivered to a thread (everything but `relay`). */
/** Subscribes (`on`) or unsubscribes connection `conn` to/from uWS topics on its thread. */
export interface SubEnvelope {
  readonly t: 'sub'
  readonly conn: number
  readonly topics: readonly string[]
  readonly on: boolean
}

/** Publishes one event (a GroupEvent) to a topic's subscribers on the target thread. */
export interface PublishEnvelope {
  readonly t: 'pub'
  readonly topic: string
  readonly ev: unknown
}

/**
 * Asks the target thread to tell actor `replyTo` (an actor id string) how many of its
 * connections subscribe to `topic`, if any do (see TopicInterest in actors/runtime/types.ts).
 */
export interface InterestQueryEnvelope {
  readonly t: 'interest'
  readonly topic: string
  readonly replyTo: string
}

export type ThreadEnvelope =
  | TellEnvelope | AskEnvelope | ReplyEnvelope | PushEnvelope | CloseEnvelope | SubEnvelope | PublishEnvelope | InterestQueryEnvelope

/**
 * Cross-node wrapper, used by the node bus: deliver `env` to thread `thread` of node `node`.
 * `node` includes the boot incarnation, so a relay addressed to a previous incarnation of a
 * restarted node is recognisably stale and dropped. For `tell`/`ask` the receiving node
 * re-computes the thread from `env.to` with its own thread count; `thread` is authoritative
 * for `reply`, `push` and `close` (they name a thread: the asker's, or the connection's).
 */
export interface RelayEnvelope {
  readonly t: 'relay'
  readonly node: string
  readonly thread: number
  readonly env: ThreadEnvelope
}

export type Envelope = ThreadEnvelope | RelayEnvelope
export type EnvelopeTag = Envelope['t']

/**
 * Encodes one batch into an exactly-sized ArrayBuffer that the caller may transfer. (The
 * codec's buffers share one backing store between results, so it must be copied out once.)
 */
export function encodeBatch(envs: readonly Envelope[]): ArrayBuffer {
  const bytes = encode(envs)
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

/**
 * Decodes a batch made by `encodeBatch`. Throws TypeError on bytes that are not a msgpack
 * array (the codec's own error on malformed msgpack). Elements are checked by the dispatcher,
 * which ignores (and logs) unknown tags.
 */
export function decodeBatch(data: ArrayBuffer | Uint8Array): Envelope[] {
  const v = decode(data instanceof Uint8Array ? data : new Uint8Array(data))
  if (!Array.isArray(v)) throw new TypeError('envelope batch is not an array')
  return v as Envelope[]
}
