/**
 * `openim/sendmsg`, `batchsendmsg` and `importmsg` against a real node: what each stores in
 * both views, and bad input answered with its code and storing nothing.
 */
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

const admin = () => server.app.admins[0]

t.test('sendmsg from a user: MsgTime, MsgKey, MsgId; both views; unread', async (t) => {
  const [a, b] = [uid(), uid()]
  await rest.importUsers(a, b)
  const dev = await Device.login(server, b)
  t.teardown(() => dev.close())
  const r = await rest.call('openim/sendmsg', {
    From_Account: a, To_Account: b, MsgRandom: 1234, MsgSeq: 77, MsgBody: textBody('hi'), CloudCustomData: 'cc', IsNeedReadReceipt: 1,
  })
  t.match(r, { ActionStatus: 'OK', ErrorCode: 0, MsgTime: Number, MsgKey: String, MsgId: String })
  t.equal(r.MsgKey, `77_1234_${r.MsgTime}`)
  t.equal(r.MsgId, r.MsgKey)
  const ev = await dev.next((f) => f.op === 'ev' && f.ev.type === 'msg')
  t.equal(ev.ev.msg.msgKey, r.MsgKey, 'the online receiver got it pushed')
  for (const [owner, peer] of [[a, b], [b, a]]) {
    t.match(await rest.roam(owner, peer), [{ From_Account: a, To_Account: b, MsgKey: r.MsgKey, MsgBody: textBody('hi'), CloudCustomData: 'cc', MsgFlagBits: 0 }])
  }
  t.match(await rest.unread(b), { AllC2CUnreadMsgNum: 1 })
})

t.test('sendmsg without From_Account is sent as the admin (imported on first use)', async (t) => {
  const b = uid()
  await rest.importUsers(b)
  const r = await rest.call('openim/sendmsg', { To_Account: b, MsgRandom: 1, MsgBody: textBody('from admin') })
  t.match(r, { ActionStatus: 'OK' })
  t.match(await rest.roam(b, admin()), [{ From_Account: admin(), MsgKey: r.MsgKey }])
  t.ok(await rest.isImported(admin()))
})

t.test('sendmsg to or from the server\'s @TIM#SYSTEM → 20003, nothing stored', async (t) => {
  const a = uid()
  await rest.importUsers(a)
  const sys = '@TIM#SYSTEM'
  t.match(await rest.call('openim/sendmsg', { From_Account: a, To_Account: sys, MsgRandom: 5, MsgBody: textBody('to system') }), { ActionStatus: 'FAIL', ErrorCode: 20003 })
  t.match(await rest.call('openim/sendmsg', { From_Account: sys, To_Account: a, MsgRandom: 6, MsgBody: textBody('as system') }), { ActionStatus: 'FAIL', ErrorCode: 20003 })
  t.match(await rest.unread(a), { AllC2CUnreadMsgNum: 0 }, 'nothing reached the user')
  const list = await rest.call('recentcontact/get_list', { From_Account: a, TimeStamp: 0, StartIndex: 0, TopTimeStamp: 0, TopStartIndex: 0 })
  t.same([list.ActionStatus, list.SessionItem], ['OK', []], 'and no conversation was started')
  t.notOk(await rest.isImported(sys), 'no account was created for it')
})

t.test('sendmsg options', async (t) => {
  const [a, b] = [uid(), uid()]
  await rest.importUsers(a, b)
  const past = Math.floor(Date.now() / 1000) - 3600
  const stamped = await rest.send(a, b, 'old', { MsgTimeStamp: past })
  t.equal(stamped.MsgTime, past, 'MsgTimeStamp sets the time')
  await rest.send(a, b, 'quiet', { SendMsgControl: ['NoUnread', 'WithMuteNotifications'] })
  t.match(await rest.unread(b), { AllC2CUnreadMsgNum: 1 }, 'NoUnread did not count')
  await rest.send(a, b, 'long life', { MsgLifeTime: 10 * 604800 })
  await rest.send(a, b, 'not mine', { SyncOtherMachine: 2 })
  t.same((await rest.roam(b, a)).map((m) => m.MsgBody[0].MsgContent.Text), ['not mine', 'long life', 'quiet', 'old'])
  t.same((await rest.roam(a, b)).map((m) => m.MsgBody[0].MsgContent.Text), ['long life', 'quiet', 'old'], 'SyncOtherMachine 2 skips the sender view')
  await rest.send(a, b, 'online only', { OnlineOnlyFlag: 1 })
  await rest.send(a, b, 'lifetime 0', { MsgLifeTime: 0 })
  t.equal((await rest.roam(b, a)).length, 4, 'online-only messages are not stored')
})

