/**
 * One-to-one messaging end to end, through the client SDK against a real node (worker threads,
 * uWS, LMDB): every element type, multi-device fan-out, SyncOtherMachine, history paging,
 * conversation seqs, MsgRandom dedupe, the 12 KB limit, online-only messages, lifeTime expiry
 * and unknown receivers.
 */
import t, { type Test } from 'tap'
import { elements, type MsgElement, ParleyClientError, type SentMessage } from '../../src/client/index.js'
import { ClientPool, codeOf, testPool, type TestClient, uid } from '../helpers/sdkClients.js'
import { importAccounts, restCall, restOk } from '../helpers/restAdmin.js'
import { startServer, type TestServer } from '../helpers/server.js'

let server: TestServer
t.before(async () => { server = await startServer() })
t.teardown(() => server.stop())

const pool = (t: Test): ClientPool => testPool(t, () => server)


/**
 * A message from `other` to `me`, awaited on `me`'s client: since the SDK surfaces events in
 * inbox order, once it arrives every event stored before it in `me`'s inbox has been applied.
 */
async function barrier(other: TestClient, me: TestClient): Promise<string> {
  const sent = await other.client.sendText(me.userId, `barrier ${uid()}`)
  await me.inbox.key(sent.msgKey)
  return sent.msgKey
}

/** Every element type, each with its optional fields, built with the SDK's helpers. */
function allElements(): { name: string; body: MsgElement[] }[] {
  const url = (p: string) => `https://cdn.example.com/${p}`
  return [
    { name: 'text', body: [elements.text('hello ✓ 世界 "quoted" \\ \n newline')] },
    { name: 'face', body: [elements.face(7, 'smile')] },
    { name: 'location', body: [elements.location({ Latitude: -33.8688, Longitude: 151.2093, Desc: 'Sydney' })] },
    { name: 'custom', body: [elements.custom({ Data: '{"kind":"order","id":42}', Desc: 'push text', Ext: 'ext', Sound: 'ding.mp3' })] },
    { name: 'sound', body: [elements.sound({ Url: url('a.m4a'), UUID: 'snd-1', Size: 2048, Second: 3, Download_Flag: 2 })] },
    {
      name: 'image',
      body: [elements.image({
        UUID: 'img-1', ImageFormat: 3, ImageInfoArray: [
          { Type: 1, Width: 1920, Height: 1080, URL: url('o.png'), Size: 123456 },
          { Type: 2, Width: 720, Height: 405, URL: url('l.png'), Size: 23456 },
          { Type: 3, Width: 198, Height: 111, URL: url('t.png'), Size: 3456 },
        ],
      })],
    },
    { name: 'file', body: [elements.file({ Url: url('r.pdf'), UUID: 'file-1', FileSize: 99999, FileName: 'report.pdf', Download_Flag: 2 })] },
    {
      name: 'video',
      body: [elements.video({
        VideoUrl: url('v.mp4'), VideoUUID: 'vid-1', VideoSize: 1 << 20, VideoSecond: 12, VideoFormat: 'mp4', VideoDownloadFlag: 2,
        ThumbUrl: url('v.jpg'), ThumbUUID: 'thumb-1', ThumbSize: 4096, ThumbWidth: 320, ThumbHeight: 180, ThumbFormat: 'jpg', ThumbDownloadFlag: 2,
      })],
    },
    {
      name: 'relay (MsgList)',
      body: [elements.relay({
        Title: 'Chat history', MsgNum: 2, CompatibleText: 'upgrade to see merged messages', AbstractList: ['a: hi', 'b: yo'],
        MsgList: [
          { From_Account: 'a', To_Account: 'b', MsgSeq: 1, MsgRandom: 11, MsgTimeStamp: 1700000000, MsgBody: [elements.text('hi')], CloudCustomData: 'cc' },
          { From_Account: 'b', To_Account: 'a', MsgSeq: 2, MsgRandom: 22, MsgTimeStamp: 1700000001, MsgBody: [elements.face(1)] },
        ],
      })],
    },
    { name: 'relay (JsonMsgKey)', body: [elements.relay({ Title: 'Forwarded', MsgNum: 5, AbstractList: [], JsonMsgKey: 'stored-list-key' })] },
    {
      name: 'several elements in one message',
      body: [elements.text('see'), elements.face(2), elements.location({ Latitude: 1.5, Longitude: 2.5 }), elements.custom({ Data: 'x' })],
    },
  ]
}

