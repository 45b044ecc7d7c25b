/**
 * Catch-up and reconnect, end to end through the SDK: a device that was offline gets every
 * message exactly once and in order; a dropped device reconnects by itself (same client
 * object, same cursor) and fetches only what it missed; messages sent while it reconnects
 * arrive exactly once; a send whose ack is lost is resent with the same random and stored once.
 *
 * Sockets are broken through the SDK's public injection point (`WebSocketImpl`: a `ws` class
 * that records frames and can terminate its TCP connection); a device is held offline by a
 * `getUserSig` that waits on a gate the test opens.
 */
import t, { type Test } from 'tap'
import type { SentMessage } from '../../src/client/index.js'
import { importAccounts } from '../helpers/restAdmin.js'
import { ClientPool, SigGate, testPool, type Frame, type TestClient, uid, waitEvent } from '../helpers/sdkClients.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { convShard } from '../../actors/conv/shardOfPair.js'

/** The conversation shard of a pair in the test server's app (where its events are numbered). */
const shardOfPair = (x: string, y: string) => convShard(server.app.sdkAppId, x, y)

let server: TestServer
t.before(async () => { server = await startServer() })
t.teardown(() => server.stop())

const pool = (t: Test): ClientPool => testPool(t, () => server)

/** Inbox events delivered on a socket: in sync pages and as live pushes. */
function delivered(sock: { in: Frame[]; out: Frame[] }): { synced: Frame[]; live: Frame[]; syncRequests: Frame[] } {
  const syncRequests = sock.out.filter((f) => f.op === 'sync')
  const rids = new Set(syncRequests.map((f) => f.rid))
  const synced = sock.in.filter((f) => f.op === 'res' && rids.has(f.rid)).flatMap((f) => f.data.events as Frame[])
  const live = sock.in.filter((f) => f.op === 'ev').map((f) => f.ev as Frame)
  return { synced, live, syncRequests }
}

async function sendMany(from: TestClient, to: string, n: number, label: string): Promise<SentMessage[]> {
  const out: SentMessage[] = []
  for (let i = 0; i < n; i++) out.push(await from.client.sendText(to, `${label} ${i}`))
  return out
}

t.test('an offline receiver gets every message exactly once, in order, from catch-up pages', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  await importAccounts(server, b)
  const a1 = await p.connect(a)
  const n = 250
  const sent = await sendMany(a1, b, n, 'offline')

  const b1 = p.make(b)
  const synced = waitEvent(b1.client, 'synced')
  await b1.client.connect()
  t.strictSame((await synced).cursor, { [shardOfPair(a, b)]: n }, "synced: the cursor of the pair's shard reached its head")
  t.same(b1.inbox.keys, sent.map((s) => s.msgKey), 'every message exactly once, in send order, before connect() resolved')
  t.same(b1.inbox.events.map((e) => e.message.seq), sent.map((_, i) => i + 1), 'conversation seqs 1..n')
  const d = delivered(b1.probe.current)
  t.same(d.syncRequests.map((f) => f.after), [0, 100, 200], 'three pages of 100 from the cursor')
  t.equal(d.synced.length, n, 'the pages carried exactly the missed events')
})

t.test('a dropped device reconnects by itself and fetches only what it missed', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const gate = new SigGate(server.app)
  const a1 = await p.connect(a)
  const b1 = await p.connect(b, { getUserSig: gate.sig(b) })
  const before = await sendMany(a1, b, 300, 'before')
  await b1.inbox.count(300)
  const sh = shardOfPair(a, b)
  const cursor = b1.client.cursor[sh]!
  t.strictSame(b1.client.cursor, { [sh]: 300 }, "every earlier event applied live, in the pair's shard")

  gate.shut()
  const offline = waitEvent(b1.client, 'state', (s) => s.state === 'offline')
  b1.probe.drop()
  await offline
  const missed = await sendMany(a1, b, 5, 'missed')
  const synced = waitEvent(b1.client, 'synced')
  gate.open()
  t.strictSame((await synced).cursor, { [sh]: cursor + 5 }, 'caught up to the new head')

  const sock = b1.probe.current
  t.equal(sock.index, 1, 'the same client object opened a second socket')
  t.strictSame(sock.in.find((f) => f.op === 'res' && f.data?.shards !== undefined)?.data.shards, [sh], "login listed the user's one shard")
  const d = delivered(sock)
  t.same(d.syncRequests.map((f) => f.after), [cursor], 'one sync, from the cursor it had')
  t.same(d.synced.map((e) => e.seq), [301, 302, 303, 304, 305], 'the page held only the five missed events')
  t.same(b1.inbox.keys, [...before, ...missed].map((s) => s.msgKey), 'each message once, in order, across the drop')
})