t.test('sendmsg dedupes on MsgRandom', async (t) => {
  const [a, b] = [uid(), uid()]
  await rest.importUsers(a, b)
  const body = { From_Account: a, To_Account: b, MsgRandom: 99, MsgBody: textBody('once') }
  const first = await rest.ok('openim/sendmsg', body)
  const again = await rest.ok('openim/sendmsg', body)
  t.equal(again.MsgKey, first.MsgKey)
  t.equal((await rest.roam(b, a)).length, 1)
})

t.test('sendmsg: bad input → its code, nothing stored', async (t) => {
  const [a, b, ghost] = [uid(), uid(), uid()]
  await rest.importUsers(a, b)
  const ok = { From_Account: a, To_Account: b, MsgRandom: 5, MsgBody: textBody('x') }
  const cases: [string, Record<string, unknown>, number][] = [
    ['receiver not imported', { To_Account: ghost }, 20003],
    ['sender not imported', { From_Account: ghost }, 20003],
    ['To_Account missing', { To_Account: undefined }, 90003],
    ['To_Account a number', { To_Account: 12 }, 90003],
    ['From_Account not a UserID', { From_Account: 'has space' }, 90008],
    ['MsgRandom missing', { MsgRandom: undefined }, 90005],
    ['MsgRandom a string', { MsgRandom: '5' }, 90005],
    ['MsgRandom above u32', { MsgRandom: 2 ** 32 }, 90005],
    ['MsgBody missing', { MsgBody: undefined }, 90002],
    ['MsgBody not an array', { MsgBody: { MsgType: 'TIMTextElem' } }, 90002],
    ['unknown element', { MsgBody: [{ MsgType: 'TIMNopeElem', MsgContent: {} }] }, 90002],
    ['above 12 KB', { MsgBody: textBody('x'.repeat(12 * 1024)) }, 93000],
    ['MsgTimeStamp negative', { MsgTimeStamp: -1 }, 90007],
    ['MsgSeq a string', { MsgSeq: '1' }, 90010],
    ['SyncOtherMachine 3', { SyncOtherMachine: 3 }, 90010],
    ['MsgLifeTime a string', { MsgLifeTime: '60' }, 90010],
    ['OnlineOnlyFlag true', { OnlineOnlyFlag: true }, 90010],
    ['SendMsgControl a string', { SendMsgControl: 'NoUnread' }, 90010],
    ['CloudCustomData a number', { CloudCustomData: 1 }, 90010],
    ['IsNeedReadReceipt 2', { IsNeedReadReceipt: 2 }, 90010],
  ]
  for (const [name, change, code] of cases) {
    t.match(await rest.call('openim/sendmsg', { ...ok, ...change }), { ActionStatus: 'FAIL', ErrorCode: code }, name)
  }
  t.same(await rest.roam(b, a), [], 'the receiver has nothing')
  t.same(await rest.roam(a, b), [], 'the sender has nothing')
  t.notOk(await rest.isImported(ghost))
  t.match(await rest.unread(b), { AllC2CUnreadMsgNum: 0 })
})

t.test('batchsendmsg: one MsgKey, ErrorList per failed target', async (t) => {
  const [a, b, c, ghost] = [uid(), uid(), uid(), uid()]
  await rest.importUsers(a, b, c)
  const r = await rest.call('openim/batchsendmsg', { From_Account: a, To_Account: [b, c, ghost, 'bad id', b], MsgRandom: 42, MsgBody: textBody('all') })
  t.match(r, { ActionStatus: 'OK', ErrorCode: 0, MsgKey: String })
  t.same(r.ErrorList, [{ To_Account: ghost, ErrorCode: 70107 }, { To_Account: 'bad id', ErrorCode: 70107 }])
  for (const x of [b, c]) t.match(await rest.roam(x, a), [{ MsgKey: r.MsgKey, MsgBody: textBody('all') }])
  t.equal((await rest.roam(b, a)).length, 1, 'a duplicated target gets it once')
  t.notOk(await rest.isImported(ghost))
})

t.test('batchsendmsg repeated in a later second answers with the first batch\'s MsgKey', async (t) => {
  const [a, b, c] = [uid(), uid(), uid()]
  await rest.importUsers(a, b, c)
  const batch = { From_Account: a, To_Account: [b, c], MsgRandom: 4242, MsgSeq: 9, MsgBody: textBody('once') }
  const first = await rest.ok('openim/batchsendmsg', batch)
  // The server's clock must move on, so that a new key would differ (MsgTime is in seconds).
  const second = Math.floor(Date.now() / 1000)
  await new Promise((resolve) => setTimeout(resolve, (second + 1) * 1000 - Date.now() + 5))
  const repeat = await rest.ok('openim/batchsendmsg', batch)
  t.equal(repeat.MsgKey, first.MsgKey, 'the repeat answers with the stored key')
  for (const x of [b, c]) t.same((await rest.roam(x, a)).map((m) => m.MsgKey), [first.MsgKey], 'each target holds it once')
})

