/**
 * `openim/admin_getroammsg`, `admin_msgwithdraw`, `admin_set_msg_read` and
 * `get_c2c_unread_msg_num` against a real node.
 */
import t from 'tap'
import { startServer, type TestServer } from '../helpers/server.js'
import { Rest, textBody, uid } from './fixtures/rest.js'

let server: TestServer
let rest: Rest
t.before(async () => {
  server = await startServer()
  rest = new Rest(server)
})
t.teardown(() => server.stop())

const texts = (list: { MsgBody: { MsgContent: { Text: string } }[] }[]) => list.map((m) => m.MsgBody[0].MsgContent.Text)

async function importAt(from: string, to: string, text: string, time: number, mode = 2): Promise<void> {
  await rest.ok('openim/importmsg', {
    From_Account: from, To_Account: to, MsgRandom: time, MsgTimeStamp: time, MsgBody: textBody(text), SyncFromOldSystem: mode,
  })
}

t.test('admin_getroammsg pages newest first with LastMsgKey until Complete', async (t) => {
  const [a, b] = [uid(), uid()]
  await rest.importUsers(a, b)
  for (const n of [1, 2, 3, 4, 5]) await rest.send(a, b, `m${n}`)
  const page = (extra: Record<string, unknown>) => rest.ok('openim/admin_getroammsg', { Operator_Account: b, Peer_Account: a, MaxCnt: 2, ...extra })
  const p1 = await page({})
  t.match(p1, { Complete: 0, MsgCnt: 2 })
  t.same(texts(p1.MsgList), ['m5', 'm4'])
  t.equal(p1.LastMsgKey, p1.MsgList[1].MsgKey)
  t.equal(p1.LastMsgTime, p1.MsgList[1].MsgTimeStamp)
  const p2 = await page({ LastMsgKey: p1.LastMsgKey, MaxTime: p1.LastMsgTime })
  t.same(texts(p2.MsgList), ['m3', 'm2'])
  t.equal(p2.Complete, 0)
  const p3 = await page({ LastMsgKey: p2.LastMsgKey, MaxTime: p2.LastMsgTime })
  t.same(texts(p3.MsgList), ['m1'])
  t.match(p3, { Complete: 1, MsgCnt: 1 })
  const exact = await rest.ok('openim/admin_getroammsg', { Operator_Account: b, Peer_Account: a, MaxCnt: 5 })
  t.match(exact, { Complete: 1, MsgCnt: 5 }, 'a page that holds exactly the rest is complete')
  t.match(exact.MsgList[0], {
    From_Account: a, To_Account: b, MsgSeq: Number, MsgRandom: Number, MsgTimeStamp: Number,
    MsgFlagBits: 0, IsPeerRead: 0, MsgKey: String, CloudCustomData: '',
  })
})

t.test('admin_getroammsg: continuation past hundreds of messages in one second', async (t) => {
  const [a, b] = [uid(), uid()]
  await rest.importUsers(a, b)
  const second = 1_700_000_000
  const total = 230
  for (let i = 0; i < total; i++) {
    await rest.ok('openim/importmsg', {
      From_Account: a, To_Account: b, MsgRandom: i + 1, MsgTimeStamp: second, MsgBody: textBody(`n${i}`), SyncFromOldSystem: 2,
    })
  }
  const seen: string[] = []
  const completes: number[] = []
  let cursor: Record<string, unknown> = {}
  for (;;) {
    const p = await rest.ok('openim/admin_getroammsg', { Operator_Account: a, Peer_Account: b, MaxCnt: 100, ...cursor })
    seen.push(...texts(p.MsgList))
    completes.push(p.Complete)
    if (p.Complete === 1) break
    cursor = { LastMsgKey: p.LastMsgKey, MaxTime: p.LastMsgTime }
  }
  t.same(completes, [0, 0, 1])
  t.same(seen, Array.from({ length: total }, (_, i) => `n${total - 1 - i}`), 'every message once, newest first')
})

t.test('admin_getroammsg: MinTime/MaxTime and the old From_Account/To_Account spelling', async (t) => {
  const [a, b] = [uid(), uid()]
  await rest.importUsers(a, b)
  for (const [text, time] of [['t1', 1000], ['t2', 2000], ['t3', 3000]] as const) await importAt(a, b, text, time)
  const mid = await rest.ok('openim/admin_getroammsg', { Operator_Account: a, Peer_Account: b, MaxCnt: 10, MinTime: 1500, MaxTime: 2500 })
  t.same(texts(mid.MsgList), ['t2'])
  const old = await rest.ok('openim/admin_getroammsg', { From_Account: a, To_Account: b, MaxCnt: 10, MinTime: 0, MaxTime: 3000 })
  t.same(texts(old.MsgList), ['t3', 't2', 't1'])
  t.match(old, { Complete: 1, MsgCnt: 3, LastMsgTime: 1000 })
})

