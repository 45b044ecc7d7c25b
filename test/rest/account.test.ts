/**
 * `im_open_login_svc/*` and `openim/query_online_status` / `querystate` against a real node:
 * success paths, old and new spellings, and bad input that is answered with its code and
 * changes nothing.
 */
import t from 'tap'
import { mintUserSigV2 } from '../../src/services/auth/usersigV2.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { Device, Rest, uid } from './fixtures/rest.js'

let server: TestServer
let rest: Rest
t.before(async () => {
  server = await startServer()
  rest = new Rest(server)
})
t.teardown(() => server.stop())

const svc = (c: string) => `im_open_login_svc/${c}`

t.test('account_import: UserID (new) and Identifier (old), with Nick and FaceUrl', async (t) => {
  const [a, b] = [uid(), uid()]
  t.match(await rest.call(svc('account_import'), { UserID: a, Nick: 'Ann', FaceUrl: 'https://x/a.png' }), { ActionStatus: 'OK', ErrorCode: 0 })
  t.match(await rest.call(svc('account_import'), { Identifier: b }), { ActionStatus: 'OK' })
  t.ok(await rest.isImported(a))
  t.ok(await rest.isImported(b))
  t.match(await rest.call(svc('account_import'), { UserID: a, Nick: 'Again' }), { ActionStatus: 'OK' }, 'importing twice is fine')
})

t.test('account_import: bad fields → 70402, nothing imported', async (t) => {
  const a = uid()
  const cases: [string, unknown][] = [
    ['UserID missing', { Nick: 'x' }],
    ['UserID a number', { UserID: 42 }],
    ['UserID too long', { UserID: 'x'.repeat(33) }],
    ['UserID with a space', { UserID: 'a b' }],
    ['UserID reserved for the server', { UserID: '@TIM#SYSTEM' }],
    ['Nick a number', { UserID: a, Nick: 7 }],
    ['Nick above 500 bytes', { UserID: a, Nick: 'é'.repeat(251) }],
    ['FaceUrl an object', { UserID: a, FaceUrl: {} }],
  ]
  for (const [name, body] of cases) t.match(await rest.call(svc('account_import'), body), { ActionStatus: 'FAIL', ErrorCode: 70402 }, name)
  t.notOk(await rest.isImported(a))
})

t.test('multiaccount_import: FailAccounts lists ids that cannot be imported', async (t) => {
  const ids = [uid(), uid(), uid()]
  const r = await rest.call(svc('multiaccount_import'), { Accounts: [...ids, 'bad id', '@TIM#SYSTEM'] })
  t.match(r, { ActionStatus: 'OK', ErrorCode: 0, FailAccounts: ['bad id', '@TIM#SYSTEM'] })
  for (const id of ids) t.ok(await rest.isImported(id))
  t.notOk(await rest.isImported('@TIM#SYSTEM'), 'the server\'s own UserID is not imported')
})

t.test('multiaccount_import: batch size and types', async (t) => {
  const ids = Array.from({ length: 101 }, () => uid())
  t.match(await rest.call(svc('multiaccount_import'), { Accounts: ids }), { ErrorCode: 70206 }, '101 accounts')
  t.match(await rest.call(svc('multiaccount_import'), { Accounts: [] }), { ErrorCode: 70206 }, 'no accounts')
  t.match(await rest.call(svc('multiaccount_import'), { Accounts: [ids[0], 5] }), { ErrorCode: 70402 }, 'a number among them')
  t.match(await rest.call(svc('multiaccount_import'), { Accounts: ids[0] }), { ErrorCode: 70402 }, 'not an array')
  t.notOk(await rest.isImported(ids[0]), 'nothing was imported')
})

t.test('account_check: Imported / NotImported per item', async (t) => {
  const [a, ghost] = [uid(), uid()]
  await rest.importUsers(a)
  const r = await rest.call(svc('account_check'), { CheckItem: [{ UserID: a }, { UserID: ghost }, { UserID: 'not valid!!' + 'x'.repeat(40) }] })
  t.match(r, { ActionStatus: 'OK', ErrorCode: 0 })
  t.same(r.ResultItem, [
    { UserID: a, ResultCode: 0, ResultInfo: '', AccountStatus: 'Imported' },
    { UserID: ghost, ResultCode: 0, ResultInfo: '', AccountStatus: 'NotImported' },
    { UserID: 'not valid!!' + 'x'.repeat(40), ResultCode: 0, ResultInfo: '', AccountStatus: 'NotImported' },
  ])
  t.match(await rest.call(svc('account_check'), { CheckItem: Array.from({ length: 101 }, () => ({ UserID: a })) }), { ErrorCode: 70206 })
  t.match(await rest.call(svc('account_check'), { CheckItem: [a] }), { ErrorCode: 70402 }, 'items must be maps')
  t.match(await rest.call(svc('account_check'), { CheckItem: [{ UserID: 1 }] }), { ErrorCode: 70402 })
  t.match(await rest.call(svc('account_check'), {}), { ErrorCode: 70402 })
  t.notOk(await rest.isImported(ghost), 'checking does not import')
})