t.test('batchsendmsg without From_Account is sent as the admin', async (t) => {
  const b = uid()
  await rest.importUsers(b)
  const r = await rest.ok('openim/batchsendmsg', { To_Account: [b], MsgRandom: 7, MsgBody: textBody('hello all') })
  t.same(r.ErrorList, [])
  t.match(await rest.roam(b, admin()), [{ From_Account: admin(), MsgKey: r.MsgKey }])
})

t.test('batchsendmsg: bad input → its code, nothing sent', async (t) => {
  const [a, b] = [uid(), uid()]
  await rest.importUsers(a, b)
  const ok = { From_Account: a, To_Account: [b], MsgRandom: 3, MsgBody: textBody('x') }
  const cases: [string, Record<string, unknown>, number][] = [
    ['501 targets', { To_Account: Array.from({ length: 501 }, () => b) }, 90011],
    ['no targets', { To_Account: [] }, 90003],
    ['To_Account a string', { To_Account: b }, 90003],
    ['a target a number', { To_Account: [b, 1] }, 90003],
    ['sender not imported', { From_Account: uid() }, 20003],
    ['MsgRandom missing', { MsgRandom: undefined }, 90005],
    ['MsgBody empty', { MsgBody: [] }, 90002],
  ]
  for (const [name, change, code] of cases) {
    t.match(await rest.call('openim/batchsendmsg', { ...ok, ...change }), { ActionStatus: 'FAIL', ErrorCode: code }, name)
  }
  t.same(await rest.roam(b, a), [])
})

t.test('importmsg: history (2) keeps the time, counts no unread, dedupes', async (t) => {
  const [a, b] = [uid(), uid()]
  await rest.importUsers(a, b)
  const when = 1_600_000_000
  const msg = { From_Account: a, To_Account: b, MsgSeq: 10, MsgRandom: 555, MsgTimeStamp: when, MsgBody: textBody('old'), SyncFromOldSystem: 2 }
  t.match(await rest.call('openim/importmsg', msg), { ActionStatus: 'OK', ErrorCode: 0 })
  t.match(await rest.call('openim/importmsg', msg), { ActionStatus: 'OK' }, 'importing again is acknowledged')
  t.match(await rest.call('openim/importmsg', { ...msg, From_Account: b, To_Account: a }), { ActionStatus: 'OK' }, 'and in the other direction')
  for (const [owner, peer] of [[a, b], [b, a]]) {
    t.match(await rest.roam(owner, peer), [{ From_Account: a, MsgTimeStamp: when, MsgKey: `10_555_${when}`, MsgSeq: 10, MsgRandom: 555 }])
    t.equal((await rest.roam(owner, peer)).length, 1, 'stored once')
  }
  t.match(await rest.unread(b), { AllC2CUnreadMsgNum: 0 })
  await rest.ok('openim/importmsg', { ...msg, MsgRandom: 556, SyncFromOldSystem: 1 })
  t.match(await rest.unread(b), { AllC2CUnreadMsgNum: 1 }, 'realtime import (1) counts as unread')
})

t.test('importmsg: bad input → its code, nothing stored', async (t) => {
  const [a, b, ghost] = [uid(), uid(), uid()]
  await rest.importUsers(a, b)
  const ok = { From_Account: a, To_Account: b, MsgRandom: 1, MsgTimeStamp: 1_600_000_000, MsgBody: textBody('x'), SyncFromOldSystem: 2 }
  const cases: [string, Record<string, unknown>, number][] = [
    ['From_Account missing', { From_Account: undefined }, 90008],
    ['To_Account missing', { To_Account: undefined }, 90003],
    ['MsgTimeStamp missing', { MsgTimeStamp: undefined }, 90007],
    ['MsgTimeStamp a string', { MsgTimeStamp: '1600000000' }, 90007],
    ['SyncFromOldSystem 3', { SyncFromOldSystem: 3 }, 90010],
    ['SyncFromOldSystem missing', { SyncFromOldSystem: undefined }, 90010],
    ['MsgBody bad', { MsgBody: [{ MsgType: 'TIMTextElem', MsgContent: { Text: 1 } }] }, 90002],
    ['sender not imported', { From_Account: ghost }, 20003],
    ['receiver not imported', { To_Account: ghost }, 20003],
  ]
  for (const [name, change, code] of cases) {
    t.match(await rest.call('openim/importmsg', { ...ok, ...change }), { ActionStatus: 'FAIL', ErrorCode: code }, name)
  }
  t.same(await rest.roam(b, a), [])
  t.same(await rest.roam(a, b), [])
  t.notOk(await rest.isImported(ghost))
})
