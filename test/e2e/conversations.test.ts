/**
 * The conversation list and what changes it, end to end through the SDK: last message and
 * unread counts, read reports across devices and to the sender, per-message receipts,
 * pinning, deletion and clearHistory, and recall (window, sender-only).
 *
 * Where ordering depends on message times (whole seconds), messages are stamped by the app
 * backend through REST `openim/sendmsg` with `MsgTimeStamp`, so the order is deterministic
 * without waiting for the clock.
 */
import t, { type Test } from 'tap'
import type { AppConfig } from '../../src/model/apps.js'
import { elements, ParleyClientError, type SentMessage } from '../../src/client/index.js'
import { importAccounts, restOk } from '../helpers/restAdmin.js'
import { ClientPool, codeOf, testPool, sigFor, type TestClient, uid, waitEvent } from '../helpers/sdkClients.js'
import { startServer, testApp, type TestServer } from '../helpers/server.js'

const mainApp = testApp({ recallWindowSeconds: 120 })
const noRecallApp = testApp({ recallWindowSeconds: 0 })

let server: TestServer
t.before(async () => { server = await startServer({ apps: [mainApp, noRecallApp] }) })
t.teardown(() => server.stop())

const pool = (t: Test): ClientPool => testPool(t, () => server)


const nowSec = () => Math.floor(Date.now() / 1000)

/** The app backend sends `from` → `to` with a forced message time; resolves with the MsgKey. */
async function stamped(app: AppConfig, from: string, to: string, text: string, time: number): Promise<string> {
  const s = { url: server.url, app, adminSig: () => sigFor(app, app.admins[0]) }
  const r = await restOk(s, 'openim/sendmsg', {
    From_Account: from, To_Account: to, MsgRandom: Math.floor(Math.random() * 0xffffffff),
    MsgTimeStamp: time, MsgBody: [elements.text(text)],
  })
  return r.MsgKey as string
}

async function sendMany(from: TestClient, to: string, n: number, opts = {}): Promise<SentMessage[]> {
  const out: SentMessage[] = []
  for (let i = 0; i < n; i++) out.push(await from.client.sendText(to, `${from.userId} #${i}`, opts))
  return out
}

t.test('conversation list: last message, unread per conversation and in total, newest activity first', async (t) => {
  const p = pool(t)
  const [a, c, d, b] = [uid('a'), uid('c'), uid('d'), uid('b')]
  await importAccounts(server, a, c, d, b)
  const b1 = await p.connect(b, { platform: 'Web' })
  const b2 = await p.connect(b, { platform: 'Android' })
  const t0 = nowSec()
  const fromA = [await stamped(mainApp, a, b, 'a1', t0 - 30), await stamped(mainApp, a, b, 'a2', t0 - 30), await stamped(mainApp, a, b, 'a3', t0 - 29)]
  const fromC = [await stamped(mainApp, c, b, 'c1', t0 - 20), await stamped(mainApp, c, b, 'c2', t0 - 20)]
  const fromD = [await stamped(mainApp, d, b, 'd1', t0 - 10)]

  for (const dev of [b1, b2]) {
    const list = await dev.client.conversations()
    t.same(list.conversations.map((v) => v.peer), [d, c, a], 'newest activity first')
    t.same(list.conversations.map((v) => v.unread), [1, 2, 3], 'unread per conversation')
    t.equal(list.totalUnread, 6, 'total unread')
    t.same(list.conversations.map((v) => v.lastMsg?.msgKey), [fromD[0], fromC[1], fromA[2]], 'last message of each')
    t.same(list.conversations.map((v) => v.lastTime), [t0 - 10, t0 - 20, t0 - 29], 'lastTime is the last message time')
    t.same(list.conversations.map((v) => v.lastMsg?.body), [[elements.text('d1')], [elements.text('c2')], [elements.text('a3')]])
    t.ok(list.conversations.every((v) => !v.pinned && v.readSeq === 0))
  }
  const a1 = await p.connect(a)
  const mine = await a1.client.conversations()
  t.same(mine.conversations.map((v) => [v.peer, v.unread, v.lastMsg?.msgKey]), [[b, 0, fromA[2]]], 'the sender\'s own messages are not unread for it')
})

