/**
 * Value encoding of the LMDB message store: every value is one plain msgpack value (the
 * protocol's codec: maps, no records extension), stored as raw bytes. A message is encoded
 * once per commit and its bytes are spliced into every record that holds it (the inbox
 * event, the message record, the conversation's `lastMsg`), so a stored message costs one
 * encode, not three. The result is byte-for-byte a msgpack map any msgpack decoder reads.
 *
 * The codec's results are views into its buffers that later encodes never overwrite, so they
 * may be handed to LMDB as they are (lmdb-js reads a value's bytes when the batch is written).
 */
import { decode, encode } from '../../protocol/codec.js'

/** Memoises the encoding of objects that several records of one commit share by identity. */
export class SharedEncodings {
  private readonly cache = new Map<object, Uint8Array>()

  of(value: object): Uint8Array {
    let bytes = this.cache.get(value)
    if (bytes === undefined) {
      bytes = encode(value)
      this.cache.set(value, bytes)
    }
    return bytes
  }
}

/**
 * Encodes `record` as a msgpack map whose field `field` holds the already-encoded `inner`
 * bytes (when `inner` is undefined the field is left out). `record`'s own `field`, if any,
 * is ignored.
 */
export function encodeWith(record: object, field: string, inner: Uint8Array | undefined): Uint8Array {
  const rest: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(record)) if (k !== field) rest[k] = v
  const head = encode(rest)
  if (inner === undefined) return head
  const { count, headerBytes } = mapHeader(head)
  const name = fieldName(field)
  const header = mapHeaderBytes(count + 1)
  const out = new Uint8Array(header.length + head.length - headerBytes + name.length + inner.length)
  out.set(header, 0)
  let at = header.length
  out.set(head.subarray(headerBytes), at)
  at += head.length - headerBytes
  out.set(name, at)
  out.set(inner, header.length + head.length - headerBytes + name.length)
  return out
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

/** Encoded field names of `encodeWith`, kept: a store uses a handful of them. */
const fieldNames = new Map<string, Uint8Array>()

function fieldName(field: string): Uint8Array {
  let bytes = fieldNames.get(field)
  if (bytes === undefined) {
    bytes = encode(field)
    fieldNames.set(field, bytes)
  }
  return bytes
}

export function decodeValue<V>(bytes: Uint8Array): V {
  return decode(bytes) as V
}

function mapHeader(b: Uint8Array): { count: number; headerBytes: number } {
  const first = b[0]!
  if (first >= 0x80 && first <= 0x8f) return { count: first & 0x0f, headerBytes: 1 }
  if (first === 0xde) return { count: (b[1]! << 8) | b[2]!, headerBytes: 3 }
  if (first === 0xdf) return { count: ((b[1]! << 24) >>> 0) + ((b[2]! << 16) | (b[3]! << 8) | b[4]!), headerBytes: 5 }
  throw new TypeError(`record did not encode as a msgpack map (first byte 0x${first.toString(16)})`)
}

function mapHeaderBytes(count: number): Uint8Array {
  if (count < 16) return Uint8Array.of(0x80 | count)
  if (count < 0x10000) return Uint8Array.of(0xde, count >> 8, count & 0xff)
  return Uint8Array.of(0xdf, (count >>> 24) & 0xff, (count >> 16) & 0xff, (count >> 8) & 0xff, count & 0xff)
}
