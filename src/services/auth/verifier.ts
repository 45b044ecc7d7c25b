/**
 * The one entry point for UserSig checks: picks v1 or v2 from the token, finds the app's key,
 * verifies v2 inline (one HMAC, microseconds) and v1 on the sig pool (ECDSA, kept off the main thread).
 */
import { ParleyError } from '../../core/errors.js'
import type { SigPool } from './sigPool.js'
import { decodeToken, type SigValidity } from './envelope.js'
import { peekUserSigDoc, verifyUserSigV2Doc } from './usersigV2.js'

/** An app's verification keys; an app may hold either or both. */
export interface AppSigKeys {
  /** v2 secret key string (HMAC key = its UTF-8 bytes). */
  secretKey?: string
  /** v1 EC public key, SPKI PEM. */
  publicKeyPem?: string
}

export interface UserSigVerifierDeps {
  pool: Pick<SigPool, 'verifyV1'>
  /** The app's keys, or undefined if the app does not exist. Called once per `verify`. */
  getApp(sdkAppId: number): AppSigKeys | undefined
}

export interface VerifiedSig extends SigValidity {
  version: 1 | 2
}

export interface UserSigVerifier {
  /**
   * Resolves iff `token` is a valid UserSig for `userId` in app `sdkAppId` at `nowSec` (Unix
   * seconds). Rejects with a ParleyError: 70020 unknown app (checked first), 70002/70003 empty or
   * malformed, 70014/70013/70001/70009 as the per-version verifiers, 70009 also when the app has no
   * key for the token's version; v1 adds the pool's BUSY/SHUTTING_DOWN/INTERNAL.
   */
  verify(token: string, expect: { sdkAppId: number; userId: string; nowSec: number }): Promise<VerifiedSig>
}

export function createUserSigVerifier(deps: UserSigVerifierDeps): UserSigVerifier {
  async function verify(
    token: string,
    expect: { sdkAppId: number; userId: string; nowSec: number },
  ): Promise<VerifiedSig> {
    const app = deps.getApp(expect.sdkAppId)
    if (app === undefined) throw new ParleyError('SIG_UNKNOWN_APP')
    // Decoded (base64, inflate, JSON) once: the peek and the v2 check share the document.
    const doc = decodeToken(token)
    const { version } = peekUserSigDoc(doc)
    if (version === 2) {
      if (app.secretKey === undefined) throw new ParleyError('SIG_BAD_SIGNATURE', 'app has no v2 secret key')
      return { ...verifyUserSigV2Doc(doc, { ...expect, key: app.secretKey }), version }
    }
    if (app.publicKeyPem === undefined) throw new ParleyError('SIG_BAD_SIGNATURE', 'app has no v1 public key')
    return { ...(await deps.pool.verifyV1(token, { ...expect, publicKeyPem: app.publicKeyPem })), version }
  }
  return { verify }
}
