/**
 * One-to-one sends through `sendC2C` on a real ActorHost with two UserSession actors over a
 * real LMDB store, each commit's durability held by the test: a wrapper over the store's
 * `commitOrdered` resolves `durable` only after the real one and the test's release (LMDB
 * syncs too fast to watch the order otherwise). Shows that the first view answers once its
 * commit is ordered, so the second view's commit starts before the first is durable; that
 * the send answers only once the second view is durable; that each view's devices are told
 * only once its own commit is durable; and that when the second view already holds the
 * message (it commits nothing), the send waits for the first view to `settle`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { userActor } from '../../actors/ActorId.js'
import { LocalConnectionRegistry } from '../../actors/connections.js'
import type { ActorDeps } from '../../actors/deps.js'
import type { ActorMessage, AskOptions, ConnRef, Router } from '../../actors/runtime/types.js'
import { UserSession, type UserSessionMsg } from '../../actors/UserSession.js'
import { createAppRegistry } from '../../src/config/apps.js'
import { sendC2C } from '../../src/messaging/c2c.js'
import { decode } from '../../src/protocol/codec.js'
import { c2cConv } from '../../src/protocol/events.js'
import { type C2CSendRequest, makeMsgKey, type StoredMessage } from '../../src/protocol/message.js'
import { openLmdbStores } from '../../src/store/lmdb/openLmdb.js'
import { deferred, LocalHarness } from './fixtures/helpers.js'

const APP = 1400000003
const NOW = 1_700_000_000_000
const TIME = NOW / 1000

interface HeldCommit {
  user: string
  release(): void
}

async function setup(t: Test, seed?: (stores: Awaited<ReturnType<typeof openLmdbStores>>) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-c2c-ordered-'))
  const stores = await openLmdbStores(dir)
  if (seed) await seed(stores)
  const { messages } = stores
  const real = messages.commitOrdered.bind(messages)
  let holding = false
  const issued: HeldCommit[] = []
  const waiting: { user: string; resolve: (c: HeldCommit) => void }[] = []
  messages.commitOrdered = (owner, c) => {
    const inner = real(owner, c)
    if (!holding) return inner
    const gate = deferred()
    const held = { user: owner.user, release: () => gate.resolve() }
    const w = waiting.findIndex((x) => x.user === owner.user)
    if (w >= 0) waiting.splice(w, 1)[0]!.resolve(held)
    else issued.push(held)
    return { ordered: inner.ordered, durable: Promise.all([inner.durable, gate.promise]).then(() => undefined) }
  }
  /** The next commit of `user` issued while holding. */
  const nextCommit = (user: string): Promise<HeldCommit> => {
    const i = issued.findIndex((c) => c.user === user)
    if (i >= 0) return Promise.resolve(issued.splice(i, 1)[0]!)
    return new Promise((resolve) => waiting.push({ user, resolve }))
  }
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
  const devices = new Map<string, ConnRef>()
  for (const [i, user] of ['alice', 'bob'].entries()) {
    await h.ask(userActor(APP, user), { kind: 'importAccount' })
    const conn: ConnRef = { node: 'n1', thread: 0, conn: i + 1 }
    const attach: UserSessionMsg = { kind: 'attach', conn, platform: 'Web', sigTime: 0 }
    await h.ask(userActor(APP, user), attach)
    devices.set(user, conn)
  }
  /** The asks sendC2C makes, by kind, through a router that records them. */
  const asked: string[] = []
  const router: Router = Object.assign(Object.create(h) as Router, {
    ask<R>(to: Parameters<Router['ask']>[0], msg: ActorMessage, opts?: AskOptions): Promise<R> {
      asked.push(msg.kind)
      return h.ask<R>(to, msg, opts)
    },
  })
  const pushedTo = (user: string): number[] => h.pushes
    .filter((p) => p.conn.conn === devices.get(user)!.conn)
    .map((p) => (decode(p.frame) as { ev: { seq: number } }).ev.seq)
  return { h, stores, router, asked, pushedTo, hold: () => { holding = true }, nextCommit }
}

