/**
 * A one-to-one send answered with a retryable failure stored nothing, as far as the chain of
 * asks allows (src/services/c2c.ts): `sendC2C` on a real ActorHost with two UserSession
 * actors over a real LMDB store. A store step taken up after its `startBy` is refused
 * TIMEOUT and changes nothing; a first step refused BUSY ends the send before anything is
 * stored; a second step refused BUSY (a full mailbox, injected at the router, as the host
 * answers it) is waited out; BUSY through every pause is the one case left, and the
 * client's retry completes it once.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { type MessageDraft, userActor } from '../../actors/user/protocol.js'
import { LocalConnectionRegistry } from '../../actors/connections.js'
import type { ActorDeps } from '../../actors/deps.js'
import { UserSession } from '../../actors/user/UserSession.js'
import type { ActorId } from '../../actors/runtime/ActorId.js'
import type { ActorMessage } from '../../actors/runtime/protocol.js'
import { RuntimeError } from '../../actors/runtime/errors.js'
import type { AskOptions, Router } from '../../actors/runtime/types.js'
import { createAppRegistry } from '../../src/model/apps.js'
import { SECOND_STEP_RETRY_MS, sendC2C } from '../../src/services/c2c.js'
import { c2cConv } from '../../src/protocol/events.js'
import type { C2CSendRequest } from '../../src/model/message.js'
import { openLmdbStores } from '../../src/store/lmdb/openLmdbStores.js'
import { LocalHarness } from './fixtures/helpers.js'

const APP = 1400000003

async function setup(t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-c2c-retryable-'))
  const stores = await openLmdbStores(dir)
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
  const held = async (user: string, peer: string) =>
    (await stores.messages.readHistory({ app: APP, user }, c2cConv(peer), { limit: 10 })).map((m) => m.random)
  return { h, stores, held }
}

/**
 * The harness as a Router whose asks of `kind` to `user` are answered BUSY, as a full mailbox
 * answers them, the first `times` times; every ask is recorded.
 */
function busyFor(h: LocalHarness<ActorDeps>, user: string, kind: string, times: number): { router: Router; asked: string[] } {
  const asked: string[] = []
  let left = times
  const ask = (to: ActorId, msg: ActorMessage, o?: AskOptions): Promise<unknown> => {
    asked.push(`${msg.kind} ${to.key}`)
    if (to.key === user && msg.kind === kind && left > 0) {
      left--
      return Promise.reject(new RuntimeError('BUSY'))
    }
    return h.ask(to, msg, o)
  }
  const router: Router = {
    tell: (to, msg) => h.tell(to, msg),
    ask: ask as Router['ask'],
    push: (conn, frame) => h.push(conn, frame),
    disconnect: (conn, code) => h.disconnect(conn, code),
    subscribe: () => h.subscribe(),
    publish: () => h.publish(),
    queryInterest: () => h.queryInterest(),
    threads: () => h.threads(),
  }
  return { router, asked }
}

const request = (to: string, n: number): C2CSendRequest =>
  ({ to, msgSeq: n, random: 1000 + n, body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: `m${n}` } }], syncOtherMachine: 1,
    onlineOnly: false, needReadReceipt: false, noUnread: false, noLastMsg: false })

const draft = (from: string, to: string, n: number): MessageDraft =>
  ({ msgKey: `${n}_${1000 + n}_1700000000`, from, to, msgSeq: n, random: 1000 + n, time: 1_700_000_000, body: request(to, n).body })
const opts = { onlineOnly: false, noUnread: false, noLastMsg: false }

