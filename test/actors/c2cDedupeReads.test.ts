/**
 * One-to-one sends through `sendC2C` on a real ActorHost with two UserSession actors over a
 * real LMDB store, counting the store's duplicate lookups (findByKey, getDedupe). The view
 * that receives a seq already assigned by the pair's sequencer skips the lookups when that
 * seq is beyond its last one, and keeps no MsgRandom record (the sequencer's catches a
 * retry); a retry (same message, same seq) still finds the stored copy and changes nothing,
 * also when the sender keeps no copy (SyncOtherMachine = 2).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { userActor, type UserSessionMsg } from '../../actors/user/protocol.js'
import { LocalConnectionRegistry } from '../../actors/connections.js'
import type { ActorDeps } from '../../actors/deps.js'
import { UserSession } from '../../actors/user/UserSession.js'
import { createAppRegistry } from '../../src/model/apps.js'
import { recallC2C, sendC2C } from '../../src/services/c2c.js'
import { decode } from '../../src/core/codec.js'
import { c2cConv } from '../../src/protocol/events.js'
import type { C2CSendRequest } from '../../src/model/message.js'
import { openLmdbStores } from '../../src/store/lmdb/openLmdbStores.js'
import { LocalHarness } from './fixtures/helpers.js'

const APP = 1400000002

async function setup(t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-c2c-reads-'))
  const stores = await openLmdbStores(dir)
  const lookups: string[] = []
  const { messages } = stores
  const findByKey = messages.findByKey.bind(messages)
  const getDedupe = messages.getDedupe.bind(messages)
  messages.findByKey = (o, conv, key) => { lookups.push(`findByKey ${o.user}`); return findByKey(o, conv, key) }
  messages.getDedupe = (o, conv, random) => { lookups.push(`getDedupe ${o.user}`); return getDedupe(o, conv, random) }
  const deps: ActorDeps = {
    ...stores, connections: LocalConnectionRegistry, groupMsgRate: 40,
    apps: createAppRegistry([{ sdkAppId: APP, secretKey: 'k', admins: ['admin'], multiLogin: 'unlimited', recallWindowSeconds: 120 }]),
  }
  const h = new LocalHarness<ActorDeps>({ factories: { user: (ctx) => new UserSession(ctx) }, deps })
  t.teardown(async () => {
    await h.host.stop()
    await stores.close()
    await rm(dir, { recursive: true, force: true })
  })
  for (const user of ['alice', 'bob']) await h.ask(userActor(APP, user), { kind: 'importAccount' })
  return { h, stores, lookups }
}

const text = (n: number): C2CSendRequest['body'] => [{ MsgType: 'TIMTextElem', MsgContent: { Text: `m${n}` } }]
const request = (to: string, n: number): C2CSendRequest =>
  ({ to, msgSeq: n, random: 1000 + n, time: 1_700_000_000, body: text(n), syncOtherMachine: 1, onlineOnly: false,
    needReadReceipt: false, noUnread: false, noLastMsg: false })

t.test('the view given a new seq reads nothing; a retry is still found in both views', async (t) => {
  const { h, stores, lookups } = await setup(t)
  const now = 1_700_000_000_000
  // alice < bob: alice's session sequences the pair. alice → bob: alice sequences, bob is given the seq.
  const first = await sendC2C(h, APP, 'alice', request('bob', 1), now)
  t.equal(first.seq, 1)
  t.same(lookups.filter((l) => l.endsWith('bob')), [], 'bob, given seq 1 beyond his last seq 0, looked nothing up')
  t.ok(lookups.some((l) => l.endsWith('alice')), 'the sequencer looked for a duplicate')
  t.ok(await stores.messages.getDedupe({ app: APP, user: 'alice' }, c2cConv('bob') + '\u0001sent', 1001), 'the sequencer keeps a MsgRandom record')
  t.equal(await stores.messages.getDedupe({ app: APP, user: 'bob' }, c2cConv('alice'), 1001), undefined, 'the view given the seq keeps none')

  // bob → alice: bob delivers to alice (the sequencer), then bob's copy is given the seq.
  lookups.length = 0
  const second = await sendC2C(h, APP, 'bob', request('alice', 2), now)
  t.equal(second.seq, 2)
  t.same(lookups.filter((l) => l.endsWith('bob')), [], 'bob\'s copy at seq 2 looked nothing up')

  // The same send again (a client retry after a lost ack): both views answer with the stored copy.
  lookups.length = 0
  const retry = await sendC2C(h, APP, 'bob', request('alice', 2), now)
  t.same({ ...retry, inboxSeq: second.inboxSeq }, second, 'the retry answers with the first send\'s key, time and seq')
  t.ok(lookups.some((l) => l.endsWith('bob')), 'bob\'s view, given a seq it already holds, looked it up')
  for (const user of ['alice', 'bob']) {
    const history = await stores.messages.readHistory({ app: APP, user }, c2cConv(user === 'alice' ? 'bob' : 'alice'), { limit: 10 })
    t.same(history.map((m) => m.seq).sort(), [1, 2], `${user} holds each message once`)
    t.equal(await stores.messages.lastInboxSeq({ app: APP, user }), 2, `${user}'s inbox has two events`)
  }
})

t.test('SyncOtherMachine 2 from the sequencer: a retry reaches the receiver once', async (t) => {
  const { h, stores } = await setup(t)
  // alice < bob: alice sequences, but keeps no copy; only the seq is reserved in her view.
  const quiet = (n: number): C2CSendRequest => ({ ...request('bob', n), time: undefined, syncOtherMachine: 2 })
  const first = await sendC2C(h, APP, 'alice', quiet(1), 1_700_000_000_000)
  // A client retry after a lost ack, a few seconds later: same MsgRandom and MsgSeq, new server time.
  const retry = await sendC2C(h, APP, 'alice', quiet(1), 1_700_000_005_000)
  t.same(retry, first, 'the retry answers with the first send\'s key and time')
  const bob = { app: APP, user: 'bob' }
  const history = await stores.messages.readHistory(bob, c2cConv('alice'), { limit: 10 })
  t.same(history.map((m) => m.msgKey), [first.msgKey], 'bob holds the message once')
  t.equal(await stores.messages.lastInboxSeq(bob), 1, 'bob\'s inbox has one event')
  t.same(await stores.messages.readHistory({ app: APP, user: 'alice' }, c2cConv('bob'), { limit: 10 }), [], 'alice keeps no copy')

  // A new message (new MsgRandom) still gets the next seq.
  const next = await sendC2C(h, APP, 'alice', quiet(2), 1_700_000_006_000)
  t.ok(next.msgKey !== first.msgKey, 'a new message is not taken for the retried one')
  t.same((await stores.messages.readHistory(bob, c2cConv('alice'), { limit: 10 })).map((m) => m.seq), [2, 1], 'bob holds both, in seq order')
})

const keysOf = async (stores: Awaited<ReturnType<typeof setup>>['stores'], user: string, peer: string) =>
  (await stores.messages.readHistory({ app: APP, user }, c2cConv(peer), { limit: 10 })).map((m) => `${m.seq} ${m.msgKey} ${m.flags}`)

t.test('a retry after the sequencer cleared the conversation takes no new seq in either view', async (t) => {
  for (const [from, to] of [['alice', 'bob'], ['bob', 'alice']] as const) {
    const { h, stores } = await setup(t)
    // alice sequences either way: her view is the first one, and she clears it before the retry.
    const first = await sendC2C(h, APP, from, { ...request(to, 1), time: undefined }, 1_700_000_000_000)
    const clear: UserSessionMsg = { kind: 'deleteConv', peer: 'bob', clearHistory: true }
    await h.ask(userActor(APP, 'alice'), clear)
    const retry = await sendC2C(h, APP, from, { ...request(to, 1), time: undefined }, 1_700_000_005_000)
    t.same(retry, { ...first, inboxSeq: retry.inboxSeq }, `${from} → ${to}: the retry answers with the first key, time and seq`)
    t.same(await keysOf(stores, 'bob', 'alice'), [`1 ${first.msgKey} 0`], `${from} → ${to}: bob holds the message once`)
    t.same(await keysOf(stores, 'alice', 'bob'), [], `${from} → ${to}: alice's cleared view stays cleared`)
  }
})

t.test('a retry of a message recalled since is not given to the view that lacked it', async (t) => {
  const { h, stores } = await setup(t)
  const commit = stores.messages.commit.bind(stores.messages)
  let failBob = true
  // bob's store step fails once: alice (the sequencer) holds the message, bob does not.
  stores.messages.commit = (o, c) => failBob && o.user === 'bob' && c.messages?.length ? Promise.reject(new Error('disk full')) : commit(o, c)
  // Real time: a user's recall is checked against the actor's clock.
  const now = Date.now()
  const fresh = { ...request('bob', 1), time: undefined }
  await t.rejects(sendC2C(h, APP, 'alice', fresh, now), 'the first attempt fails at bob')
  failBob = false
  const [mine] = await stores.messages.readHistory({ app: APP, user: 'alice' }, c2cConv('bob'), { limit: 1 })
  await recallC2C(h, APP, 'alice', 'bob', mine!.msgKey, false)
  const retry = await sendC2C(h, APP, 'alice', fresh, now + 1000)
  t.equal(retry.msgKey, mine!.msgKey, 'the retry answers with the recalled copy')
  t.same(await keysOf(stores, 'alice', 'bob'), [`1 ${mine!.msgKey} 8`], 'alice holds it recalled')
  t.same(await keysOf(stores, 'bob', 'alice'), [], 'bob never gets the recalled message')
})

t.test('an online-only retry answers with the first key and is not pushed again', async (t) => {
  const { h, stores } = await setup(t)
  const bobDevice = { node: 'n1', thread: 0, conn: 7 }
  const aliceOther = { node: 'n1', thread: 0, conn: 8 }
  const bobAttach: UserSessionMsg = { kind: 'attach', conn: bobDevice, platform: 'Web', sigTime: 0 }
  const aliceAttach: UserSessionMsg = { kind: 'attach', conn: aliceOther, platform: 'iOS', sigTime: 0 }
  await h.ask(userActor(APP, 'bob'), bobAttach)
  await h.ask(userActor(APP, 'alice'), aliceAttach)
  const ping = (n: number): C2CSendRequest => ({ ...request('bob', n), time: undefined, onlineOnly: true })
  const keysPushedTo = (conn: number) => h.pushes.filter((p) => p.conn.conn === conn)
    .map((p) => (decode(p.frame) as { ev: { msg: { msgKey: string } } }).ev.msg.msgKey)

  const first = await sendC2C(h, APP, 'alice', ping(1), 1_700_000_000_000)
  // The client retries after a lost ack, seconds later: same MsgRandom, new server time.
  const retry = await sendC2C(h, APP, 'alice', ping(1), 1_700_000_005_000)
  t.equal(retry.msgKey, first.msgKey, 'the retry answers with the first key')
  t.equal(retry.msgTime, first.msgTime, 'and the first time')
  const next = await sendC2C(h, APP, 'alice', ping(2), 1_700_000_006_000)
  t.not(next.msgKey, first.msgKey, 'a new MsgRandom is a new message')
  t.same(keysPushedTo(7), [first.msgKey, next.msgKey], 'bob\'s device got each message once')
  t.same(keysPushedTo(8), [first.msgKey, next.msgKey], 'alice\'s other device got each message once')
  // The same MsgRandom in the other direction is another message.
  const back = await sendC2C(h, APP, 'bob', { ...request('alice', 1), time: undefined, onlineOnly: true }, 1_700_000_007_000)
  t.not(back.msgKey, first.msgKey, 'bob → alice with the same MsgRandom is not taken for alice\'s message')
  t.same(keysPushedTo(8), [first.msgKey, next.msgKey, back.msgKey], 'and reaches alice\'s device')
  for (const user of ['alice', 'bob']) t.equal(await stores.messages.lastInboxSeq({ app: APP, user }), 0, `nothing was stored for ${user}`)
})
