/** `recentcontact/get_list` and `recentcontact/delete` against a real node. */
import t from 'tap'
import { startServer, type TestServer } from '../helpers/server.js'
import { Device, Rest, textBody, uid } from './fixtures/rest.js'

let server: TestServer
let rest: Rest
t.before(async () => {
  server = await startServer()
  rest = new Rest(server)
})
t.teardown(() => server.stop())

const list = (user: string, extra: Record<string, unknown> = {}) =>
  rest.ok('recentcontact/get_list', { From_Account: user, TimeStamp: 0, StartIndex: 0, TopTimeStamp: 0, TopStartIndex: 0, AssistFlags: 1, ...extra })

t.test('get_list: C2C sessions, newest first, pinned first with TopFlag', async (t) => {
  const [a, b, c] = [uid(), uid(), uid()]
  await rest.importUsers(a, b, c)
  await rest.ok('openim/importmsg', { From_Account: b, To_Account: a, MsgRandom: 1, MsgTimeStamp: 1000, MsgBody: textBody('old'), SyncFromOldSystem: 2 })
  await rest.send(c, a, 'new')
  const r = await list(a)
  t.match(r, { ActionStatus: 'OK', ErrorCode: 0, CompleteFlag: 1, StartIndex: 2, TimeStamp: 0, TopTimeStamp: 0, TopStartIndex: 0 })
  t.match(r.SessionItem, [{ Type: 1, To_Account: c, TopFlag: 0 }, { Type: 1, To_Account: b, MsgTime: 1000, TopFlag: 0 }])

  const dev = await Device.login(server, a)
  t.teardown(() => dev.close())
  t.match(await dev.request('pin', { peer: b, pinned: true }), { ok: true })
  t.match((await list(a)).SessionItem, [{ To_Account: b, TopFlag: 1 }, { To_Account: c, TopFlag: 0 }], 'AssistFlags bit 0: pinned first')
  t.match((await list(a, { AssistFlags: 0 })).SessionItem, [{ To_Account: c, TopFlag: 0 }, { To_Account: b, TopFlag: 0 }], 'without it: time order, no TopFlag')
})

t.test('get_list: pages of 100 from StartIndex', async (t) => {
  const a = uid()
  const peers = Array.from({ length: 101 }, () => uid())
  await rest.importUsers(a, ...peers)
  const r = await rest.ok('openim/batchsendmsg', { From_Account: a, To_Account: peers, MsgRandom: 9, MsgBody: textBody('hi all') })
  t.same(r.ErrorList, [])
  const p1 = await list(a)
  t.match(p1, { CompleteFlag: 0, StartIndex: 100 })
  t.equal(p1.SessionItem.length, 100)
  const p2 = await list(a, { StartIndex: p1.StartIndex })
  t.match(p2, { CompleteFlag: 1, StartIndex: 101 })
  t.equal(p2.SessionItem.length, 1)
  const all = [...p1.SessionItem, ...p2.SessionItem].map((s: { To_Account: string }) => s.To_Account).sort()
  t.same(all, [...peers].sort())
})

t.test('get_list: bad input', async (t) => {
  const [a, ghost] = [uid(), uid()]
  await rest.importUsers(a)
  const cases: [string, Record<string, unknown>, number][] = [
    ['From_Account missing', {}, 50002],
    ['From_Account a number', { From_Account: 1 }, 50002],
    ['StartIndex a string', { From_Account: a, StartIndex: '0' }, 50002],
    ['AssistFlags negative', { From_Account: a, AssistFlags: -1 }, 50002],
    ['not imported', { From_Account: ghost }, 50001],
  ]
  for (const [name, body, code] of cases) {
    t.match(await rest.call('recentcontact/get_list', body), { ActionStatus: 'FAIL', ErrorCode: code }, name)
  }
  t.notOk(await rest.isImported(ghost))
})

t.test('delete: removes the session; ClearRamble 1 clears the user\'s history only', async (t) => {
  const [a, b, c] = [uid(), uid(), uid()]
  await rest.importUsers(a, b, c)
  await rest.send(b, a, 'from b')
  await rest.send(c, a, 'from c')
  t.match(await rest.call('recentcontact/delete', { From_Account: a, Type: 1, To_Account: b, ClearRamble: 1 }), { ActionStatus: 'OK', ErrorCode: 0 })
  t.match((await list(a)).SessionItem, [{ To_Account: c }])
  t.equal((await list(a)).SessionItem.length, 1)
  t.same(await rest.roam(a, b), [], 'a\'s copy is gone')
  t.equal((await rest.roam(b, a)).length, 1, 'b keeps its copy')
  t.match(await rest.call('recentcontact/delete', { From_Account: a, type: 1, To_Account: c }), { ActionStatus: 'OK' }, 'lower-case type')
  t.same((await list(a)).SessionItem, [])
  t.equal((await rest.roam(a, c)).length, 1, 'ClearRamble 0 keeps the history')
})

t.test('delete: bad input', async (t) => {
  const [a, b, ghost] = [uid(), uid(), uid()]
  await rest.importUsers(a, b)
  await rest.send(b, a, 'stay')
  const ok = { From_Account: a, Type: 1, To_Account: b }
  const cases: [string, Record<string, unknown>, number][] = [
    ['Type missing', { Type: undefined }, 50002],
    ['Type 2 (groups not supported yet)', { Type: 2, ToGroupid: 'g1' }, 50002],
    ['Type 3', { Type: 3 }, 50002],
    ['To_Account missing', { To_Account: undefined }, 50002],
    ['ClearRamble 2', { ClearRamble: 2 }, 50002],
    ['not imported', { From_Account: ghost }, 50001],
  ]
  for (const [name, change, code] of cases) {
    t.match(await rest.call('recentcontact/delete', { ...ok, ...change }), { ActionStatus: 'FAIL', ErrorCode: code }, name)
  }
  t.match((await list(a)).SessionItem, [{ To_Account: b }])
  t.equal((await rest.roam(a, b)).length, 1)
})