t.test('a store step taken up after its startBy is refused TIMEOUT and changes nothing', async (t) => {
  const { h: harness, stores, held } = await setup(t)
  const h: Router = harness
  const late = Date.now() - 1
  await t.rejects(h.ask(userActor(APP, 'bob'), { kind: 'deliver', msg: draft('alice', 'bob', 1), opts, startBy: late }),
    { code: 9007, message: /waited too long to start; nothing was stored/ }, 'deliver')
  await t.rejects(h.ask(userActor(APP, 'alice'), { kind: 'recordSent', msg: draft('alice', 'bob', 2), opts, startBy: late }),
    { code: 9007 }, 'recordSent')
  await t.rejects(h.ask(userActor(APP, 'alice'), { kind: 'recordSent', msg: draft('alice', 'bob', 3), opts, reserveOnly: true, startBy: late }),
    { code: 9007 }, 'recordSent reserving a seq only')
  t.same(await held('bob', 'alice'), [], 'bob stored nothing')
  t.same(await held('alice', 'bob'), [], 'alice stored nothing')
  for (const user of ['alice', 'bob']) t.equal(await stores.messages.lastInboxSeq({ app: APP, user }), 0, `${user}'s inbox is empty`)
  const inTime = await h.ask(userActor(APP, 'bob'), { kind: 'deliver', msg: draft('alice', 'bob', 1), opts, startBy: Date.now() + 5_000 })
  t.equal(inTime.seq, 1, 'the same step in time is stored, at the first seq: the refused one took none')
})

t.test('the first store step refused BUSY: the send fails before anything is stored', async (t) => {
  for (const [from, to, first] of [['bob', 'alice', 'deliver alice'], ['alice', 'bob', 'recordSent alice']] as const) {
    const { h, held } = await setup(t)
    const [kind, user] = first.split(' ')
    const { router, asked } = busyFor(h, user, kind, 1)
    await t.rejects(sendC2C(router, APP, from, request(to, 1), Date.now()), { code: 9006 }, `${from} → ${to}: BUSY`)
    t.equal(asked.at(-1), first, `${from} → ${to}: nothing was asked after the refused step`)
    t.same([...await held('alice', 'bob'), ...await held('bob', 'alice')], [], `${from} → ${to}: neither view holds it`)
  }
})

t.test('a second step refused BUSY is waited out: the send completes, each view holds it once', async (t) => {
  // bob → alice: alice (the smaller UserID) sequences, so bob's own copy is the second step;
  // alice → bob: alice sequences, so bob's delivery is.
  for (const [from, to, second] of [['bob', 'alice', 'recordSent bob'], ['alice', 'bob', 'deliver bob']] as const) {
    const { h, held } = await setup(t)
    const [kind, user] = second.split(' ')
    const { router, asked } = busyFor(h, user, kind, 2)
    const r = await sendC2C(router, APP, from, request(to, 1), Date.now())
    t.equal(r.seq, 1, `${from} → ${to}: answered ok`)
    t.equal(asked.filter((a) => a === second).length, 3, `${from} → ${to}: the second step was asked three times`)
    t.same(await held('alice', 'bob'), [1001], `${from} → ${to}: alice holds it once`)
    t.same(await held('bob', 'alice'), [1001], `${from} → ${to}: bob holds it once`)
  }
})

t.test('a second step BUSY through every pause is the send\'s answer; the retry completes it once', async (t) => {
  const { h, held } = await setup(t)
  const { router, asked } = busyFor(h, 'bob', 'recordSent', SECOND_STEP_RETRY_MS.length + 1)
  await t.rejects(sendC2C(router, APP, 'bob', request('alice', 1), Date.now()), { code: 9006 }, 'BUSY')
  t.equal(asked.filter((a) => a === 'recordSent bob').length, SECOND_STEP_RETRY_MS.length + 1, 'asked once, then once after each pause')
  t.same(await held('alice', 'bob'), [1001], 'the case left: the first view (alice, the sequencer) holds it')
  t.same(await held('bob', 'alice'), [], 'the second does not')
  const retry = await sendC2C(router, APP, 'bob', request('alice', 1), Date.now())
  t.equal(retry.seq, 1, 'the client\'s retry (same MsgRandom) is answered with the first seq')
  t.same(await held('alice', 'bob'), [1001], 'alice still holds it once')
  t.same(await held('bob', 'alice'), [1001], 'bob now holds it once')
})
