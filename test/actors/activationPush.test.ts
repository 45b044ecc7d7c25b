/**
 * A session activated with devices already online (a durable registry: cluster mode) pushes
 * them its newest inbox event. A previous activation on a node that was killed may have
 * committed events without pushing them, and the client's retry of such a send is answered
 * from the stored copy without a push; the head event makes a device that missed the tail see
 * a gap and catch up. A device that already has it ignores it (the SDK drops seqs it holds);
 * a session with no device online, or an empty inbox, pushes nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { userActor } from '../../actors/user/protocol.js'
import type { ActorDeps } from '../../actors/deps.js'
import type { ConnRef } from '../../actors/runtime/types.js'
import { UserSession } from '../../actors/user/UserSession.js'
import { decode } from '../../src/core/codec.js'
import type { C2CSendRequest } from '../../src/model/message.js'
import { createAppRegistry } from '../../src/model/apps.js'
import { sendC2C } from '../../src/services/c2c.js'
import { openLmdbStores } from '../../src/store/lmdb/openLmdbStores.js'
import { LocalHarness, memoryRegistry } from './fixtures/helpers.js'

const APP = 1400000004

async function setup(t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-activation-push-'))
  const stores = await openLmdbStores(dir)
  const deps: ActorDeps = {
    ...stores, connections: memoryRegistry(), groupMsgRate: 40,
    apps: createAppRegistry([{ sdkAppId: APP, secretKey: 'k', admins: ['admin'], multiLogin: 'unlimited', recallWindowSeconds: 120 }]),
  }
  const hosts: LocalHarness<ActorDeps>[] = []
  /** A fresh host over the same store and registry: the sessions' next activations. */
  const activation = () => {
    const h = new LocalHarness<ActorDeps>({ factories: { user: (ctx) => new UserSession(ctx) }, deps })
    hosts.push(h)
    return h
  }
  t.teardown(async () => {
    for (const h of hosts) await h.host.stop()
    await stores.close()
    await rm(dir, { recursive: true, force: true })
  })
  return activation
}

const request = (to: string, n: number): C2CSendRequest =>
  ({ to, msgSeq: n, random: 2000 + n, time: 1_700_000_000, body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: `m${n}` } }],
    syncOtherMachine: 1, onlineOnly: false, needReadReceipt: false, noUnread: false, noLastMsg: false })

/** The inbox seqs of the `ev` frames pushed to `conn`, in order. */
const pushedSeqs = (h: LocalHarness<ActorDeps>, conn: ConnRef) =>
  h.pushes.filter((p) => p.conn.conn === conn.conn && p.conn.node === conn.node)
    .map((p) => decode(p.frame) as { op: string; ev: { seq: number } })
    .filter((f) => f.op === 'ev').map((f) => f.ev.seq)

t.test('a session activated with a device online pushes it its newest event, once', async (t) => {
  const activation = await setup(t)
  const alice = userActor(APP, 'alice')
  const device: ConnRef = { node: 'n1', thread: 0, conn: 7 }
  const first = activation()
  for (const user of ['alice', 'bob']) await first.ask(userActor(APP, user), { kind: 'importAccount' })
  const attach = { kind: 'attach', conn: device, platform: 'Web', sigTime: 1 } as const
  await first.ask(alice, attach)
  t.same(pushedSeqs(first, device), [], 'nothing to push at the first activation: the inbox was empty')
  await sendC2C(first, APP, 'bob', request('alice', 1), 1_700_000_000_000)
  await sendC2C(first, APP, 'bob', request('alice', 2), 1_700_000_000_000)
  t.same(pushedSeqs(first, device), [1, 2], 'pushed live as stored')

  await first.host.stop()
  const next = activation()
  await next.ask(alice, { kind: 'status' })
  t.same(pushedSeqs(next, device), [2], 'the next activation pushed the head event to the device it found online')
  await next.ask(alice, { kind: 'status' })
  t.same(pushedSeqs(next, device), [2], 'once per activation, not per message')

  // bob has no device online: his next activation pushes nothing.
  await next.ask(userActor(APP, 'bob'), { kind: 'status' })
  t.equal(next.pushes.filter((p) => p.conn.conn !== device.conn).length, 0)
})