t.test('every element type reaches every device of the receiver and the sender\'s other device, intact', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a, { platform: 'Web' })
  const a2 = await p.connect(a, { platform: 'Android' })
  const b1 = await p.connect(b, { platform: 'Web' })
  const b2 = await p.connect(b, { platform: 'iOS' })

  const cases = allElements()
  const sent: SentMessage[] = []
  for (const c of cases) sent.push(await a1.client.send(b, c.body, { cloudCustomData: `ccd:${c.name}` }))

  for (const [who, dev, peer] of [['b1', b1, a], ['b2', b2, a], ['a2', a2, b]] as const) {
    await dev.inbox.until((ev) => ev.length >= cases.length, `${who}: all elements`)
    const got = dev.inbox.events
    t.same(got.map((e) => e.message.msgKey), sent.map((s) => s.msgKey), `${who}: each message once, in send order`)
    cases.forEach((c, i) => {
      t.strictSame(got[i].message.body, c.body, `${who}: ${c.name} body intact`)
      t.equal(got[i].message.cloudCustomData, `ccd:${c.name}`, `${who}: ${c.name} cloudCustomData intact`)
      t.equal(got[i].message.from, a, `${who}: ${c.name} from the sender`)
      t.equal(got[i].peer, peer, `${who}: ${c.name} in the conversation with ${peer}`)
      t.equal(got[i].onlineOnly, false)
    })
  }
  t.same(sent.map((s) => s.seq), cases.map((_, i) => i + 1), 'sender view: conversation seqs 1..n')
  t.same(b1.inbox.events.map((e) => e.message.seq), cases.map((_, i) => i + 1), 'receiver view: conversation seqs 1..n')

  await barrier(b1, a1)
  t.same(a1.inbox.events.map((e) => e.message.from), [b], 'the sending device got its own sends only as echoes, never as new messages')
  t.equal(a1.inbox.events.length, 1)
})

t.test('syncOtherMachine 2 stores for the receiver only: not on the sender\'s other device nor in its history', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a, { platform: 'Web' })
  const a2 = await p.connect(a, { platform: 'Android' })
  const b1 = await p.connect(b)

  const hidden = await a1.client.sendText(b, 'receiver only', { syncOtherMachine: 2 })
  t.equal(hidden.seq, 0, 'no seq in the sender view')
  t.equal(hidden.inboxSeq, 0, 'no inbox event for the sender')
  const normal = await a1.client.sendText(b, 'both views')
  t.equal(normal.seq, 2, 'one sequence per conversation: the receiver-only message took seq 1')

  await a2.inbox.key(normal.msgKey)
  t.same(a2.inbox.keys, [normal.msgKey], 'the other device got the normal message and nothing before it')
  await b1.inbox.key(normal.msgKey)
  t.same(b1.inbox.keys, [hidden.msgKey, normal.msgKey], 'the receiver got both')

  const histA = await a1.client.history(b)
  t.same(histA.messages.map((m) => m.msgKey), [normal.msgKey], 'sender history lacks the receiver-only message')
  const histB = await b1.client.history(a)
  t.same(histB.messages.map((m) => m.msgKey), [normal.msgKey, hidden.msgKey], 'receiver history has both, newest first')
})

