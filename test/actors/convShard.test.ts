/**
 * ConvShard on a real ActorHost with real UserSession actors over a real LMDB environment: a
 * send is answered after one durable append, with the conversation seq and the sender's stream
 * seq; the receiver's devices and the sender's other devices get the event (the sending device
 * only the answer); a retry is answered from the first copy and pushed nowhere; sync serves a
 * user's stream before and after the checkpoint alike; a new activation continues the numbering.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Checkpointer } from '../../actors/conv/Checkpointer.js'
import { ConvShard } from '../../actors/conv/ConvShard.js'
import type { ConvShardDeps } from '../../actors/conv/deps.js'
import { convShardActor } from '../../actors/conv/protocol.js'
import { convShard } from '../../actors/conv/shardOfPair.js'
import { LocalConnectionRegistry } from '../../actors/connections.js'
import type { ActorDeps } from '../../actors/deps.js'
import type { ConnRef, Router } from '../../actors/runtime/types.js'
import { userActor } from '../../actors/user/protocol.js'
import { UserSession } from '../../actors/user/UserSession.js'
import { decode } from '../../src/core/codec.js'
import { createAppRegistry } from '../../src/model/apps.js'
import type { C2CSendRequest } from '../../src/model/message.js'
import { LmdbConvIndex } from '../../src/store/lmdb/LmdbConvIndex.js'
import { LmdbShardLog } from '../../src/store/lmdb/LmdbShardLog.js'
import { openLmdb } from '../../src/store/lmdb/openLmdb.js'
import { openLmdbStores } from '../../src/store/lmdb/openLmdbStores.js'
import { LocalHarness } from './fixtures/helpers.js'

const APP = 1400000003
const NOW = 1_800_000_000_000
type Deps = ActorDeps & ConvShardDeps

const conn = (n: number): ConnRef => ({ node: 'n1', thread: 0, conn: n })
const req = (to: string, random: number, o: Partial<C2CSendRequest> = {}): C2CSendRequest => ({
  to, msgSeq: random, random, body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: `m${random}` } }], syncOtherMachine: 1,
  onlineOnly: false, needReadReceipt: false, noUnread: false, noLastMsg: false, ...o,
})

async function setup(t: { teardown(fn: () => unknown): void }, dir?: string) {
  const d = dir ?? await mkdtemp(join(tmpdir(), 'parley-convshard-'))
  const stores = await openLmdbStores(d)
  const handle = openLmdb(d)
  const checkpointer = new Checkpointer(new LmdbShardLog(handle), new LmdbConvIndex(handle))
  const deps: Deps = {
    ...stores, connections: LocalConnectionRegistry, groupMsgRate: 40, checkpointer, convShards: 64,
    apps: createAppRegistry([{ sdkAppId: APP, secretKey: 'k', admins: ['admin'], multiLogin: 'unlimited', recallWindowSeconds: 120 }]),
  }
  const h = new LocalHarness<Deps>({
    factories: { user: (ctx) => new UserSession(ctx), convs: (ctx) => new ConvShard(ctx) },
    deps, now: () => NOW,
  })
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await h.host.stop()
    await checkpointer.close()
    await handle.close()
    await stores.close()
  }
  t.teardown(async () => {
    await stop()
    if (!dir) await rm(d, { recursive: true, force: true })
  })
  for (const user of ['alice', 'bob']) await (h as Router).ask(userActor(APP, user), { kind: 'importAccount' })
  return { h, dir: d, checkpointer, stop }
}

function framesTo(h: LocalHarness<Deps>, c: ConnRef): { op: string; ev: { sh?: number; seq: number; conv: string; msg: { msgKey: string } } }[] {
  return h.pushes.filter((p) => p.conn.conn === c.conn).map((p) => decode(p.frame) as never)
}

/** Resolves once `pred` holds: pushes travel as tells through the host's mailboxes, a few turns later. */
async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

const shard = convShard(APP, 'alice', 'bob')
const send = (h: Router, from: string, r: C2CSendRequest, c?: ConnRef) =>
  h.ask(convShardActor(APP, convShard(APP, from, r.to)), { kind: 'send', from, req: r, nowMs: NOW, ...(c ? { conn: c } : {}) })

