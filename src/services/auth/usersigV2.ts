/**
 * UserSig v2 (HMAC-SHA256), docs/tencent-compat.md §1.2: verification as Tencent's Go `VerifyUserSig`,
 * minting byte-identical to npm `tls-sig-api-v2@1.0.2`, and `peekUserSig`, which reads the
 * routing fields of a v1 or v2 token without checking its signature. Pure functions, no I/O.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { ParleyError } from '../../core/errors.js'
import {
  decimalField, decodeToken, encodeToken, integerField, optionalBase64Field, stringField,
  type SigDoc, type SigValidity,
} from './envelope.js'

/** What the verifier requires of a v2 token. `key` is the app secret string, used as its UTF-8 bytes. */
export interface V2Expect {
  sdkAppId: number
  userId: string
  key: string
  /** Current time, Unix seconds. */
  nowSec: number
}

export interface MintV2Input {
  sdkAppId: number
  key: string
  userId: string
  /** Lifetime in seconds, stored as `TLS.expire`. */
  expireSec: number
  /** Issue time, Unix seconds, stored as `TLS.time`. */
  nowSec: number
  /** TRTC PrivateMapKey bytes; stored and signed as standard base64. */
  userbuf?: Uint8Array
}

/** Routing fields of a token, read without verifying anything but their types. */
export interface SigPeek {
  version: 1 | 2
  sdkAppId: number
  identifier: string
  time: number
}

interface V2Fields {
  identifier: string
  sdkAppId: number
  time: number
  expire: number
  userbuf: string | undefined
  sig: Buffer
}

/**
 * Verifies a v2 token. Checks, in this order: decodable with all fields well-typed (else 70003;
 * `''` is 70002), `TLS.sdkappid` (70014), `TLS.identifier` (70013), expiry — expired iff
 * `nowSec > time + expire`, equality still valid (70001) — and the HMAC, compared in constant
 * time (70009). A `TLS.userbuf` is accepted when the HMAC covers it; `TLS.ver` is not checked.
 */
export function verifyUserSigV2(token: string, expect: V2Expect): SigValidity {
  return verifyUserSigV2Doc(decodeToken(token), expect)
}

/** `verifyUserSigV2` on a token already decoded (`decodeToken`), so a caller that peeked inflates once. */
export function verifyUserSigV2Doc(doc: SigDoc, expect: V2Expect): SigValidity {
  const f = readV2Fields(doc)
  if (f.sdkAppId !== expect.sdkAppId) throw new ParleyError('SIG_APP_MISMATCH')
  if (f.identifier !== expect.userId) throw new ParleyError('SIG_USER_MISMATCH')
  if (expect.nowSec > f.time + f.expire) throw new ParleyError('SIG_EXPIRED')
  const mac = hmacV2(expect.key, f)
  if (f.sig.length !== mac.length || !timingSafeEqual(f.sig, mac)) {
    throw new ParleyError('SIG_BAD_SIGNATURE')
  }
  return { time: f.time, expire: f.expire }
}

/**
 * Mints a v2 token exactly as `tls-sig-api-v2@1.0.2` does at clock `nowSec`: compact JSON in key
 * order ver, identifier, sdkappid, time, expire, [userbuf], sig; zlib default level.
 */
export function mintUserSigV2(input: MintV2Input): string {
  const userbuf = input.userbuf === undefined ? undefined : Buffer.from(input.userbuf).toString('base64')
  const fields = {
    identifier: input.userId,
    sdkAppId: input.sdkAppId,
    time: input.nowSec,
    expire: input.expireSec,
    userbuf,
  }
  const doc: Record<string, string | number> = {
    'TLS.ver': '2.0',
    'TLS.identifier': fields.identifier,
    'TLS.sdkappid': fields.sdkAppId,
    'TLS.time': fields.time,
    'TLS.expire': fields.expire,
  }
  if (userbuf !== undefined) doc['TLS.userbuf'] = userbuf
  doc['TLS.sig'] = hmacV2(input.key, fields).toString('base64')
  return encodeToken(JSON.stringify(doc))
}

/**
 * Decodes a v1 or v2 token and returns its routing fields; throws 70002/70003 like the verifiers.
 * The version is `TLS.ver` → 2, `TLS.version` → 1, otherwise the app-id key's spelling
 * (`TLS.sdkappid` → 2, `TLS.sdk_appid` → 1). Proves nothing about authenticity.
 */
export function peekUserSig(token: string): SigPeek {
  return peekUserSigDoc(decodeToken(token))
}

/** `peekUserSig` on a token already decoded (`decodeToken`). */
export function peekUserSigDoc(doc: SigDoc): SigPeek {
  const version = versionOf(doc)
  if (version === 2) {
    return {
      version,
      sdkAppId: integerField(doc, 'TLS.sdkappid'),
      identifier: stringField(doc, 'TLS.identifier'),
      time: integerField(doc, 'TLS.time'),
    }
  }
  return {
    version,
    sdkAppId: decimalField(doc, 'TLS.sdk_appid'),
    identifier: stringField(doc, 'TLS.identifier'),
    time: decimalField(doc, 'TLS.time'),
  }
}

function versionOf(doc: SigDoc): 1 | 2 {
  if (doc['TLS.ver'] !== undefined) return 2
  if (doc['TLS.version'] !== undefined) return 1
  if (doc['TLS.sdkappid'] !== undefined) return 2
  if (doc['TLS.sdk_appid'] !== undefined) return 1
  throw new ParleyError('SIG_MALFORMED', 'no version and no app id')
}

function readV2Fields(doc: SigDoc): V2Fields {
  const sdkAppId = integerField(doc, 'TLS.sdkappid')
  if (sdkAppId < 0) throw new ParleyError('SIG_MALFORMED', 'TLS.sdkappid is negative')
  const userbuf = optionalBase64Field(doc, 'TLS.userbuf')
  const sig = optionalBase64Field(doc, 'TLS.sig')
  if (sig === undefined) throw new ParleyError('SIG_MALFORMED', 'TLS.sig missing')
  return {
    identifier: stringField(doc, 'TLS.identifier'),
    sdkAppId,
    time: integerField(doc, 'TLS.time'),
    expire: integerField(doc, 'TLS.expire'),
    // Go decodes userbuf to bytes and signs their re-encoding; same for every canonical input.
    userbuf: userbuf === undefined ? undefined : Buffer.from(userbuf, 'base64').toString('base64'),
    sig: Buffer.from(sig, 'base64'),
  }
}

/** The v2 MAC: HMAC-SHA256 keyed by the UTF-8 key string over LF-terminated `TLS.…:` lines. */
function hmacV2(key: string, f: Omit<V2Fields, 'sig'>): Buffer {
  let text = `TLS.identifier:${f.identifier}\nTLS.sdkappid:${f.sdkAppId}\n` +
    `TLS.time:${f.time}\nTLS.expire:${f.expire}\n`
  if (f.userbuf !== undefined) text += `TLS.userbuf:${f.userbuf}\n`
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(text, 'utf8').digest()
}