t.test('history pages newest first with before; conversation seqs are 1,2,3… per conversation and view', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b'), c = uid('c')
  const a1 = await p.connect(a)
  const b1 = await p.connect(b)
  const c1 = await p.connect(c)

  const toB: SentMessage[] = []
  for (let i = 1; i <= 25; i++) toB.push(await a1.client.sendText(b, `m${i}`))
  t.same(toB.map((s) => s.seq), Array.from({ length: 25 }, (_, i) => i + 1), 'A→B: seqs 1..25 in the sender view')

  const toC: SentMessage[] = []
  for (let i = 1; i <= 3; i++) toC.push(await a1.client.sendText(c, `c${i}`))
  t.same(toC.map((s) => s.seq), [1, 2, 3], 'another conversation of the same sender starts again at 1')
  const reply = await c1.client.sendText(a, 'reply')
  t.equal(reply.seq, 4, 'a reply continues the conversation seq in the replier view')
  await a1.inbox.key(reply.msgKey)
  t.equal(a1.inbox.events[0].message.seq, 4, 'and in the other participant\'s view')

  await b1.inbox.count(25)
  t.same(b1.inbox.events.map((e) => e.message.seq), toB.map((s) => s.seq), 'receiver view: same seqs, in order')

  const keysNewestFirst = toB.map((s) => s.msgKey).reverse()
  const p1 = await b1.client.history(a, { limit: 10 })
  t.same(p1.messages.map((m) => m.seq), [25, 24, 23, 22, 21, 20, 19, 18, 17, 16], 'page 1: newest ten')
  t.equal(p1.complete, false)
  const p2 = await b1.client.history(a, { limit: 10, before: p1.messages[9].seq })
  t.same(p2.messages.map((m) => m.seq), [15, 14, 13, 12, 11, 10, 9, 8, 7, 6], 'page 2: strictly below the previous page')
  t.equal(p2.complete, false)
  const p3 = await b1.client.history(a, { limit: 10, before: p2.messages[9].seq })
  t.same(p3.messages.map((m) => m.seq), [5, 4, 3, 2, 1], 'page 3: the start of the conversation')
  t.equal(p3.complete, true, 'fewer than limit: complete')
  const all = [...p1.messages, ...p2.messages, ...p3.messages]
  t.same(all.map((m) => m.msgKey), keysNewestFirst, 'the pages together are the conversation, newest first, no overlap')
  t.same(all.map((m) => m.body[0]), keysNewestFirst.map((_, i) => elements.text(`m${25 - i}`)), 'bodies match their seqs')
  const senderView = await a1.client.history(b, { limit: 100 })
  t.same(senderView.messages.map((m) => m.msgKey), keysNewestFirst, 'the sender view holds the same messages in the same order')
})

t.test('MsgRandom dedupe: the same random twice stores one message and returns the same msgKey', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a, { platform: 'Web' })
  const a2 = await p.connect(a, { platform: 'Android' })
  const b1 = await p.connect(b)

  const random = 0xfeed1234
  const first = await a1.client.sendText(b, 'once', { random })
  const second = await a1.client.sendText(b, 'once', { random })
  t.equal(second.msgKey, first.msgKey, 'the resend answers with the first msgKey')
  t.equal(second.msgTime, first.msgTime)
  t.equal(second.seq, first.seq, 'and the first seq')
  const after = await a1.client.sendText(b, 'next')
  t.equal(after.seq, first.seq + 1, 'no seq was spent on the duplicate')

  await b1.inbox.key(after.msgKey)
  t.same(b1.inbox.keys, [first.msgKey, after.msgKey], 'the receiver got the message once')
  await a2.inbox.key(after.msgKey)
  t.same(a2.inbox.keys, [first.msgKey, after.msgKey], 'the sender\'s other device got it once')
  const h = await b1.client.history(a)
  t.same(h.messages.map((m) => m.msgKey), [after.msgKey, first.msgKey], 'history holds it once')
})

