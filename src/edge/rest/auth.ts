/**
 * Authentication of a REST call from its query string (docs/tencent-compat.md §2.1):
 * `?sdkappid=…&identifier={App admin}&usersig={admin's UserSig}&random=…&contenttype=json`.
 *
 * Checks, in order, each with its code:
 * - `sdkappid` missing, not a decimal u32, or not a configured app → 60006. (The verifier's
 *   70020 means the same for socket logins; REST answers 60006, Tencent's code for an
 *   invalid SDKAppID in the REST envelope, before any signature work.)
 * - `contenttype` present and not `json` → 60002 (Parley speaks JSON only).
 * - `identifier` missing or not a valid UserID → 60004.
 * - `usersig` checked by the UserSig verifier → its 700xx code (70002 empty, 70003 malformed,
 *   70001 expired, 70009 bad signature, 70013/70014 user/app mismatch).
 * - `identifier` not one of the app's admins → 60010 (checked after the signature, so an
 *   unauthenticated caller learns nothing about who the admins are).
 * `random` is accepted and ignored: Tencent uses it for nothing a client can observe.
 * Query keys are matched case-insensitively; the first occurrence of a key wins.
 */
import type { AppRegistry } from '../../model/apps.js'
import { ParleyError } from '../../core/errors.js'
import { isUserId } from '../../core/ids.js'

/** The part of the UserSig verifier REST needs; resolves iff the token is valid. */
export interface RestSigVerifier {
  verify(token: string, expect: { sdkAppId: number; userId: string; nowSec: number }): Promise<unknown>
}

/** Who is calling: the app and the admin identifier, both verified. */
export interface RestCaller {
  app: number
  admin: string
}

/** Parses a raw query string (without `?`) into lower-cased keys; the first value wins. */
export function parseQuery(raw: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of new URLSearchParams(raw)) {
    const key = k.toLowerCase()
    if (!out.has(key)) out.set(key, v)
  }
  return out
}

export async function authenticate(
  d: { apps: AppRegistry; verifier: RestSigVerifier }, query: Map<string, string>, nowSec: number,
): Promise<RestCaller> {
  const appText = query.get('sdkappid') ?? ''
  const app = /^[0-9]{1,10}$/.test(appText) ? Number(appText) : NaN
  if (!(app > 0 && app <= 0xffffffff) || d.apps.get(app) === undefined) {
    throw new ParleyError('REST_BAD_SDKAPPID', appText === '' ? 'sdkappid missing' : `sdkappid ${appText.slice(0, 20)}`)
  }
  const contentType = query.get('contenttype')
  if (contentType !== undefined && contentType.toLowerCase() !== 'json') {
    throw new ParleyError('REST_BAD_URL', 'contenttype must be json')
  }
  const admin = query.get('identifier') ?? ''
  if (!isUserId(admin)) throw new ParleyError('REST_BAD_IDENTIFIER', 'identifier missing or not a valid UserID')
  await d.verifier.verify(query.get('usersig') ?? '', { sdkAppId: app, userId: admin, nowSec })
  if (!d.apps.isAdmin(app, admin)) throw new ParleyError('REST_NOT_ADMIN', admin)
  return { app, admin }
}