t.test('admin_getroammsg: bad input', async (t) => {
  const [a, b, ghost] = [uid(), uid(), uid()]
  await rest.importUsers(a, b)
  const ok = { Operator_Account: a, Peer_Account: b, MaxCnt: 10 }
  const cases: [string, Record<string, unknown>, number][] = [
    ['MaxCnt missing', { MaxCnt: undefined }, 90010],
    ['MaxCnt a string', { MaxCnt: '10' }, 90010],
    ['MaxCnt 0', { MaxCnt: 0 }, 90010],
    ['MinTime negative', { MinTime: -5 }, 90010],
    ['LastMsgKey not a MsgKey', { LastMsgKey: 'nope' }, 90010],
    ['Operator_Account missing', { Operator_Account: undefined }, 90008],
    ['Peer_Account a number', { Peer_Account: 3 }, 90003],
    ['operator not imported', { Operator_Account: ghost }, 70107],
    ['peer not imported', { Peer_Account: ghost }, 70107],
  ]
  for (const [name, change, code] of cases) {
    t.match(await rest.call('openim/admin_getroammsg', { ...ok, ...change }), { ActionStatus: 'FAIL', ErrorCode: code }, name)
  }
  t.notOk(await rest.isImported(ghost))
})

t.test('admin_msgwithdraw recalls in both views at any age', async (t) => {
  const [a, b] = [uid(), uid()]
  await rest.importUsers(a, b)
  await importAt(a, b, 'ancient', 1000, 1)
  const sent = await rest.send(a, b, 'oops')
  t.match(await rest.unread(b), { AllC2CUnreadMsgNum: 2 })
  t.match(await rest.call('openim/admin_msgwithdraw', { From_Account: a, To_Account: b, MsgKey: sent.MsgKey }), { ActionStatus: 'OK', ErrorCode: 0 })
  const ancientKey = (await rest.roam(a, b))[1].MsgKey
  t.match(await rest.call('openim/admin_msgwithdraw', { From_Account: a, To_Account: b, MsgKey: ancientKey }), { ActionStatus: 'OK' }, 'an old message too')
  for (const [owner, peer] of [[a, b], [b, a]]) {
    t.match(await rest.roam(owner, peer), [{ MsgKey: sent.MsgKey, MsgFlagBits: 8, MsgBody: [] }, { MsgKey: ancientKey, MsgFlagBits: 8, MsgBody: [] }])
  }
  t.match(await rest.unread(b), { AllC2CUnreadMsgNum: 0 }, 'recalled messages no longer count as unread')
  t.match(await rest.call('openim/admin_msgwithdraw', { From_Account: a, To_Account: b, MsgKey: sent.MsgKey }), { ActionStatus: 'OK' }, 'idempotent')
})

t.test('admin_msgwithdraw: bad input', async (t) => {
  const [a, b, c, ghost] = [uid(), uid(), uid(), uid()]
  await rest.importUsers(a, b, c)
  const sent = await rest.send(a, b, 'keep me')
  const ok = { From_Account: a, To_Account: b, MsgKey: sent.MsgKey }
  const cases: [string, Record<string, unknown>, number][] = [
    ['unknown MsgKey', { MsgKey: '1_2_3' }, 9010],
    ['MsgKey of another conversation', { To_Account: c }, 9010],
    ['MsgKey a number', { MsgKey: 5 }, 90010],
    ['MsgKey empty', { MsgKey: '' }, 90010],
    ['From_Account not imported', { From_Account: ghost }, 70107],
    ['To_Account missing', { To_Account: undefined }, 90003],
  ]
  for (const [name, change, code] of cases) {
    t.match(await rest.call('openim/admin_msgwithdraw', { ...ok, ...change }), { ActionStatus: 'FAIL', ErrorCode: code }, name)
  }
  t.match(await rest.roam(b, a), [{ MsgKey: sent.MsgKey, MsgFlagBits: 0, MsgBody: textBody('keep me') }])
})

