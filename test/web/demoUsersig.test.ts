/**
 * GET /demo/usersig on a real node: for the demo app it mints tokens that verify and log in,
 * for any UserID except the app's admins (403, ErrorCode 70402, no token in the answer); a
 * malformed UserID is 400; a node whose apps are configured (no demo app) answers 404.
 */
import t from 'tap'
import { ErrorCatalogue } from '../../src/core/errors.js'
import { verifyUserSigV2 } from '../../src/services/auth/usersigV2.js'
import { RawClient } from '../helpers/rawClient.js'
import { startServer, testApp } from '../helpers/server.js'

interface Refusal { ActionStatus: string; ErrorCode: number; ErrorInfo: string }

t.test('the demo app: user tokens for anyone, admin tokens for nobody', async (t) => {
  const app = testApp({ demo: true, admins: ['administrator', 'ops'] })
  const srv = await startServer({ apps: [app], threads: 1 })
  t.teardown(() => srv.stop())

  const ok = await fetch(`${srv.url}/demo/usersig?userId=alice`)
  t.equal(ok.status, 200)
  t.equal(ok.headers.get('content-type'), 'application/json')
  const minted = await ok.json() as { sdkAppId: number; userId: string; userSig: string }
  t.equal(minted.sdkAppId, app.sdkAppId)
  t.equal(minted.userId, 'alice')
  const validity = verifyUserSigV2(minted.userSig, { sdkAppId: app.sdkAppId, userId: 'alice', key: app.secretKey, nowSec: Math.floor(Date.now() / 1000) })
  t.equal(validity.expire, 86400, 'a one-day token signed with the demo key')
  const c = await RawClient.open(srv.wsUrl)
  t.teardown(() => c.ws.close())
  const login = await c.request('login', { sdkAppId: app.sdkAppId, userId: 'alice', userSig: minted.userSig, platform: 'Web' })
  t.equal(login.ok, true, 'the token logs in')

  for (const admin of app.admins) {
    const r = await fetch(`${srv.url}/demo/usersig?userId=${admin}`)
    t.equal(r.status, 403, `${admin}: refused`)
    t.equal(r.headers.get('content-type'), 'application/json')
    const body = await r.json() as Refusal & { userSig?: string }
    t.equal(body.ActionStatus, 'FAIL')
    t.equal(body.ErrorCode, ErrorCatalogue.INVALID_PARAMS.code)
    t.match(body.ErrorInfo, new RegExp(`${admin} is an App admin.*npx parley usersig ${admin}`), 'says why and where to get one')
    t.notOk('userSig' in body, 'no token in the answer')
  }

  const bad = await fetch(`${srv.url}/demo/usersig?userId=${encodeURIComponent('two words')}`)
  t.equal(bad.status, 400)
  t.equal((await bad.json() as Refusal).ErrorCode, ErrorCatalogue.INVALID_PARAMS.code)
  t.equal((await fetch(`${srv.url}/demo/usersig`)).status, 400, 'no userId is a bad userId')

  t.same(await (await fetch(`${srv.url}/demo/app`)).json(), { sdkAppId: app.sdkAppId })
})

t.test('configured apps: no demo app, /demo/usersig answers 404', async (t) => {
  const srv = await startServer({ threads: 1 })
  t.teardown(() => srv.stop())
  const r = await fetch(`${srv.url}/demo/usersig?userId=alice`)
  t.equal(r.status, 404)
  t.same(await r.json(), { error: 'no demo app' })
  t.same(await (await fetch(`${srv.url}/demo/app`)).json(), { sdkAppId: null })
})
