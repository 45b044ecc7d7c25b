/**
 * The Parley side of the broadcast benchmark's set-up, over the REST API as the app admin
 * (`administrator`, a v2 UserSig minted here): imports the publisher's account and creates the
 * AVChatRoom it owns. Members join over their own sockets (roomClient.ts).
 */
import { randomInt } from 'node:crypto'
import { mintUserSigV2 } from '../../src/services/auth/usersigV2.js'
import type { BenchApp } from './servers.js'

const ADMIN = 'administrator'

/** POSTs `body` to `/v4/{route}` as the app admin; throws unless the reply is OK. */
export async function restOk(port: number, app: BenchApp, route: string, body: unknown): Promise<Record<string, unknown>> {
  const usersig = mintUserSigV2({ sdkAppId: app.sdkAppId, key: app.secretKey, userId: ADMIN, expireSec: 3600, nowSec: Math.floor(Date.now() / 1000) })
  const q = new URLSearchParams({
    sdkappid: String(app.sdkAppId), identifier: ADMIN, usersig, random: String(randomInt(0, 0xffffffff)), contenttype: 'json',
  })
  const res = await fetch(`http://127.0.0.1:${port}/v4/${route}?${q}`, { method: 'POST', body: JSON.stringify(body) })
  if (res.status !== 200) throw new Error(`HTTP ${res.status} for ${route}`)
  const r = (await res.json()) as Record<string, unknown>
  if (r.ActionStatus !== 'OK' || r.ErrorCode !== 0) throw new Error(`${route} failed: ${String(r.ErrorCode)} ${String(r.ErrorInfo)}`)
  return r
}

/** Imports `owner` and creates an AVChatRoom it owns; resolves with the GroupId. */
export async function createRoom(port: number, app: BenchApp, owner: string): Promise<string> {
  await restOk(port, app, 'im_open_login_svc/account_import', { UserID: owner })
  const r = await restOk(port, app, 'group_open_http_svc/create_group', { Type: 'AVChatRoom', Name: 'broadcast bench', Owner_Account: owner })
  if (typeof r.GroupId !== 'string') throw new Error('create_group answered no GroupId')
  return r.GroupId
}
