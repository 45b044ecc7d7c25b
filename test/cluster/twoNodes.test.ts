/**
 * Two nodes in one process over a real Redis, wired as a cluster node's threads will be:
 * per node a RedisMembership; per thread a ThreadMesh, a RedisNodeBus endpoint, a
 * BusRemoteNodes, a MeshRouter and an ActorHost. Checks that asks cross nodes both ways
 * (including an actor asking an actor on the other node), that tells from one sender
 * arrive in order, that an ask to a node that stopped listening is answered by its
 * timeout, and that an ask to a node that crashed is rejected as soon as the membership
 * drops the node, long before its timeout.
 */
import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { type ActorId } from '../../actors/runtime/ActorId.js'
import { type MembershipSnapshot, placeActor, shardOf } from '../../actors/runtime/placement.js'
import { ActorHost } from '../../actors/runtime/ActorHost.js'
import { MeshRouter } from '../../actors/runtime/MeshRouter.js'
import { ThreadMesh, createMeshPorts } from '../../actors/runtime/ThreadMesh.js'
import type { Actor, ActorContext } from '../../actors/runtime/types.js'
import type { ActorMessage, ActorRef, Call, CheckedProtocol, MessageOf } from '../../actors/runtime/protocol.js'
import { BusRemoteNodes } from '../../cluster/BusRemoteNodes.js'
import { RedisMembership } from '../../cluster/RedisMembership.js'
import { RedisNodeBus } from '../../cluster/RedisNodeBus.js'
import { RecordingLog } from '../actors/fixtures/helpers.js'
import { type RedisTarget, deleteKeys, ensureRedis } from '../helpers/redis.js'
import { until } from './fixtures/membershipSuite.js'

const THREADS = 2
const HEARTBEAT_MS = 200
const TTL_MS = 2_000

interface AskOther { kind: 'askOther'; to: ActorRef<RecorderProtocol> }
type RecorderProtocol = CheckedProtocol<{
  append: Call<{ kind: 'append'; i: number }, undefined>
  get: Call<{ kind: 'get' }, Where>
  askOther: Call<AskOther, { via: string; answer: Where }>
}>
type Msg = MessageOf<RecorderProtocol>

const msg = (m: Msg): Msg => m

interface Where {
  node: string
  thread: number
  items: number[]
}

/** Records what it is told and says where it lives; can ask another actor on request. */
class Recorder implements Actor {
  private readonly items: number[] = []
  constructor(private readonly ctx: ActorContext) {}
  async onActivate(): Promise<void> {}
  async onDeactivate(): Promise<void> {}
  async handle(raw: ActorMessage): Promise<unknown> {
    const m = raw as Msg
    switch (m.kind) {
      case 'append':
        this.items.push(m.i)
        return undefined
      case 'get':
        return { node: this.ctx.node, thread: this.ctx.thread, items: this.items } satisfies Where
      case 'askOther':
        return { via: this.ctx.node, answer: await this.ctx.ask(m.to, { kind: 'get' }, { timeoutMs: 5_000 }) }
    }
  }
}

interface TestNode {
  id: string
  membership: RedisMembership
  threads: { router: MeshRouter; bus: RedisNodeBus; host: ActorHost<undefined> }[]
  /** Stops the node's bus endpoints only (membership still lists it): it stops answering. */
  silence(): Promise<void>
}

async function startNode(t: Test, name: string, redis: RedisTarget): Promise<TestNode> {
  const id = `${name}#${randomBytes(3).toString('hex')}`
  const log = new RecordingLog()
  const membership = new RedisMembership({ redis: redis.url, prefix: redis.prefix, self: id, log, heartbeatMs: HEARTBEAT_MS, ttlMs: TTL_MS })
  const threads = createMeshPorts(THREADS).map((ports) => {
    const mesh = new ThreadMesh({ node: id, ports, log })
    const bus = new RedisNodeBus({ redis: redis.url, prefix: redis.prefix, node: id, thread: ports.thread, log })
    const remote = new BusRemoteNodes({ bus, mesh })
    const router = new MeshRouter({ mesh, membership, remote, log })
    const host = new ActorHost({
      node: id,
      thread: ports.thread,
      router,
      replies: router,
      log,
      deps: undefined,
      factories: { user: (ctx) => new Recorder(ctx) },
    })
    return { mesh, bus, remote, router, host }
  })
  await Promise.all(threads.map((th) => th.bus.start()))
  for (const th of threads) th.mesh.start(th.host)
  await membership.start()
  t.teardown(async () => {
    await Promise.all(threads.map((th) => th.host.stop()))
    for (const th of threads) th.remote.close()
    await Promise.all(threads.map((th) => th.bus.stop()))
    for (const th of threads) th.mesh.close()
    await membership.stop()
  })
  return { id, membership, threads, silence: async () => void (await Promise.all(threads.map((th) => th.bus.stop()))) }
}