t.test('reading on one device clears unread on the other (read) and tells the sender (peerRead)', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a)
  const b1 = await p.connect(b, { platform: 'Web' })
  const b2 = await p.connect(b, { platform: 'Android' })
  const sent = await sendMany(a1, b, 3)
  await b2.inbox.count(3)
  t.equal((await b2.client.conversations()).totalUnread, 3)

  const readOnB2 = waitEvent(b2.client, 'read')
  const readOnB1 = waitEvent(b1.client, 'read')
  const peerRead = waitEvent(a1.client, 'peerRead')
  await b1.client.read(a)
  const r = await readOnB2
  t.same([r.peer, r.readSeq], [a, 3], 'the other device learns the conversation is read up to seq 3')
  t.equal((await readOnB1).readSeq, 3, 'the reading device gets the event too')
  const after = await b2.client.conversations()
  t.same(after.conversations.map((v) => [v.peer, v.unread, v.readSeq]), [[a, 0, 3]], 'unread cleared on the other device')
  t.equal(after.totalUnread, 0)
  const pr = await peerRead
  t.equal(pr.peer, b)
  t.ok(pr.upToTime !== undefined && pr.upToTime >= sent[2].msgTime, 'the sender learns the read time of the last message')
  const hist = await a1.client.history(b)
  t.ok(hist.messages.every((m) => m.peerRead === true), 'the sender\'s history shows its messages read')

  const more = await sendMany(a1, b, 2)
  await b2.inbox.count(5)
  const partial = waitEvent(b2.client, 'read')
  await b1.client.read(a, more[0].seq)
  t.equal((await partial).readSeq, 4, 'reading up to a seq')
  const list = await b2.client.conversations()
  t.same(list.conversations.map((v) => [v.unread, v.readSeq]), [[1, 4]], 'one message above the read seq stays unread')
})

t.test('per-message receipts reach the sender\'s devices', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a, { platform: 'Web' })
  const a2 = await p.connect(a, { platform: 'Android' })
  const b1 = await p.connect(b)
  const [m1, m2] = await sendMany(a1, b, 2, { needReadReceipt: true })
  await b1.inbox.count(2)
  t.ok(b1.inbox.events.every((e) => e.message.needReadReceipt === true), 'the receiver sees that a receipt is asked')

  const onA1 = waitEvent(a1.client, 'peerRead')
  const onA2 = waitEvent(a2.client, 'peerRead')
  await b1.client.receipt(a, [m1.msgKey])
  for (const ev of [await onA1, await onA2]) {
    t.same([ev.peer, ev.msgKeys, ev.upToTime], [b, [m1.msgKey], undefined], 'a receipt for exactly that message')
  }
  const hist = await a1.client.history(b)
  t.same(hist.messages.map((m) => [m.msgKey, m.peerRead]), [[m2.msgKey, false], [m1.msgKey, true]], 'only the receipted message is read')
  t.equal((await b1.client.conversations()).totalUnread, 2, 'a receipt is not a read report: unread unchanged')
})

t.test('pinned conversations come first; unpinning restores activity order; other devices are told', async (t) => {
  const p = pool(t)
  const [a, c, d, b] = [uid('a'), uid('c'), uid('d'), uid('b')]
  await importAccounts(server, a, c, d, b)
  const t0 = nowSec()
  await stamped(mainApp, a, b, 'oldest', t0 - 30)
  await stamped(mainApp, c, b, 'middle', t0 - 20)
  await stamped(mainApp, d, b, 'newest', t0 - 10)
  const b1 = await p.connect(b, { platform: 'Web' })
  const b2 = await p.connect(b, { platform: 'Android' })
  const order = async () => (await b2.client.conversations()).conversations.map((v) => [v.peer, v.pinned])
  t.same(await order(), [[d, false], [c, false], [a, false]])

  const pinEv = waitEvent(b2.client, 'conversation')
  await b1.client.pin(a, true)
  const ev = await pinEv
  t.same([ev.peer, ev.pinned, ev.deleted], [a, true, undefined], 'the other device gets a conversation event')
  t.same(await order(), [[a, true], [d, false], [c, false]], 'the pinned conversation comes first')
  await b1.client.pin(c, true)
  t.same(await order(), [[c, true], [a, true], [d, false]], 'pinned ones among themselves by activity')
  const unpinEv = waitEvent(b2.client, 'conversation', (e) => e.pinned === false)
  await b1.client.pin(a, false)
  t.equal((await unpinEv).peer, a)
  t.same(await order(), [[c, true], [d, false], [a, false]], 'unpinned goes back to its activity place')
})

