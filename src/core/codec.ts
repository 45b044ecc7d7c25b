/**
 * The single configured msgpackr instance. Plain msgpack maps (no records extension) so any
 * msgpack library can speak the socket protocol; integers beyond 2^53 are not used.
 */
import { Packr } from 'msgpackr'

export const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true })

export function encode(value: unknown): Buffer {
  return packr.pack(value)
}

/** Decodes one msgpack value; throws on malformed input (callers map that to 9004). */
export function decode(bytes: Uint8Array): unknown {
  return packr.unpack(bytes)
}
