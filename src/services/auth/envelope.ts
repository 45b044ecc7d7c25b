/**
 * The wrapping shared by UserSig v1 and v2 (docs/tencent-compat.md §1.1): a JSON document,
 * zlib-compressed, standard base64 with `+`→`*`, `/`→`-`, `=`→`_`. This module decodes a token
 * into an untyped document and reads typed fields from it; every failure is a ParleyError
 * (70002 for an empty token, 70003 for anything undecodable). No I/O, no state.
 */
import { deflateSync, inflateSync } from 'node:zlib'
import { ParleyError } from '../../core/errors.js'

/** Longest token accepted, in characters. Official tokens are 180–600; longer input is 70003 before decoding. */
export const MAX_TOKEN_CHARS = 4096

/** Largest inflated document accepted, in bytes. Bounds what a hostile zlib stream can expand to. */
export const MAX_DOC_BYTES = 16 * 1024

/** Inflate output chunk: documents are 200–700 bytes, so one 1 KiB chunk instead of zlib's default 16 KiB. */
const INFLATE_CHUNK_BYTES = 1024

/** What a successful verification proves: the token was issued at `time` (Unix seconds) for `expire` seconds. */
export interface SigValidity {
  time: number
  expire: number
}

/** A decoded token: the parsed JSON object, keys as sent (`TLS.…`), values unchecked. */
export type SigDoc = Readonly<Record<string, unknown>>

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const DECIMAL = /^[0-9]{1,15}$/

/** True iff `s` is padded standard base64 (RFC 4648 §4), the only form either signer emits. */
export function isStdBase64(s: string): boolean {
  return STD_BASE64.test(s)
}

/** Wraps a JSON text as a token: zlib at the default level (header `78 9C`), as the Node signers do. */
export function encodeToken(json: string): string {
  return deflateSync(Buffer.from(json, 'utf8'))
    .toString('base64')
    .replace(/\+/g, '*')
    .replace(/\//g, '-')
    .replace(/=/g, '_')
}

/**
 * Unwraps a token into its JSON object. Accepts any zlib level and any key order or surrounding
 * whitespace. Throws SIG_EMPTY for `''`, SIG_MALFORMED for everything that is not a JSON object
 * inside a complete zlib stream inside padded base64.
 */
export function decodeToken(token: string): SigDoc {
  if (typeof token !== 'string') throw new ParleyError('SIG_MALFORMED', 'token is not a string')
  if (token.length === 0) throw new ParleyError('SIG_EMPTY')
  if (token.length > MAX_TOKEN_CHARS) throw new ParleyError('SIG_MALFORMED', 'token too long')
  const b64 = token.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=')
  if (!isStdBase64(b64)) throw new ParleyError('SIG_MALFORMED', 'not base64')
  let text: string
  try {
    text = inflateSync(Buffer.from(b64, 'base64'), { maxOutputLength: MAX_DOC_BYTES, chunkSize: INFLATE_CHUNK_BYTES }).toString('utf8')
  } catch {
    throw new ParleyError('SIG_MALFORMED', 'not a complete zlib stream')
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new ParleyError('SIG_MALFORMED', 'not JSON')
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ParleyError('SIG_MALFORMED', 'not a JSON object')
  }
  return doc as SigDoc
}

/** `doc[key]` as a string; SIG_MALFORMED naming the key if missing or of another type. */
export function stringField(doc: SigDoc, key: string): string {
  const v = doc[key]
  if (typeof v !== 'string') throw new ParleyError('SIG_MALFORMED', `${key} missing or not a string`)
  return v
}

/** `doc[key]` as a JSON number holding a safe integer; SIG_MALFORMED otherwise. */
export function integerField(doc: SigDoc, key: string): number {
  const v = doc[key]
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new ParleyError('SIG_MALFORMED', `${key} missing or not an integer`)
  }
  return v
}

/**
 * `doc[key]` as a string of 1–15 decimal digits (v1 stores numbers as strings), returned as a
 * number; SIG_MALFORMED otherwise. The caller keeps the original string for the signed text.
 */
export function decimalField(doc: SigDoc, key: string): number {
  const v = stringField(doc, key)
  if (!DECIMAL.test(v)) throw new ParleyError('SIG_MALFORMED', `${key} is not a decimal string`)
  return Number(v)
}

/** `doc[key]` as a padded standard base64 string, or undefined if the key is absent. */
export function optionalBase64Field(doc: SigDoc, key: string): string | undefined {
  if (doc[key] === undefined) return undefined
  const v = stringField(doc, key)
  if (!isStdBase64(v)) throw new ParleyError('SIG_MALFORMED', `${key} is not base64`)
  return v
}