t.test('a send: answered after its append, pushed to the receiver and to the sender\'s other devices', async (t) => {
  const { h } = await setup(t)
  for (const [user, c] of [['alice', conn(1)], ['alice', conn(2)], ['bob', conn(3)]] as const) {
    await (h as Router).ask(userActor(APP, user), { kind: 'attach', conn: c, platform: 'Web', sigTime: 0 })
  }
  t.strictSame(await (h as Router).ask(convShardActor(APP, 0), { kind: 'shardsOf', user: 'bob' }), [], 'bob has no stream yet')
  const r = await send(h, 'alice', req('bob', 7), conn(1))
  t.match(r, { seq: 1, inboxSeq: 1, sh: shard, msgKey: `7_7_${NOW / 1000}`, msgTime: NOW / 1000 })
  t.strictSame(await (h as Router).ask(convShardActor(APP, 0), { kind: 'shardsOf', user: 'bob' }), [shard], "bob's shard is listed once his first event is acknowledged")
  await until(() => framesTo(h, conn(3)).length === 1 && framesTo(h, conn(2)).length === 1, 'the first pushes')
  const bob = framesTo(h, conn(3))
  t.equal(bob.length, 1, "bob's device got the event")
  t.match(bob[0], { op: 'ev', ev: { type: 'msg', sh: shard, seq: 1, conv: 'c2c:alice', msg: { msgKey: r.msgKey, seq: 1, from: 'alice' } } })
  t.match(framesTo(h, conn(2)), [{ ev: { seq: 1, conv: 'c2c:bob', sh: shard } }], "alice's other device got the echo")
  t.equal(framesTo(h, conn(1)).length, 0, 'the sending device only gets the answer')

  const retry = await send(h, 'alice', req('bob', 7), conn(1))
  t.strictSame(retry, { msgKey: r.msgKey, msgTime: r.msgTime, seq: 1, inboxSeq: 0, sh: shard }, 'a retry answers the first copy')

  const back = await send(h, 'bob', req('alice', 7, { msgSeq: 70 }), conn(3))
  t.match(back, { seq: 2, inboxSeq: 2, sh: shard }, "bob's reply: the conversation's seq 2, bob's stream seq 2")
  const noCopy = await send(h, 'alice', req('bob', 8, { syncOtherMachine: 2 }), conn(1))
  t.match(noCopy, { seq: 0, inboxSeq: 0 }, 'SyncOtherMachine 2: no sender copy, so no seq in its view (the message takes seq 3)')
  await until(() => framesTo(h, conn(3)).length === 2, "bob's copy of the uncopied send")
  t.strictSame(framesTo(h, conn(3)).map((f) => f.ev.seq), [1, 3], "bob: the first message once (the retry pushed nowhere), then seq 3")
  t.strictSame(framesTo(h, conn(2)).map((f) => f.ev.seq), [1, 2], "alice's other device: the echo and bob's reply, no echo of the uncopied send")
})

t.test('refusals: an unknown receiver, a reserved UserID, a send taken up after its startBy; nothing stored or pushed', async (t) => {
  const { h } = await setup(t)
  await t.rejects((h as Router).ask(convShardActor(APP, shard), { kind: 'send', from: 'alice', req: req('bob', 5), nowMs: NOW, startBy: NOW - 1 }),
    { code: 9007, message: /nothing was stored/ }, 'too late to start: TIMEOUT')
  const s0 = await (h as Router).ask(convShardActor(APP, shard), { kind: 'sync', user: 'bob', after: 0, limit: 10 })
  t.strictSame(s0.events, [], 'the late send stored nothing')
  t.match(await send(h, 'alice', req('bob', 5)), { seq: 1 }, 'the same send in time takes the first seq')
  await t.rejects(send(h, 'alice', req('nobody', 1)), { code: 20003 })
  await t.rejects(send(h, 'alice', req('@TIM#SYSTEM', 1)), { code: 20003 })
  const sync = await (h as Router).ask(convShardActor(APP, convShard(APP, 'alice', 'nobody')), { kind: 'sync', user: 'alice', after: 0, limit: 10 })
  t.strictSame(sync.events, [], 'nothing was stored')
  t.equal(h.pushes.length, 0)
})