t.test('delete hides a conversation until a new message; clearHistory empties it; seqs keep growing', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a)
  const b1 = await p.connect(b, { platform: 'Web' })
  const b2 = await p.connect(b, { platform: 'Android' })
  await sendMany(a1, b, 3)
  await b1.inbox.count(3)

  const delEv = waitEvent(b2.client, 'conversation')
  await b1.client.deleteConversation(a)
  t.same([(await delEv).peer, (await delEv).deleted], [a, true], 'the other device is told')
  const hidden = await b2.client.conversations()
  t.same(hidden, { conversations: [], totalUnread: 0 }, 'deleted: not listed, unread gone')
  t.equal((await b1.client.history(a)).messages.length, 3, 'delete without clearHistory keeps the messages')

  const m4 = await a1.client.sendText(b, 'back')
  const got4 = await b1.inbox.key(m4.msgKey)
  t.equal(got4.message.seq, 4, 'the next message continues the seqs')
  const back = await b1.client.conversations()
  t.same(back.conversations.map((v) => [v.peer, v.unread, v.lastMsg?.msgKey]), [[a, 1, m4.msgKey]], 'a new message brings it back, unread 1')

  await b1.client.deleteConversation(a, true)
  t.same((await b1.client.history(a)).messages, [], 'clearHistory: history empty')
  t.same((await b2.client.history(a)).messages, [], 'on every device')
  const m5 = await a1.client.sendText(b, 'after clear')
  const got5 = await b1.inbox.key(m5.msgKey)
  t.equal(got5.message.seq, 5, 'seqs are never reused after clearHistory')
  t.same((await b1.client.history(a)).messages.map((m) => [m.msgKey, m.seq]), [[m5.msgKey, 5]], 'only the new message')
  t.equal((await a1.client.history(b)).messages.length, 5, 'the sender\'s view is untouched')
})

t.test('recall within the window: both sides get recall, history shows flag 8 and no body, unread drops', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a, { platform: 'Web' })
  const a2 = await p.connect(a, { platform: 'Android' })
  const b1 = await p.connect(b, { platform: 'Web' })
  const b2 = await p.connect(b, { platform: 'Android' })
  const [m1, m2] = await sendMany(a1, b, 2, { cloudCustomData: 'secret' })
  await b2.inbox.count(2)
  t.equal((await b1.client.conversations()).totalUnread, 2)

  const waits = [a1, a2, b1, b2].map((d) => waitEvent(d.client, 'recall'))
  await a1.client.recall(b, m2.msgKey)
  const evs = await Promise.all(waits)
  evs.forEach((ev, i) => t.same([ev.msgKey, ev.convSeq], [m2.msgKey, 2], `device ${i + 1}: recall event`))
  t.same([evs[0].peer, evs[2].peer], [b, a], 'in each side\'s conversation')

  for (const [who, dev, peer] of [['sender', a1, b], ['receiver', b2, a]] as const) {
    const h = await dev.client.history(peer)
    t.same(h.messages.map((m) => [m.msgKey, m.flags, m.body.length, m.cloudCustomData]), [
      [m2.msgKey, 8, 0, undefined], [m1.msgKey, 0, 1, 'secret'],
    ], `${who} history: recalled message flagged 8 with its content gone`)
  }
  const list = await b1.client.conversations()
  t.equal(list.totalUnread, 1, 'the recalled unread message no longer counts')
  t.equal(list.conversations[0].lastMsg?.flags, 8, 'the last message shows as recalled')
  t.equal(await codeOf(a1.client.recall(b, m2.msgKey)), 'resolved', 'recalling again is idempotent')

  // Stamped by the backend 60 s ago: still inside the 120 s window.
  const old = await stamped(mainApp, a, b, 'sixty seconds old', nowSec() - 60)
  t.equal(await codeOf(a1.client.recall(b, old)), 'resolved', 'a message 60 s old is inside a 120 s window')
})

t.test('recall by someone other than the sender → 9011; unknown message → 9010', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a)
  const b1 = await p.connect(b)
  const [m1] = await sendMany(a1, b, 1)
  await b1.inbox.count(1)
  t.equal(await codeOf(b1.client.recall(a, m1.msgKey)), 9011, 'the receiver may not recall the sender\'s message')
  t.equal(await codeOf(a1.client.recall(b, '1_2_3')), 9010, 'no such message')
  const h = await b1.client.history(a)
  t.same(h.messages.map((m) => m.flags), [0], 'nothing changed')
})

t.test('recall after the window → 20016, nothing changed', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  await importAccounts(server, a, b)
  const a1 = await p.connect(a)
  const old = await stamped(mainApp, a, b, 'too old', nowSec() - 1000)
  t.equal(await codeOf(a1.client.recall(b, old)), 20016, '1000 s old, window 120 s → 20016')
  const h = await a1.client.history(b)
  t.same(h.messages.map((m) => [m.msgKey, m.flags]), [[old, 0]], 'not recalled')

  // An app whose window is 0: a message one second old is already outside it.
  const x = uid('x'), y = uid('y')
  const zs = { url: server.url, app: noRecallApp, adminSig: () => sigFor(noRecallApp, noRecallApp.admins[0]) }
  await importAccounts(zs, x, y)
  const x1 = await p.connect(x, { app: noRecallApp })
  const oneSec = await stamped(noRecallApp, x, y, 'one second old', nowSec() - 1)
  t.equal(await codeOf(x1.client.recall(y, oneSec)), 20016, 'window 0: one second old → 20016')
})
