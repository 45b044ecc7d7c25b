/**
 * Building msgpack maps from bytes already encoded: a value that several encodings hold (a
 * message inside its inbox event, its history record and its conversation's `lastMsg`, and
 * the socket frame that pushes it) is encoded once and its bytes are spliced in. Every result
 * is byte-for-byte a plain msgpack map (the protocol codec's format) any decoder reads; only
 * the order of its keys differs from a fresh encode (the spliced field comes last).
 */
import { encode } from '../core/codec.js'

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
  const body = head.length - headerBytes
  const out = new Uint8Array(header.length + body + name.length + inner.length)
  out.set(header, 0)
  out.set(head.subarray(headerBytes), header.length)
  out.set(name, header.length + body)
  out.set(inner, header.length + body + name.length)
  return out
}

/** Encoded field names of `encodeWith`, kept: a handful are ever used. */
const fieldNames = new Map<string, Uint8Array>()

function fieldName(field: string): Uint8Array {
  let bytes = fieldNames.get(field)
  if (bytes === undefined) {
    bytes = encode(field)
    fieldNames.set(field, bytes)
  }
  return bytes
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