t.test('the 12 KB limit counts body plus cloudCustomData in UTF-8 bytes: at the limit ok, one byte over → 93000', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a)
  const b1 = await p.connect(b)
  const limit = 12 * 1024
  const bytes = (body: MsgElement[], ccd = '') => Buffer.byteLength(JSON.stringify(body), 'utf8') + Buffer.byteLength(ccd, 'utf8')

  // A text of multi-byte characters and ASCII sized so the body is exactly at the limit.
  const wide = '界'.repeat(1000)
  const fill = (n: number) => [elements.text(wide + 'x'.repeat(n))]
  const overhead = bytes(fill(0))
  const atLimit = fill(limit - overhead)
  t.equal(bytes(atLimit), limit, 'test setup: body is exactly 12288 bytes')
  const ok = await a1.client.send(b, atLimit)
  t.equal(ok.seq, 1, 'exactly at the limit is accepted')
  const got = await b1.inbox.key(ok.msgKey)
  t.strictSame(got.message.body, atLimit, 'and arrives intact')

  const over = fill(limit - overhead + 1)
  t.equal(await codeOf(a1.client.send(b, over)), 93000, 'one byte over → 93000')

  const ccd = 'c'.repeat(100)
  const withCcd = fill(limit - overhead - 100)
  t.equal(bytes(withCcd, ccd), limit)
  const ok2 = await a1.client.send(b, withCcd, { cloudCustomData: ccd })
  t.equal(ok2.seq, 2, 'body + cloudCustomData exactly at the limit is accepted')
  t.equal(await codeOf(a1.client.send(b, withCcd, { cloudCustomData: ccd + 'c' })), 93000, 'cloudCustomData counts: one byte over → 93000')

  const h = await b1.client.history(a)
  t.same(h.messages.map((m) => m.msgKey), [ok2.msgKey, ok.msgKey], 'the refused sends stored nothing')
})

t.test('online-only messages reach online devices and are absent from history and from catch-up', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a, { platform: 'Web' })
  const a2 = await p.connect(a, { platform: 'Android' })
  const b1 = await p.connect(b, { platform: 'Web' })
  const b2 = await p.connect(b, { platform: 'iOS' })

  const flag = await a1.client.sendText(b, 'typing…', { onlineOnly: true })
  const zero = await a1.client.sendText(b, 'lifeTime 0', { lifeTime: 0 })
  for (const s of [flag, zero]) {
    t.equal(s.seq, 0, 'online-only: no conversation seq')
    t.equal(s.inboxSeq, 0, 'online-only: no inbox seq')
  }
  for (const [who, dev] of [['b1', b1], ['b2', b2], ['a2', a2]] as const) {
    await dev.inbox.count(2)
    t.same(dev.inbox.keys, [flag.msgKey, zero.msgKey], `${who}: both online-only messages`)
    t.ok(dev.inbox.events.every((e) => e.onlineOnly && e.inboxSeq === 0 && e.message.seq === 0), `${who}: marked online-only, seq 0`)
  }
  const stored = await a1.client.sendText(b, 'stored')
  t.equal(stored.seq, 1, 'the first stored message of the conversation is seq 1')

  const b3 = await p.connect(b, { platform: 'Mac' })
  t.same(b3.inbox.keys, [stored.msgKey], 'a device connecting later catches up on the stored message only')
  const hb = await b1.client.history(a)
  t.same(hb.messages.map((m) => m.msgKey), [stored.msgKey], 'receiver history: no online-only message')
  const ha = await a1.client.history(b)
  t.same(ha.messages.map((m) => m.msgKey), [stored.msgKey], 'sender history: no online-only message')
  await barrier(b1, a1)
  t.equal(a1.inbox.events.length, 1, 'the sending device did not surface its own online-only sends')
})

t.test('lifeTime: a message whose lifetime has passed is not delivered by catch-up', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  await importAccounts(server, a, b)
  // REST sendmsg with MsgTimeStamp in the past makes "already expired" deterministic: time
  // now-100 with MsgLifeTime 1 expired 99 s ago, while a 3600 s lifetime has not.
  const past = Math.floor(Date.now() / 1000) - 100
  const send = (text: string, extra: Record<string, unknown>) => restOk(server, 'openim/sendmsg', {
    From_Account: a, To_Account: b, MsgRandom: Math.floor(Math.random() * 0xffffffff),
    MsgBody: [elements.text(text)], ...extra,
  })
  const first = await send('kept, no lifetime', {})
  const expired = await send('expired', { MsgTimeStamp: past, MsgLifeTime: 1 })
  const live = await send('kept, lifetime not over', { MsgTimeStamp: past, MsgLifeTime: 3600 })

  const b1 = await p.connect(b)
  t.same(b1.inbox.keys, [first.MsgKey, live.MsgKey], 'catch-up delivered the unexpired messages only')
  t.same(b1.inbox.events.map((e) => e.message.seq), [1, 3], 'the expired message kept its seq (2); catch-up skipped it')
  t.equal(b1.inbox.events[1].expireAt, past + 3600, 'expireAt = time + lifeTime')
  t.notOk(b1.inbox.keys.includes(expired.MsgKey))
  const a1 = await p.connect(a)
  t.same(a1.inbox.keys, [first.MsgKey, live.MsgKey], 'the sender view skips it on catch-up too')
})