t.test('account_delete: ResultItem per account, 70107 for unknown ones', async (t) => {
  const [a, b, ghost] = [uid(), uid(), uid()]
  await rest.importUsers(a, b)
  const r = await rest.call(svc('account_delete'), { DeleteItem: [{ UserID: a }, { UserID: ghost }] })
  t.match(r, { ActionStatus: 'OK', ErrorCode: 0 })
  t.match(r.ResultItem, [{ UserID: a, ResultCode: 0, ResultInfo: '' }, { UserID: ghost, ResultCode: 70107 }])
  t.notOk(await rest.isImported(a))
  t.ok(await rest.isImported(b), 'the other account is untouched')
  t.match(await rest.call(svc('account_delete'), { DeleteItem: [{ UserID: b }, { Nope: 1 }] }), { ErrorCode: 70402 }, 'an item without UserID')
  t.match(await rest.call(svc('account_delete'), { DeleteItem: [] }), { ErrorCode: 70206 })
  t.ok(await rest.isImported(b), 'the failed calls deleted nothing')
})

t.test('kick: closes the user\'s sockets and invalidates earlier UserSigs', async (t) => {
  const a = uid()
  await rest.importUsers(a)
  const oldSig = server.userSig(a)
  const nowSec = Math.floor(Date.now() / 1000)
  const earlierSig = mintUserSigV2({ sdkAppId: server.app.sdkAppId, key: server.app.secretKey, userId: a, expireSec: 3600, nowSec: nowSec - 10 })
  const dev = await Device.login(server, a, 'Web', oldSig)
  t.match(await rest.call(svc('kick'), { UserID: a }), { ActionStatus: 'OK' })
  const closed = await dev.closed
  t.equal(closed.code, 4002, 'closed as kicked by the admin')
  await t.rejects(Device.login(server, a, 'Web', earlierSig), { code: 70052 }, 'a sig minted before the kick is refused')
  const fresh = await Device.login(server, a, 'Web', server.userSig(a))
  await fresh.close()
  t.match(await rest.call(svc('kick'), { Identifier: a }), { ActionStatus: 'OK' }, 'old spelling')
})

t.test('kick: unknown user → 70107 and stays not imported', async (t) => {
  const ghost = uid()
  t.match(await rest.call(svc('kick'), { UserID: ghost }), { ActionStatus: 'FAIL', ErrorCode: 70107 })
  t.match(await rest.call(svc('kick'), { UserID: ['x'] }), { ErrorCode: 70402 })
  t.notOk(await rest.isImported(ghost))
})

t.test('query_online_status and querystate', async (t) => {
  const [on, off, ghost] = [uid(), uid(), uid()]
  await rest.importUsers(off)
  const web = await Device.login(server, on, 'Web')
  const ios = await Device.login(server, on, 'iOS')
  t.teardown(async () => {
    await web.close()
    await ios.close()
  })
  const targets = [on, off, ghost, 'bad id']
  const q = await rest.call('openim/query_online_status', { To_Account: targets })
  t.match(q, { ActionStatus: 'OK', ErrorCode: 0 })
  t.same(q.QueryResult, [{ To_Account: on, Status: 'Online' }, { To_Account: off, Status: 'Offline' }])
  t.same(q.ErrorList, [{ To_Account: ghost, ErrorCode: 70107 }, { To_Account: 'bad id', ErrorCode: 70107 }])

  const d = await rest.call('openim/query_online_status', { To_Account: [on, off], IsNeedDetail: 1 })
  t.same(d.QueryResult[0].Detail.map((x: { Platform: string }) => x.Platform).sort(), ['Web', 'iPhone'])
  t.match(d.QueryResult[0].Detail, [{ Status: 'Online' }, { Status: 'Online' }])
  t.same(d.QueryResult[1].Detail, [])

  const old = await rest.call('openim/querystate', { To_Account: [on, off, ghost] })
  t.match(old, { ActionStatus: 'OK' })
  t.same(old.QueryResult, [{ To_Account: on, State: 'Online', Status: 'Online' }, { To_Account: off, State: 'Offline', Status: 'Offline' }])
  t.same(old.ErrorList, [{ To_Account: ghost, ErrorCode: 70107 }])
})

t.test('query_online_status: bad input', async (t) => {
  const a = uid()
  const many = Array.from({ length: 501 }, () => a)
  t.match(await rest.call('openim/query_online_status', { To_Account: many }), { ErrorCode: 70206 }, '501 targets')
  t.match(await rest.call('openim/query_online_status', { To_Account: a }), { ErrorCode: 70402 }, 'not an array')
  t.match(await rest.call('openim/query_online_status', { To_Account: [1] }), { ErrorCode: 70402 }, 'a number')
  t.match(await rest.call('openim/query_online_status', { To_Account: [a], IsNeedDetail: 2 }), { ErrorCode: 70402 })
  t.match(await rest.call('openim/querystate', {}), { ErrorCode: 70402 })
  t.notOk(await rest.isImported(a))
})
