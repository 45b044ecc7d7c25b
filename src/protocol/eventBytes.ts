/**
 * The msgpack bytes of inbox events, remembered by object identity for as long as the event
 * object lives. A session builds an event, its store encodes it for the disk, and the push to
 * the user's devices sends those same bytes inside the `ev` frame instead of encoding the
 * event (and the message in it) once more. Contract: an event object is not mutated once
 * `eventBytes` has seen it (events are immutable values throughout Parley).
 */
import { encode } from '../core/codec.js'
import type { InboxEvent } from './events.js'
import { encodeWith } from './splice.js'

const known = new WeakMap<InboxEvent, Uint8Array>()

/**
 * `ev` as msgpack, encoded at most once per event object. For a `msg` event, `msgBytes` (the
 * message's own encoding, when the caller has it) is spliced in rather than encoded again.
 */
export function eventBytes(ev: InboxEvent, msgBytes?: Uint8Array): Uint8Array {
  let bytes = known.get(ev)
  if (bytes === undefined) {
    bytes = ev.type === 'msg' && msgBytes !== undefined ? encodeWith(ev, 'msg', msgBytes) : encode(ev)
    known.set(ev, bytes)
  }
  return bytes
}

/** `{ op: 'ev', ev }`: a fixmap of two, `op: 'ev'`, then the key `ev`. */
const EV_FRAME_PREFIX = new Uint8Array(encode({ op: 'ev', ev: 0 }).subarray(0, -1))

/** The socket frame `{ op: 'ev', ev }`, built around `eventBytes(ev)`. */
export function eventFrame(ev: InboxEvent): Uint8Array {
  const body = eventBytes(ev)
  const out = new Uint8Array(EV_FRAME_PREFIX.length + body.length)
  out.set(EV_FRAME_PREFIX, 0)
  out.set(body, EV_FRAME_PREFIX.length)
  return out
}