t.test('admin_set_msg_read: unread drops, the peer sees IsPeerRead', async (t) => {
  const [a, b] = [uid(), uid()]
  await rest.importUsers(a, b)
  const now = Math.floor(Date.now() / 1000)
  await importAt(a, b, 'first', now - 200, 1)
  await importAt(a, b, 'second', now - 100, 1)
  t.match(await rest.unread(b), { AllC2CUnreadMsgNum: 2 })
  t.match(await rest.call('openim/admin_set_msg_read', { Report_Account: b, Peer_Account: a, MsgReadTime: now - 150 }), { ActionStatus: 'OK' })
  t.match(await rest.unread(b), { AllC2CUnreadMsgNum: 1 }, 'read up to MsgReadTime')
  t.same((await rest.roam(a, b)).map((m) => m.IsPeerRead), [0, 1])
  t.match(await rest.call('openim/admin_set_msg_read', { Report_Account: b, Peer_Account: a }), { ActionStatus: 'OK' })
  t.match(await rest.unread(b), { AllC2CUnreadMsgNum: 0 }, 'no MsgReadTime: everything')
  t.same((await rest.roam(a, b)).map((m) => m.IsPeerRead), [1, 1])
})

t.test('admin_set_msg_read: bad input', async (t) => {
  const [a, b, ghost] = [uid(), uid(), uid()]
  await rest.importUsers(a, b)
  await rest.send(a, b, 'unread')
  const ok = { Report_Account: b, Peer_Account: a }
  const cases: [string, Record<string, unknown>, number][] = [
    ['Report_Account missing', { Report_Account: undefined }, 90010],
    ['Peer_Account a list', { Peer_Account: [a] }, 90010],
    ['MsgReadTime a string', { MsgReadTime: 'now' }, 90010],
    ['peer not imported', { Peer_Account: ghost }, 70107],
  ]
  for (const [name, change, code] of cases) {
    t.match(await rest.call('openim/admin_set_msg_read', { ...ok, ...change }), { ActionStatus: 'FAIL', ErrorCode: code }, name)
  }
  t.match(await rest.unread(b), { AllC2CUnreadMsgNum: 1 })
})

t.test('get_c2c_unread_msg_num: total, per peer, ErrorList', async (t) => {
  const [a, b, c, ghost] = [uid(), uid(), uid(), uid()]
  await rest.importUsers(a, b, c)
  await rest.send(a, b, '1')
  await rest.send(a, b, '2')
  await rest.send(c, b, '3')
  const all = await rest.ok('openim/get_c2c_unread_msg_num', { To_Account: b })
  t.equal(all.AllC2CUnreadMsgNum, 3)
  t.same(all.C2CUnreadMsgNumList.sort((x: { Peer_Account: string }, y: { Peer_Account: string }) => (x.Peer_Account < y.Peer_Account ? -1 : 1)),
    [{ Peer_Account: a, C2CUnreadMsgNum: 2 }, { Peer_Account: c, C2CUnreadMsgNum: 1 }].sort((x, y) => (x.Peer_Account < y.Peer_Account ? -1 : 1)))
  t.same(all.ErrorList, [])
  const some = await rest.ok('openim/get_c2c_unread_msg_num', { To_Account: b, Peer_Account: [a, ghost, 'bad id'] })
  t.equal(some.AllC2CUnreadMsgNum, 3, 'the total is over all conversations')
  t.same(some.C2CUnreadMsgNumList, [{ Peer_Account: a, C2CUnreadMsgNum: 2 }])
  t.same(some.ErrorList, [{ Peer_Account: ghost, ErrorCode: 70107 }, { Peer_Account: 'bad id', ErrorCode: 70107 }])
})

t.test('get_c2c_unread_msg_num: bad input', async (t) => {
  const [a, ghost] = [uid(), uid()]
  await rest.importUsers(a)
  const cases: [string, Record<string, unknown>, number][] = [
    ['To_Account missing', {}, 90003],
    ['To_Account not imported', { To_Account: ghost }, 70107],
    ['Peer_Account a string', { To_Account: a, Peer_Account: a }, 90010],
    ['101 peers', { To_Account: a, Peer_Account: Array.from({ length: 101 }, () => a) }, 70206],
  ]
  for (const [name, body, code] of cases) {
    t.match(await rest.call('openim/get_c2c_unread_msg_num', body), { ActionStatus: 'FAIL', ErrorCode: code }, name)
  }
  t.notOk(await rest.isImported(ghost))
})