const request = (to: string, n: number): C2CSendRequest =>
  ({ to, msgSeq: n, random: 1000 + n, time: TIME, body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: `m${n}` } }],
    syncOtherMachine: 1, onlineOnly: false, needReadReceipt: false, noUnread: false, noLastMsg: false })

/** Lets every promise reaction that is ready run (one macrotask turn); not a timed wait. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

function watch<T>(p: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let done = false
  const promise = p.finally(() => { done = true })
  return { settled: () => done, promise }
}

t.test('the second view commits before the first is durable; the answer waits for the second', async (t) => {
  const { router, pushedTo, hold, nextCommit } = await setup(t)
  hold()
  // alice < bob: alice's session sequences the pair, so her copy is committed first.
  const send = watch(sendC2C(router, APP, 'alice', request('bob', 1), NOW))
  const alice = await nextCommit('alice')
  const bob = await nextCommit('bob')
  t.pass('bob\'s commit started while alice\'s was still not durable')
  await turn()
  t.notOk(send.settled(), 'no answer while bob\'s commit is not durable')
  t.same(pushedTo('bob'), [], 'bob\'s device is told nothing before his commit is durable')

  bob.release()
  const res = await send.promise
  t.equal(res.seq, 1, 'answered once the second view was durable')
  t.same(pushedTo('bob'), [1], 'bob\'s device got the message')
  t.same(pushedTo('alice'), [], 'alice\'s device (the echo) waits for her own commit')

  alice.release()
  await turn()
  t.same(pushedTo('alice'), [1], 'and gets it once alice\'s commit is durable')
})

t.test('the receiver sequences: the same overlap, in the other order', async (t) => {
  const { router, pushedTo, hold, nextCommit } = await setup(t)
  hold()
  // bob → alice: alice (the receiver) sequences, then bob's copy is given the seq.
  const send = watch(sendC2C(router, APP, 'bob', request('alice', 1), NOW))
  const alice = await nextCommit('alice')
  const bob = await nextCommit('bob')
  bob.release()
  await turn()
  t.same(pushedTo('alice'), [], 'alice\'s device waits for her commit')
  const res = await send.promise
  t.equal(res.seq, 1)
  alice.release()
  await turn()
  t.same(pushedTo('alice'), [1])
  t.same(pushedTo('bob'), [1])
})

t.test('a second view that already holds the message commits nothing: the send waits for the first to settle', async (t) => {
  const msg: StoredMessage = {
    msgKey: makeMsgKey(1, 1001, TIME), from: 'alice', to: 'bob', msgSeq: 1, random: 1001, time: TIME,
    body: request('bob', 1).body, seq: 1, flags: 0,
  }
  // Bob's view already holds alice's message at seq 1 (as if an earlier attempt had stored it);
  // alice's view does not.
  const { router, asked, stores, hold, nextCommit } = await setup(t, (s) => s.messages.commit({ app: APP, user: 'bob' }, {
    inbox: [{ type: 'msg', seq: 1, conv: c2cConv('alice'), msg }],
    messages: [{ conv: c2cConv('alice'), msg }],
    conversations: [{ conv: c2cConv('alice'), lastSeq: 1, lastMsg: msg, lastTime: TIME, unread: 1, readSeq: 0, pinned: false, deleted: false }],
    dedupe: [{ conv: c2cConv('alice'), random: 1001, record: { msgKey: msg.msgKey, time: TIME } }],
  }))
  hold()
  const send = watch(sendC2C(router, APP, 'alice', request('bob', 1), NOW))
  const alice = await nextCommit('alice')
  while (!asked.includes('settle')) await turn()
  await turn()
  t.notOk(send.settled(), 'bob answered with his stored copy, and the send waits for alice\'s commit')
  alice.release()
  const res = await send.promise
  t.equal(res.seq, 1, 'then it answers')
  t.same(asked, ['checkAccount', 'recordSent', 'deliver', 'settle'])
  const history = await stores.messages.readHistory({ app: APP, user: 'bob' }, c2cConv('alice'), { limit: 10 })
  t.equal(history.length, 1, 'bob still holds the message once')
})
