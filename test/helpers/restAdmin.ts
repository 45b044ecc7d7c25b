/**
 * The app backend's side of an end-to-end test: REST calls as the app admin, with Node's
 * fetch against the real server. Not a test file itself.
 */
import { randomInt } from 'node:crypto'
import type { TestServer } from './server.js'

// REST replies are checked field by field; a loose record keeps the tests readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RestReply = Record<string, any>

/** POSTs `body` to `/v4/{route}` as the app admin; resolves with the parsed reply. */
export async function restCall(server: Pick<TestServer, 'url' | 'app' | 'adminSig'>, route: string, body: unknown): Promise<RestReply> {
  const q = new URLSearchParams({
    sdkappid: String(server.app.sdkAppId), identifier: server.app.admins[0], usersig: server.adminSig(),
    random: String(randomInt(0, 0xffffffff)), contenttype: 'json',
  })
  const res = await fetch(`${server.url}/v4/${route}?${q}`, { method: 'POST', body: JSON.stringify(body) })
  if (res.status !== 200) throw new Error(`HTTP ${res.status} for ${route}`)
  return (await res.json()) as RestReply
}

/** Like `restCall`, but throws unless the reply is OK. */
export async function restOk(server: Pick<TestServer, 'url' | 'app' | 'adminSig'>, route: string, body: unknown): Promise<RestReply> {
  const r = await restCall(server, route, body)
  if (r.ActionStatus !== 'OK' || r.ErrorCode !== 0) throw new Error(`${route} failed: ${r.ErrorCode} ${r.ErrorInfo}`)
  return r
}

export async function importAccounts(server: Pick<TestServer, 'url' | 'app' | 'adminSig'>, ...ids: string[]): Promise<void> {
  const r = await restOk(server, 'im_open_login_svc/multiaccount_import', { Accounts: ids })
  if (r.FailAccounts.length > 0) throw new Error(`import failed: ${r.FailAccounts}`)
}
