/**
 * The storage encoding of Cassandra `blob` columns (inbox events, messages, conversation and
 * dedupe records, accounts, pending commits): msgpack with a fixed configuration.
 *
 * This is a storage format, not the wire format of src/protocol: it must decode everything
 * ever written, so its options never change in place. A different encoding needs a schema
 * migration (schema.ts) that rewrites the rows.
 */
import { Packr } from 'msgpackr'

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true })

export function encodeBlob(value: unknown): Buffer {
  return packr.pack(value)
}

export function decodeBlob<T>(bytes: Buffer): T {
  return packr.unpack(bytes) as T
}