t.test('sending to a never-imported or deleted account → 20003, nothing stored', async (t) => {
  const p = pool(t)
  const a = uid('a'), ghost = uid('ghost'), gone = uid('gone')
  const a1 = await p.connect(a)
  t.equal(await codeOf(a1.client.sendText(ghost, 'hello?')), 20003, 'never-imported receiver → 20003')

  const g1 = await p.connect(gone)
  const kicked = new Promise<{ code: number }>((resolve) => g1.client.once('kicked', resolve))
  const del = await restOk(server, 'im_open_login_svc/account_delete', { DeleteItem: [{ UserID: gone }] })
  t.equal(del.ResultItem[0].ResultCode, 0, 'account deleted')
  t.equal((await kicked).code, 4002, 'the deleted account\'s device was closed with 4002')
  t.equal(await codeOf(a1.client.sendText(gone, 'still there?')), 20003, 'deleted receiver → 20003')

  t.same((await a1.client.history(ghost)).messages, [], 'nothing stored for the never-imported receiver')
  t.same((await a1.client.history(gone)).messages, [], 'nothing stored for the deleted receiver')
  const check = await restCall(server, 'im_open_login_svc/account_check', { CheckItem: [{ UserID: ghost }, { UserID: gone }] })
  t.same(check.ResultItem.map((r: { AccountStatus: string }) => r.AccountStatus), ['NotImported', 'NotImported'], 'the failed sends imported no one')
  t.same((await a1.client.conversations()).conversations, [], 'no conversation was created')
})

// MsgRandom dedupe is per direction: B may reuse the random of A's earlier message.
t.test('the same MsgRandom in opposite directions is two different messages', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a)
  const b1 = await p.connect(b)
  const random = 777
  const x = await a1.client.sendText(b, 'from a', { random })
  const y = await b1.client.sendText(a, 'from b', { random })
  t.not(y.msgKey, x.msgKey, 'B\'s message gets its own msgKey')
  await barrier(b1, a1)
  t.ok(a1.inbox.events.some((e) => e.message.from === b && e.message.body[0].MsgContent.Text === 'from b'), 'A received B\'s message')
  const ha = await a1.client.history(b)
  t.equal(ha.messages.length, 3, 'A\'s view: both messages and the barrier')
  const hb = await b1.client.history(a)
  t.equal(hb.messages.length, 3, 'B\'s view: both messages and the barrier')
})

/** Pairs of messages that `x` and `y` (the same keys) order differently. */
function inversions(x: string[], y: string[]): number {
  const pos = new Map(y.map((k, i) => [k, i]))
  let n = 0
  for (let i = 0; i < x.length; i++) for (let j = i + 1; j < x.length; j++) if (pos.get(x[i])! > pos.get(x[j])!) n++
  return n
}

// One sequence per conversation (the smaller UserID's session sequences the pair), so both
// participants' views number and order the conversation alike even under crossing sends.
t.test('both participants order a conversation the same way under concurrent sends in both directions', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a)
  const b1 = await p.connect(b)
  for (let round = 0; round < 10; round++) {
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => a1.client.sendText(b, `a ${round}.${i}`)),
      ...Array.from({ length: 5 }, (_, i) => b1.client.sendText(a, `b ${round}.${i}`)),
    ])
  }
  const ha = (await a1.client.history(b, { limit: 100 })).messages.map((m) => m.msgKey)
  const hb = (await b1.client.history(a, { limit: 100 })).messages.map((m) => m.msgKey)
  t.equal(ha.length, 100)
  t.same(new Set(ha), new Set(hb), 'the same messages in both views')
  t.equal(inversions(ha, hb), 0, 'and in the same order')
  const seqsA = (await a1.client.history(b, { limit: 100 })).messages.map((m) => m.seq)
  const seqsB = (await b1.client.history(a, { limit: 100 })).messages.map((m) => m.seq)
  t.same(seqsA, seqsB, 'with the same seqs')
})
