/**
 * Value encoding of the LMDB message store: every value is one plain msgpack value (the
 * protocol's codec: maps, no records extension), stored as raw bytes. A message is encoded
 * once per commit and its bytes are spliced into every record that holds it (the inbox
 * event, the message record, the conversation's `lastMsg`), so a stored message costs one
 * encode, not three (the splicing: src/protocol/splice.ts). An inbox event's bytes are also
 * remembered for the push to the owner's devices (src/protocol/eventBytes.ts).
 *
 * The codec's results are views into its buffers that later encodes never overwrite, so they
 * may be handed to LMDB as they are (lmdb-js reads a value's bytes when the batch is written).
 */
import { decode, encode } from '../../core/codec.js'

/** Memoises the encoding of objects that several records of one commit share by identity. */
export class SharedEncodings {
  private readonly cache = new Map<object, Uint8Array>()

  /** Uses `bytes` as the encoding of `value` (bytes the caller already made from it). */
  seed(value: object, bytes: Uint8Array | undefined): void {
    if (bytes) this.cache.set(value, bytes)
  }

  of(value: object): Uint8Array {
    let bytes = this.cache.get(value)
    if (bytes === undefined) {
      bytes = encode(value)
      this.cache.set(value, bytes)
    }
    return bytes
  }
}

export function encodeValue(value: unknown): Uint8Array {
  return encode(value)
}

/** A non-negative safe integer as msgpack, without a codec call (the msgKey index's values). */
export function encodeUint(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n)
  if (n < 0x100) return Uint8Array.of(0xcc, n)
  if (n < 0x10000) return Uint8Array.of(0xcd, n >> 8, n & 0xff)
  if (n < 0x100000000) return Uint8Array.of(0xce, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
  const out = new Uint8Array(9)
  out[0] = 0xcb
  new DataView(out.buffer).setFloat64(1, n)
  return out
}

export function decodeValue<V>(bytes: Uint8Array): V {
  return decode(bytes) as V
}