t.test('online-only: pushed with seq 0, never stored, a retry not pushed again', async (t) => {
  const { h } = await setup(t)
  await (h as Router).ask(userActor(APP, 'bob'), { kind: 'attach', conn: conn(3), platform: 'Web', sigTime: 0 })
  const r = await send(h, 'alice', req('bob', 9, { onlineOnly: true }))
  t.match(r, { seq: 0, inboxSeq: 0 })
  await send(h, 'alice', req('bob', 9, { onlineOnly: true }))
  await send(h, 'alice', req('bob', 10))
  await until(() => framesTo(h, conn(3)).length === 2, 'the stored message after it')
  t.match(framesTo(h, conn(3)), [{ ev: { seq: 0, conv: 'c2c:alice' } }, { ev: { seq: 1 } }], 'one push with seq 0 (the retry none), then the stored one at seq 1')
  const sync = await (h as Router).ask(convShardActor(APP, shard), { kind: 'sync', user: 'bob', after: 0, limit: 10 })
  t.strictSame(sync.events.map((e) => e.seq), [1], 'only the stored message is in the stream')
})

t.test('sync serves the stream before and after its checkpoint, and a new activation continues it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-convshard-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const one = await setup(t, dir)
  for (let i = 1; i <= 5; i++) await send(one.h, i % 2 ? 'alice' : 'bob', req(i % 2 ? 'bob' : 'alice', 100 + i))
  const before = await (one.h as Router).ask(convShardActor(APP, shard), { kind: 'sync', user: 'bob', after: 1, limit: 3 })
  t.match(before, { sh: shard, upTo: 4, more: true })
  t.strictSame(before.events.map((e) => e.seq), [2, 3, 4], 'from memory, before any checkpoint')
  await one.checkpointer.flush()
  const after = await (one.h as Router).ask(convShardActor(APP, shard), { kind: 'sync', user: 'bob', after: 1, limit: 10 })
  t.strictSame(after.events.map((e) => e.seq), [2, 3, 4, 5], 'from the index after it')
  t.match(after, { upTo: 5, more: false })
  await one.stop()
  const two = await setup(t, dir)
  t.match(await send(two.h, 'alice', req('bob', 106)), { seq: 6, inboxSeq: 6 }, 'the next activation continues seq and stream')
  t.match(await send(two.h, 'alice', req('bob', 105)), { seq: 5 }, 'and recognises a retry from before')
})