async function twoNodes(t: Test): Promise<{ a: TestNode; b: TestNode; snap: MembershipSnapshot }> {
  const redis = await ensureRedis()
  t.teardown(() => deleteKeys(redis.url, redis.prefix))
  const a = await startNode(t, 'A', redis)
  const b = await startNode(t, 'B', redis)
  const both = (s: MembershipSnapshot) => s.nodes.length === 2
  await Promise.all([until(a.membership, both), until(b.membership, both)])
  const top = Math.max(a.membership.snapshot().version, b.membership.snapshot().version)
  await Promise.all([a, b].map((n) => until(n.membership, (s) => s.version >= top)))
  t.same(a.membership.snapshot(), b.membership.snapshot(), 'both nodes hold the same snapshot')
  return { a, b, snap: a.membership.snapshot() }
}

/** An actor that the snapshot places on `node`, on thread `thread` there. */
function actorOn(node: string, thread: number, snap: MembershipSnapshot, skip = 0): ActorRef<RecorderProtocol> {
  for (let i = 0; ; i++) {
    const id: ActorRef<RecorderProtocol> = { kind: 'user', app: 1, key: `u${i}` }
    if (placeActor(id, snap) === node && shardOf(id, THREADS) === thread && skip-- === 0) return id
  }
}

t.test('asks cross nodes both ways, from every thread to every thread', async (t) => {
  const { a, b, snap } = await twoNodes(t)
  for (const [from, to] of [[a, b], [b, a]] as const) {
    for (const [fromThread, th] of from.threads.entries()) {
      for (let target = 0; target < THREADS; target++) {
        const where = await th.router.ask(actorOn(to.id, target, snap), { kind: 'get' }, { timeoutMs: 5_000 })
        t.match(where, { node: to.id, thread: target }, `${from.id}/${fromThread} → actor on ${to.id}/${target}`)
      }
    }
  }
  t.ok(a.threads.every((th) => th.bus.stats().dropped === 0) && b.threads.every((th) => th.bus.stats().dropped === 0), 'nothing lost')
})

t.test('an actor on one node asks an actor on the other and gets its answer', async (t) => {
  const { a, b, snap } = await twoNodes(t)
  const onB = actorOn(b.id, 1, snap)
  const onA = actorOn(a.id, 0, snap)
  const got = await a.threads[1]!.router.ask(onB, msg({ kind: 'askOther', to: onA }), { timeoutMs: 5_000 })
  t.match(got, { via: b.id, answer: { node: a.id, thread: 0 } })
})

t.test('tells from one thread to an actor on the other node arrive in order', async (t) => {
  const { a, b, snap } = await twoNodes(t)
  const target = actorOn(b.id, 1, snap)
  const sender = a.threads[0]!.router
  const n = 1_000
  for (let i = 0; i < n; i++) {
    sender.tell(target, msg({ kind: 'append', i }))
    if (i % 97 === 0) await new Promise((r) => setImmediate(r))
  }
  // The ask travels the same (thread, endpoint) path, so it arrives after every tell.
  const where = await sender.ask(target, { kind: 'get' }, { timeoutMs: 5_000 })
  t.same(where.items, Array.from({ length: n }, (_, i) => i))
  t.ok(a.threads[0]!.bus.stats().batchesSent < n / 10, `tells were batched (${a.threads[0]!.bus.stats().batchesSent} publishes)`)
})

t.test('an ask to a node that stopped listening is answered by its timeout', async (t) => {
  const { a, b, snap } = await twoNodes(t)
  await b.silence()
  const t0 = performance.now()
  await t.rejects(a.threads[0]!.router.ask(actorOn(b.id, 0, snap), { kind: 'get' }, { timeoutMs: 300 }), { code: 9007 })
  t.ok(performance.now() - t0 >= 290, 'after the ask timeout')
  await a.threads[0]!.bus.drain()
  t.ok(a.threads[0]!.bus.stats().dropped >= 1, 'the bus counted the loss')
})

t.test('an ask to a node that crashed is rejected when the membership drops it, not at its timeout', async (t) => {
  const { a, b, snap } = await twoNodes(t)
  const target = actorOn(b.id, 0, snap)
  // Dies as kill -9 would: heartbeats stop without deregistering, and nothing answers.
  b.membership.crash()
  await b.silence()
  const t0 = performance.now()
  await t.rejects(a.threads[1]!.router.ask(target, { kind: 'get' }, { timeoutMs: 60_000 }), { code: 9007, message: /left the cluster/ })
  const ms = performance.now() - t0
  t.notOk(a.membership.snapshot().nodes.includes(b.id), 'the membership dropped the crashed node')
  t.ok(ms <= TTL_MS + HEARTBEAT_MS + 1_000, `rejected ${Math.round(ms)} ms after the crash (TTL ${TTL_MS} + heartbeat ${HEARTBEAT_MS} + 1 s at most)`)
  const retry = await a.threads[1]!.router.ask(target, { kind: 'get' }, { timeoutMs: 5_000 })
  t.match(retry, { node: a.id }, 'the retry is answered by the node that took the actor over')
})
