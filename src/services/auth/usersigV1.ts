/**
 * UserSig v1 (ECDSA-SHA256, legacy `tls-sig-api`), docs/tencent-compat.md §1.3: every JSON value is a string,
 * `TLS.sig` is base64 of a DER ECDSA signature over SHA-256 of LF-terminated `key:value` lines.
 * Verification costs ~70 µs of CPU (plus ~130 µs to parse a PEM), so the server runs it on the sig
 * pool (sigPool.ts), not on the main thread. Pure functions, no I/O.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { ParleyError } from '../../core/errors.js'
import {
  decimalField, decodeToken, encodeToken, optionalBase64Field, stringField,
  type SigDoc, type SigValidity,
} from './envelope.js'

/** What the verifier requires of a v1 token. `publicKeyPem` is the app's EC public key (SPKI PEM). */
export interface V1Expect {
  sdkAppId: number
  userId: string
  publicKeyPem: string
  /** Current time, Unix seconds. */
  nowSec: number
}

export interface MintV1Input {
  sdkAppId: number
  /** The app's EC private key, PEM (PKCS#8 or SEC1). */
  privateKeyPem: string
  userId: string
  /** Lifetime in seconds, stored as `TLS.expire_after`. */
  expireSec: number
  /** Issue time, Unix seconds, stored as `TLS.time`. */
  nowSec: number
  /** Optional user bytes; stored and signed as standard base64. */
  userbuf?: Uint8Array
}

/** Signed keys, in signing order; `TLS.userbuf` is appended when present. */
const SIGNED_KEYS = [
  'TLS.appid_at_3rd', 'TLS.account_type', 'TLS.identifier', 'TLS.sdk_appid', 'TLS.time', 'TLS.expire_after',
] as const

/**
 * Verifies a v1 token with the same checks, order and codes as v2: 70002/70003 decoding and
 * types (all signed fields must be strings; numbers must be decimal), 70014 `TLS.sdk_appid`,
 * 70013 `TLS.identifier`, 70001 iff `nowSec > time + expire_after`, 70009 signature.
 * A public key that does not parse or is not EC is a server fault: a plain Error, not a ParleyError.
 * `parseKey` turns the PEM into a key object; callers verifying many tokens may pass a caching one.
 */
export function verifyUserSigV1(
  token: string,
  expect: V1Expect,
  parseKey: (pem: string) => KeyObject = createPublicKey,
): SigValidity {
  const doc = decodeToken(token)
  const lines = signedText(doc)
  const sdkAppId = decimalField(doc, 'TLS.sdk_appid')
  const identifier = stringField(doc, 'TLS.identifier')
  const time = decimalField(doc, 'TLS.time')
  const expire = decimalField(doc, 'TLS.expire_after')
  const sig = optionalBase64Field(doc, 'TLS.sig')
  if (sig === undefined) throw new ParleyError('SIG_MALFORMED', 'TLS.sig missing')

  if (sdkAppId !== expect.sdkAppId) throw new ParleyError('SIG_APP_MISMATCH')
  if (identifier !== expect.userId) throw new ParleyError('SIG_USER_MISMATCH')
  if (expect.nowSec > time + expire) throw new ParleyError('SIG_EXPIRED')
  const key = parseKey(expect.publicKeyPem)
  if (key.asymmetricKeyType !== 'ec') throw new Error(`app public key is ${key.asymmetricKeyType}, not EC`)
  // For EC keys OpenSSL reports any malformed DER as a failed verification, never by throwing.
  const ok = verify('sha256', Buffer.from(lines, 'utf8'), { key, dsaEncoding: 'der' }, Buffer.from(sig, 'base64'))
  if (!ok) throw new ParleyError('SIG_BAD_SIGNATURE')
  return { time, expire }
}

/**
 * Mints a v1 token as the legacy Node `tls-sig-api` does at clock `nowSec`: JSON key order
 * account_type, identifier, appid_at_3rd, sdk_appid, expire_after, version, time, [userbuf], sig;
 * zlib default level. ECDSA signatures are randomised, so output differs call to call.
 */
export function mintUserSigV1(input: MintV1Input): string {
  const doc: Record<string, string> = {
    'TLS.account_type': '0',
    'TLS.identifier': input.userId,
    'TLS.appid_at_3rd': '0',
    'TLS.sdk_appid': String(input.sdkAppId),
    'TLS.expire_after': String(input.expireSec),
    'TLS.version': '201610110000',
    'TLS.time': String(input.nowSec),
  }
  if (input.userbuf !== undefined) doc['TLS.userbuf'] = Buffer.from(input.userbuf).toString('base64')
  const der = sign('sha256', Buffer.from(signedText(doc), 'utf8'), { key: input.privateKeyPem, dsaEncoding: 'der' })
  doc['TLS.sig'] = der.toString('base64')
  return encodeToken(JSON.stringify(doc))
}

/** The signed text: `key:value\n` for SIGNED_KEYS in order, then `TLS.userbuf` if present. */
function signedText(doc: SigDoc): string {
  let text = ''
  for (const k of SIGNED_KEYS) text += `${k}:${stringField(doc, k)}\n`
  if (doc['TLS.userbuf'] !== undefined) text += `TLS.userbuf:${stringField(doc, 'TLS.userbuf')}\n`
  return text
}