t.test('recall, read, receipt, pin and delete: one record each, events to the right users, views and history folded', async (t) => {
  const { h, checkpointer } = await setup(t)
  const r: Router = h
  for (const [user, c] of [['alice', conn(1)], ['bob', conn(3)]] as const) await r.ask(userActor(APP, user), { kind: 'attach', conn: c, platform: 'Web', sigTime: 0 })
  const sh = convShardActor(APP, shard)
  const m1 = await send(r, 'alice', req('bob', 1))
  const m2 = await send(r, 'alice', req('bob', 2))
  t.match(await r.ask(sh, { kind: 'view', user: 'bob', peer: 'alice' }), { lastSeq: 2, unread: 2, readSeq: 0 }, "bob: two of alice's messages unread")

  await t.rejects(r.ask(sh, { kind: 'recall', user: 'bob', peer: 'alice', msgKey: m1.msgKey, as: 'sender' }), { code: 9011 }, "bob cannot recall alice's message")
  await t.rejects(r.ask(sh, { kind: 'recall', user: 'alice', peer: 'bob', msgKey: 'no_such_key', as: 'sender' }), { code: 9010 })
  await r.ask(sh, { kind: 'recall', user: 'alice', peer: 'bob', msgKey: m2.msgKey, as: 'sender' })
  await r.ask(sh, { kind: 'recall', user: 'alice', peer: 'bob', msgKey: m2.msgKey, as: 'sender' })
  t.match(await r.ask(sh, { kind: 'view', user: 'bob', peer: 'alice' }), { unread: 1 }, 'the recall dropped one unread (once, though asked twice)')
  await send(r, 'bob', req('alice', 3, { msgSeq: 30 }))
  const m4 = await send(r, 'alice', req('bob', 4, { syncOtherMachine: 2 }))
  const hist = await r.ask(sh, { kind: 'history', user: 'bob', peer: 'alice', limit: 10 })
  t.strictSame(hist.messages.map((m) => [m.seq, m.flags, m.body.length]), [[4, 0, 1], [3, 0, 1], [2, 8, 0], [1, 0, 1]], "bob's history: the recalled one flagged 8, emptied")
  const aliceHist = await r.ask(sh, { kind: 'history', user: 'alice', peer: 'bob', limit: 10 })
  t.strictSame(aliceHist.messages.map((m) => m.seq), [3, 2, 1], "alice's history hides the message she kept no copy of")

  const read = await r.ask(sh, { kind: 'read', user: 'bob', peer: 'alice' })
  t.equal(read.readTime, m4.msgTime, "the read time is the last message's time")
  t.match(await r.ask(sh, { kind: 'view', user: 'bob', peer: 'alice' }), { readSeq: 4, unread: 0 }, 'read to the end: nothing unread')
  t.match(await r.ask(sh, { kind: 'view', user: 'alice', peer: 'bob' }), { peerReadTime: m4.msgTime }, 'alice learns the read time')
  t.strictSame(await r.ask(sh, { kind: 'read', user: 'bob', peer: 'alice' }), { readTime: m4.msgTime }, 'reading again changes nothing')
  await r.ask(sh, { kind: 'receipt', user: 'bob', peer: 'alice', msgKeys: [m1.msgKey, m1.msgKey, 'unknown'] })
  await r.ask(sh, { kind: 'pin', user: 'bob', peer: 'alice', pinned: true })
  await r.ask(sh, { kind: 'pin', user: 'bob', peer: 'alice', pinned: true })
  t.match(await r.ask(sh, { kind: 'view', user: 'bob', peer: 'alice' }), { pinned: true })

  const bobEvents = async () => (await r.ask(sh, { kind: 'sync', user: 'bob', after: 0, limit: 100 })).events.map((e) => e.type)
  const beforeCheckpoint = await bobEvents()
  t.strictSame(beforeCheckpoint, ['msg', 'msg', 'recall', 'msg', 'msg', 'read', 'conv'], "bob's stream: 2 messages, the recall, 2 more, his read, his pin")
  const aliceEvents = (await r.ask(sh, { kind: 'sync', user: 'alice', after: 0, limit: 100 })).events
  t.strictSame(aliceEvents.map((e) => e.type), ['msg', 'msg', 'recall', 'msg', 'peerRead', 'peerRead'], "alice's: 3 copies and the recall, the read report, the receipt")
  t.match(aliceEvents[5], { type: 'peerRead', msgKeys: [m1.msgKey] }, 'the receipt names the message once')

  await checkpointer.flush()
  t.strictSame(await bobEvents(), beforeCheckpoint, 'the same stream from the index after the checkpoint')
  t.match(await r.ask(sh, { kind: 'view', user: 'bob', peer: 'alice' }), { readSeq: 4, unread: 0, pinned: true }, 'and the same view')
  const aliceAfter = await r.ask(sh, { kind: 'history', user: 'alice', peer: 'bob', limit: 10 })
  t.strictSame(aliceAfter.messages.map((m) => [m.seq, m.peerRead]), [[3, false], [2, true], [1, true]], "alice's history: her messages peer-read (read report and receipt), bob's not")

  await r.ask(sh, { kind: 'deleteConv', user: 'bob', peer: 'alice', clearHistory: true })
  t.match(await r.ask(sh, { kind: 'view', user: 'bob', peer: 'alice' }), { deleted: true, unread: 0, pinned: false, clearedSeq: 4 })
  t.strictSame((await r.ask(sh, { kind: 'history', user: 'bob', peer: 'alice', limit: 10 })).messages, [], "bob's cleared history is empty")
  t.equal((await r.ask(sh, { kind: 'history', user: 'alice', peer: 'bob', limit: 10 })).messages.length, 3, "alice's is not")
  const next = await send(r, 'alice', req('bob', 5))
  t.equal(next.seq, 5, 'the conversation seq continues after a clear')
  t.match(await r.ask(sh, { kind: 'view', user: 'bob', peer: 'alice' }), { deleted: false, unread: 1 }, 'a new message brings the conversation back')
  t.strictSame((await r.ask(sh, { kind: 'history', user: 'bob', peer: 'alice', limit: 10 })).messages.map((m) => m.seq), [5])
})
