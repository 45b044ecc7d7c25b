/**
 * NodeMessage: the node-boundary union, what travels on the node bus between nodes. Today a
 * single variant, the `relay` envelope (a thread envelope addressed to a node and thread);
 * a new variant gets a new string tag `t` and a case in `isNodeMessage`.
 *
 * Wire form: a batch is a msgpack array of NodeMessages encoded with the protocol's single
 * msgpackr instance (`encodeBatch`/`decodeBatch` of actors/runtime/envelope.ts), so a relay
 * crosses a node exactly as an envelope crosses a thread.
 */
import type { Logger } from '../src/core/log.js'
import type { WireError } from '../src/core/errors.js'
import { runtimeWire } from '../actors/runtime/errors.js'
import { type RelayEnvelope, decodeBatch, encodeBatch } from '../actors/runtime/envelope.js'

export type NodeMessage = RelayEnvelope
export type NodeMessageTag = NodeMessage['t']

/**
 * Structural check of one decoded element: the tag, the address (`node` a string, `thread`
 * a non-negative integer) and an inner envelope with a string tag. The inner envelope's
 * fields are checked where it is dispatched (the thread mesh drops unknown tags).
 */
export function isNodeMessage(v: unknown): v is NodeMessage {
  if (typeof v !== 'object' || v === null) return false
  const m = v as { t?: unknown; node?: unknown; thread?: unknown; env?: unknown }
  if (m.t !== 'relay') return false
  if (typeof m.node !== 'string' || !Number.isInteger(m.thread) || (m.thread as number) < 0) return false
  return typeof m.env === 'object' && m.env !== null && typeof (m.env as { t?: unknown }).t === 'string'
}

/** A decoded batch: the valid messages in order, and how many elements were not messages. */
export interface DecodedNodeBatch {
  readonly messages: NodeMessage[]
  readonly invalid: number
}

/** Decodes one batch. Throws (TypeError or the codec's error) when the bytes are not a msgpack array. */
export function decodeNodeBatch(bytes: Uint8Array | ArrayBuffer): DecodedNodeBatch {
  const all = decodeBatch(bytes) as unknown[]
  const messages = all.filter(isNodeMessage)
  return { messages, invalid: all.length - messages.length }
}

/**
 * An encoded batch of `count` messages, and how many messages could not be encoded
 * (`dropped`, including replies that were replaced by an INTERNAL failure reply).
 */
export interface EncodedNodeBatch {
  /** Null when nothing was left to send. */
  readonly bytes: ArrayBuffer | null
  readonly count: number
  readonly dropped: number
}

const UNENCODABLE: WireError = runtimeWire('INTERNAL', 'value could not be encoded')

/**
 * Encodes `msgs` as one batch (an exactly-sized ArrayBuffer the caller owns). When the batch
 * fails to encode (an actor produced a value msgpack cannot carry), each message is tried
 * alone: a relayed reply that fails is replaced by an INTERNAL failure reply, so the asker
 * is answered at once instead of timing out; any other failing message is dropped and
 * logged. The common path encodes once.
 */
export function encodeNodeBatch(msgs: readonly NodeMessage[], log: Logger): EncodedNodeBatch {
  try {
    return { bytes: encodeBatch(msgs), count: msgs.length, dropped: 0 }
  } catch (cause) {
    const kept: NodeMessage[] = []
    let dropped = 0
    for (const m of msgs) {
      try {
        encodeBatch([m])
        kept.push(m)
      } catch {
        dropped++
        log.error('node message could not be encoded; dropped', { tag: m.env.t, targetNode: m.node, error: String(cause) })
        if (m.env.t === 'reply') {
          kept.push({ t: 'relay', node: m.node, thread: m.thread, env: { t: 'reply', id: m.env.id, ok: false, error: UNENCODABLE } })
        }
      }
    }
    return { bytes: kept.length === 0 ? null : encodeBatch(kept), count: kept.length, dropped }
  }
}
