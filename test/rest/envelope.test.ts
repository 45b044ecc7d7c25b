/**
 * The REST pipeline against a real node: routing, authentication, body limits and JSON,
 * each answered with its code and changing nothing.
 */
import { mintUserSigV2 } from '../../src/services/auth/usersigV2.js'
import t from 'tap'
import { startServer, type TestServer } from '../helpers/server.js'
import { Rest, uid } from './fixtures/rest.js'

const MaxBody = 4096
let server: TestServer
let rest: Rest
t.before(async () => {
  server = await startServer({ config: { restMaxBodyBytes: MaxBody } })
  rest = new Rest(server)
})
t.teardown(() => server.stop())

const importRoute = 'im_open_login_svc/account_import'

t.test('a good call: HTTP 200, JSON, the envelope first', async (t) => {
  const id = uid()
  const res = await fetch(rest.url(importRoute), { method: 'POST', body: JSON.stringify({ UserID: id }) })
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^application\/json/)
  const text = await res.text()
  t.equal(text, '{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}')
  t.ok(await rest.isImported(id))
})

t.test('query keys are case-insensitive and random is optional', async (t) => {
  const id = uid()
  const q = `SdkAppId=${server.app.sdkAppId}&Identifier=${server.app.admins[0]}&UserSig=${server.adminSig()}&ContentType=JSON`
  const res = await fetch(`${server.url}/v4/${importRoute}?${q}`, { method: 'POST', body: JSON.stringify({ UserID: id }) })
  t.match(await res.json(), { ActionStatus: 'OK', ErrorCode: 0 })
  t.ok(await rest.isImported(id))
})

t.test('method and path', async (t) => {
  t.match(await rest.call(importRoute, {}, { method: 'GET' }), { ActionStatus: 'FAIL', ErrorCode: 60002 })
  t.match(await rest.call(importRoute, { UserID: 'x' }, { method: 'PUT' }), { ErrorCode: 60002 })
  t.match(await rest.call('openim', {}), { ActionStatus: 'FAIL', ErrorCode: 60009 })
  t.match(await rest.call('openim/sendmsg/extra', {}), { ErrorCode: 60009 })
  t.match(await rest.call('openim/no_such_command', {}), { ErrorCode: 60009 })
  t.match(await rest.call('constructor/__proto__', {}), { ErrorCode: 60009 })
})

t.test('authentication failures, each changing nothing', async (t) => {
  const id = uid()
  const call = (query: Record<string, string | null>) => rest.call(importRoute, { UserID: id }, { query })
  const app = server.app
  const now = Math.floor(Date.now() / 1000)
  const cases: [string, Record<string, string | null>, number][] = [
    ['sdkappid missing', { sdkappid: null }, 60006],
    ['sdkappid not a number', { sdkappid: 'abc' }, 60006],
    ['unknown sdkappid', { sdkappid: String(app.sdkAppId + 1) }, 60006],
    ['contenttype not json', { contenttype: 'xml' }, 60002],
    ['identifier missing', { identifier: null }, 60004],
    ['usersig missing', { usersig: null }, 70002],
    ['usersig garbage', { usersig: 'not-a-sig' }, 70003],
    ['usersig of another user', { usersig: server.userSig('someone') }, 70013],
    ['usersig with a wrong key', {
      usersig: mintUserSigV2({ sdkAppId: app.sdkAppId, key: 'wrong', userId: app.admins[0], expireSec: 60, nowSec: now }),
    }, 70009],
    ['expired usersig', {
      usersig: mintUserSigV2({ sdkAppId: app.sdkAppId, key: app.secretKey, userId: app.admins[0], expireSec: 10, nowSec: now - 100 }),
    }, 70001],
    ['identifier not an admin (valid sig)', { identifier: 'alice', usersig: server.userSig('alice') }, 60010],
  ]
  for (const [name, query, code] of cases) {
    t.match(await call(query), { ActionStatus: 'FAIL', ErrorCode: code }, name)
  }
  t.notOk(await rest.isImported(id), 'no call imported the account')
})

t.test('body JSON', async (t) => {
  const id = uid()
  t.match(await rest.call(importRoute, null, { raw: `{"UserID":"${id}"` }), { ErrorCode: 60003 }, 'truncated')
  t.match(await rest.call(importRoute, null, { raw: '' }), { ErrorCode: 60003 }, 'empty')
  t.match(await rest.call(importRoute, null, { raw: `["${id}"]` }), { ErrorCode: 60003 }, 'array')
  t.match(await rest.call(importRoute, null, { raw: '42' }), { ErrorCode: 60003 }, 'number')
  t.match(await rest.call('openim/sendmsg', null, { raw: '{nope' }), { ErrorCode: 60003 }, 'openim answers 60003 too')
  t.notOk(await rest.isImported(id))
})

t.test('body size limit', async (t) => {
  const id = uid()
  const big = JSON.stringify({ UserID: id, Nick: 'x'.repeat(MaxBody) })
  t.match(await rest.call(importRoute, null, { raw: big }), { ActionStatus: 'FAIL', ErrorCode: 60008 }, 'Content-Length above the limit')
  const chunks = [big.slice(0, 1000), big.slice(1000, 3000), big.slice(3000)].map((s) => new TextEncoder().encode(s))
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk)
      c.close()
    },
  })
  t.match(await rest.call(importRoute, null, { raw: stream }), { ErrorCode: 60008 }, 'chunked body above the limit')
  t.notOk(await rest.isImported(id))
  const fits = JSON.stringify({ UserID: id, Nick: 'n'.repeat(400) })
  t.match(await rest.call(importRoute, null, { raw: fits }), { ActionStatus: 'OK' }, 'a body under the limit still works')
})

t.test('a client that goes away mid-request does not disturb the server', async (t) => {
  const ac = new AbortController()
  const never = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode('{"UserID":'))
    },
  })
  const p = fetch(rest.url(importRoute), { method: 'POST', body: never, duplex: 'half', signal: ac.signal } as RequestInit)
  ac.abort()
  await t.rejects(p)
  const id = uid()
  t.match(await rest.call(importRoute, { UserID: id }), { ActionStatus: 'OK' })
})
