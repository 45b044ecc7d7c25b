/**
 * One-to-one sends through `sendC2C` on a real ActorHost with two UserSession actors over a
 * real LMDB store, counting the store's duplicate lookups (findByKey, getDedupe). The view
 * that receives a seq already assigned by the pair's sequencer skips the lookups when that
 * seq is beyond its last one; a retry (same message, same seq) still finds the stored copy
 * and changes nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { userActor } from '../../actors/ActorId.js'
import { LocalConnectionRegistry } from '../../actors/connections.js'
import type { ActorDeps } from '../../actors/deps.js'
import { UserSession } from '../../actors/UserSession.js'
import { createAppRegistry } from '../../src/config/apps.js'
import { sendC2C } from '../../src/messaging/c2c.js'
import { c2cConv } from '../../src/protocol/events.js'
import type { C2CSendRequest } from '../../src/protocol/message.js'
import { openLmdbStores } from '../../src/store/lmdb/openLmdb.js'
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