t.test('messages sent while a device is reconnecting arrive exactly once, in order', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const gate = new SigGate(server.app)
  const a1 = await p.connect(a)
  // Small pages: the catch-up takes several round trips while new messages keep arriving live.
  const b1 = await p.connect(b, { getUserSig: gate.sig(b), syncPageSize: 3, platform: 'Web' })
  const b2 = await p.connect(b, { platform: 'Android' })
  const warmup = await sendMany(a1, b, 10, 'warm-up')
  await b1.inbox.count(10)

  gate.shut()
  const offline = waitEvent(b1.client, 'state', (s) => s.state === 'offline')
  b1.probe.drop()
  await offline
  const total = 80
  // The first 20 are stored while the device is held offline; the gate then opens and the
  // other 60 are sent while it logs in and pages through its catch-up, and after.
  const sent: SentMessage[] = []
  for (let i = 0; i < total; i++) {
    sent.push(await a1.client.sendText(b, `during ${i}`))
    if (i === 19) gate.open()
  }
  await b1.inbox.count(10 + total)
  await b2.inbox.count(10 + total)
  const expected = [...warmup, ...sent].map((s) => s.msgKey)
  t.same(b1.inbox.keys, expected, 'the reconnecting device: every message once, in order')
  t.same(b2.inbox.keys, expected, 'the device that stayed online: the same sequence')
  const d = delivered(b1.probe.current)
  t.ok(d.syncRequests.length >= 7, `the catch-up took several pages (${d.syncRequests.length})`)
  t.equal(d.syncRequests[0].after, 10, 'from the cursor before the drop')
})

t.test('a send whose ack is lost is resent with the same random and stored once', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a, { platform: 'Web' })
  const a2 = await p.connect(a, { platform: 'Android' })
  const b1 = await p.connect(b)

  // On the first socket: once the send is written, hide every frame from the SDK (its echo
  // and its ack); when the ack arrives, which proves the server stored the message, break
  // the socket. The SDK never sees the first answer.
  const random = 0x0badc0de
  let lostAck: Frame | undefined
  a1.probe.interceptor = (sock, f) => {
    if (sock.index !== 0) return false
    const sendFrame = sock.out.find((o) => o.op === 'send' && o.random === random)
    if (!sendFrame) return false
    if (f.op === 'res' && f.rid === sendFrame.rid) {
      lostAck = f
      setImmediate(() => sock.ws.terminate())
    }
    return true
  }
  const sent = await a1.client.sendText(b, 'exactly once', { random })
  t.ok(lostAck?.ok, 'the server had acknowledged on the first socket (the SDK never saw it)')
  t.equal(sent.msgKey, lostAck?.data.msgKey, 'the resend resolved with the first msgKey')
  const first = a1.probe.sockets[0].out.find((f) => f.op === 'send')!
  const resent = a1.probe.sockets[1].out.filter((f) => f.op === 'send')
  t.equal(resent.length, 1, 'resent once on the new socket')
  t.same([resent[0].random, resent[0].msgSeq, resent[0].rid], [first.random, first.msgSeq, first.rid], 'the same frame: same random, msgSeq and rid')

  const next = await a1.client.sendText(b, 'after')
  await b1.inbox.key(next.msgKey)
  t.same(b1.inbox.keys, [sent.msgKey, next.msgKey], 'the receiver got it once')
  await a2.inbox.key(next.msgKey)
  t.same(a2.inbox.keys, [sent.msgKey, next.msgKey], 'the sender\'s other device got it once')
  const hb = await b1.client.history(a)
  t.same(hb.messages.map((m) => m.random), [next.message.random, random], 'receiver history: stored once')
  const ha = await a1.client.history(b)
  t.same(ha.messages.map((m) => m.msgKey), [next.msgKey, sent.msgKey], 'sender history: stored once')
  t.equal(sent.seq, 1)
  t.equal(next.seq, 2, 'no seq spent on the resend')
  const reply = await b1.client.sendText(a, 'barrier')
  await a1.inbox.key(reply.msgKey)
  t.same(a1.inbox.keys, [reply.msgKey], 'the sending device did not surface its own message (the echo came by catch-up)')
})

t.test('sockets broken right after each send: every send resolves once and is stored once', async (t) => {
  const p = pool(t)
  const a = uid('a'), b = uid('b')
  const a1 = await p.connect(a)
  const b1 = await p.connect(b)
  const n = 10
  const sent: SentMessage[] = []
  for (let i = 0; i < n; i++) {
    const reconnected = waitEvent(a1.client, 'synced')
    const s = a1.client.sendText(b, `cut ${i}`)
    a1.probe.drop()
    sent.push(await s)
    await reconnected
  }
  t.equal(a1.probe.sockets.length, n + 1, `${n} drops, ${n} reconnects`)
  const writes = new Map<number, number>()
  for (const f of a1.probe.sockets.flatMap((s) => s.out.filter((o) => o.op === 'send'))) writes.set(f.random, (writes.get(f.random) ?? 0) + 1)
  t.same([...writes.keys()], sent.map((s) => s.message.random), 'one random per send, reused by its resend')
  t.ok([...writes.values()].every((k) => k <= 2), 'each send was written at most twice: once, and once resent')
  t.same(sent.map((s) => s.seq), Array.from({ length: n }, (_, i) => i + 1), 'seqs 1..n: nothing stored twice')
  await b1.inbox.count(n)
  t.same(b1.inbox.keys, sent.map((s) => s.msgKey), 'the receiver got each once, in order')
  const h = await b1.client.history(a)
  t.equal(h.messages.length, n, 'history holds each once')
  t.equal(new Set(h.messages.map((m) => m.random)).size, n)
  t.notOk(b1.inbox.events.some((e) => e.message.from !== a), 'nothing else arrived')
})
