/**
 * ThreadMesh in one process: two meshes joined by real MessageChannels, with recording hosts
 * and sinks. Covers the envelope codec, batching, relays and the failure paths.
 */
import t from 'tap'
import { groupActor } from '../../actors/group/protocol.js'
import { userActor } from '../../actors/user/protocol.js'
import { actorIdString } from '../../actors/runtime/ActorId.js'
import { shardOf } from '../../actors/runtime/placement.js'
import type { LocalDelivery } from '../../actors/runtime/ActorHost.js'
import { type ConnSink, ThreadMesh, createMeshPorts, meshTransferList } from '../../actors/runtime/ThreadMesh.js'
import type { ActorMessage } from '../../actors/runtime/protocol.js'
import { type Envelope, type ReplyAddress, decodeBatch, encodeBatch } from '../../actors/runtime/envelope.js'
import { RecordingLog } from './fixtures/helpers.js'

class RecordingHost implements LocalDelivery {
  readonly got: { to: string; msg: ActorMessage; reply?: ReplyAddress }[] = []
  private waiters: { n: number; resolve: () => void }[] = []
  deliver(to: string, msg: ActorMessage, reply?: ReplyAddress): void {
    this.got.push(reply ? { to, msg, reply } : { to, msg })
    this.waiters = this.waiters.filter((w) => (this.got.length >= w.n ? (w.resolve(), false) : true))
  }
  count(n: number): Promise<void> {
    if (this.got.length >= n) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ n, resolve }))
  }
}

class RecordingSink implements ConnSink {
  readonly got: unknown[][] = []
  private waiter: (() => void) | null = null
  push(conn: number, frame: Uint8Array): void {
    this.got.push(['push', conn, Array.from(frame)])
    this.waiter?.()
  }
  close(conn: number, code: number, reason: string, frame?: Uint8Array): void {
    this.got.push(['close', conn, code, reason, frame && Array.from(frame)])
    this.waiter?.()
  }
  subscribe(conn: number, topics: readonly string[], on: boolean): void {
    this.got.push(['sub', conn, [...topics], on])
    this.waiter?.()
  }
  publish(topic: string, ev: unknown): void {
    this.got.push(['pub', topic, ev])
    this.waiter?.()
  }
  interestQuery(topic: string, replyTo: string): void {
    this.got.push(['interest', topic, replyTo])
    this.waiter?.()
  }
  next(): Promise<void> {
    return new Promise((resolve) => (this.waiter = resolve))
  }
}

const NODE = 'n1@1'

function pair(t: { teardown(fn: () => void): void }) {
  const ports = createMeshPorts(2)
  const log = new RecordingLog()
  const meshes = ports.map((p) => new ThreadMesh({ node: NODE, ports: p, log }))
  const hosts = [new RecordingHost(), new RecordingHost()]
  meshes.forEach((m, i) => m.start(hosts[i]!))
  t.teardown(() => meshes.forEach((m) => m.close()))
  return { meshes, hosts, log }
}

/** Resolves after every envelope queued so far has been flushed and handled on both sides. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

t.test('envelope batches round-trip through the codec into an exactly-sized ArrayBuffer', async (t) => {
  const envs: Envelope[] = [
    { t: 'tell', to: 'user/1/a', msg: { kind: 'x' } },
    { t: 'ask', id: 7, node: NODE, from: 2, to: 'group/1/g', msg: { kind: 'y' }, timeoutMs: 50 },
    { t: 'reply', id: 7, ok: true, value: { n: 1 } },
    { t: 'reply', id: 8, ok: false, error: { code: 9006, message: 'busy' } },
    { t: 'push', conn: 3, frame: Uint8Array.of(1, 2, 3) },
    { t: 'close', conn: 3, code: 4000, reason: 'bye' },
    { t: 'relay', node: NODE, thread: 1, env: { t: 'tell', to: 'user/1/a', msg: { kind: 'z' } } },
  ]
  const ab = encodeBatch(envs)
  t.type(ab, ArrayBuffer)
  const copy = structuredClone(ab, { transfer: [ab] })
  t.equal(ab.byteLength, 0, 'transferable: detached after transfer')
  t.same(decodeBatch(copy), envs)
  t.throws(() => decodeBatch(new Uint8Array([0x01])), TypeError)
})

t.test('createMeshPorts: fully connected, no port to self', async (t) => {
  const ports = createMeshPorts(3)
  t.same(ports.map((p) => p.ports.map((x) => x !== null)), [[false, true, true], [true, false, true], [true, true, false]])
  t.same(ports.map((p) => meshTransferList(p).length), [2, 2, 2])
  for (const p of ports) for (const x of meshTransferList(p)) x.close()
  t.throws(() => createMeshPorts(0), RangeError)
})

t.test('all sends to one thread in a turn arrive as one batch, in order; self-delivery is async', async (t) => {
  const { meshes, hosts } = pair(t)
  for (let i = 0; i < 5; i++) meshes[0]!.send(1, { t: 'tell', to: 'user/1/a', msg: { kind: `m${i}` } })
  meshes[0]!.send(0, { t: 'tell', to: 'user/1/self', msg: { kind: 's' } })
  t.equal(hosts[0]!.got.length, 0, 'not delivered synchronously to self')
  await hosts[1]!.count(5)
  t.same(hosts[1]!.got.map((g) => g.msg.kind), ['m0', 'm1', 'm2', 'm3', 'm4'])
  t.same(hosts[0]!.got.map((g) => g.to), ['user/1/self'])
  t.match(meshes[0]!.stats(), { batchesSent: 1, envelopesSent: 6 })
  t.match(meshes[1]!.stats(), { batchesReceived: 1 })
  t.throws(() => meshes[0]!.send(2, { t: 'tell', to: 'user/1/a', msg: { kind: 'x' } }), RangeError)
})

t.test('asks: reply settles, error reply rejects coded, timeout rejects TIMEOUT, late reply dropped', async (t) => {
  const { meshes, hosts } = pair(t)
  const m0 = meshes[0]!
  const id1 = m0.nextAskId()
  const p1 = m0.awaitReply(id1, 5_000, 'user/1/a')
  m0.send(1, { t: 'ask', id: id1, node: NODE, from: 0, to: 'user/1/a', msg: { kind: 'q' }, timeoutMs: 5_000 })
  await hosts[1]!.count(1)
  const asked = hosts[1]!.got[0]!.reply!
  t.match(asked, { id: id1, node: NODE, from: 0 }, 'the ask envelope is its own reply address')
  meshes[1]!.send(asked.from, { t: 'reply', id: asked.id, ok: true, value: 42 })
  t.equal(await p1, 42)

  const id2 = m0.nextAskId()
  const p2 = m0.awaitReply(id2, 5_000, 'user/1/a')
  meshes[1]!.send(0, { t: 'reply', id: id2, ok: false, error: { code: 9006, message: 'actor mailbox full; retry later' } })
  await t.rejects(p2, { code: 9006 })

  const id3 = m0.nextAskId()
  await t.rejects(m0.awaitReply(id3, 1, 'user/1/slow'), { code: 9007, message: /user\/1\/slow/ })
  meshes[1]!.send(0, { t: 'reply', id: id3, ok: true, value: 'late' })
  const id4 = m0.nextAskId()
  const p4 = m0.awaitReply(id4, 5_000, 'user/1/a')
  meshes[1]!.send(0, { t: 'reply', id: id4, ok: true, value: 'fine' })
  t.equal(await p4, 'fine')
  t.match(m0.stats(), { timeouts: 1, lateReplies: 1, pendingAsks: 0 })
})

t.test('abandonAsks: asks filed under a departed node are rejected at once with TIMEOUT; settled ones are forgotten', async (t) => {
  const { meshes } = pair(t)
  const m0 = meshes[0]!
  const toB = [m0.nextAskId(), m0.nextAskId(), m0.nextAskId()]
  const pending = toB.map((id) => m0.awaitReply(id, 60_000, `user/1/b${id}`, 'B#1.2'))
  const idC = m0.nextAskId()
  const toC = m0.awaitReply(idC, 60_000, 'user/1/c', 'C#1.2')
  const idLocal = m0.nextAskId()
  const local = m0.awaitReply(idLocal, 60_000, 'user/1/here')
  // One ask to B is answered first: it is no longer pending and not abandoned later.
  m0.receive({ t: 'reply', id: toB[0]!, ok: true, value: 'answered' })
  t.equal(await pending[0], 'answered')

  t.equal(m0.abandonAsks((node) => node !== 'B#1.2'), 2, 'the two asks still pending towards B')
  await t.rejects(pending[1]!, { code: 9007, message: /user\/1\/b\d+: node B#1\.2 left the cluster/ })
  await t.rejects(pending[2]!, { code: 9007 })
  t.match(m0.stats(), { pendingAsks: 2, abandoned: 2, timeouts: 0 }, 'the ask to C and the local ask still wait')
  t.equal(m0.abandonAsks(() => true), 0, 'every remaining node live: nothing rejected')
  t.equal(m0.abandonAsks((node) => node !== 'B#1.2'), 0, 'B has nothing pending any more')

  m0.receive({ t: 'reply', id: toB[1]!, ok: true, value: 'late' })
  m0.receive({ t: 'reply', id: idC, ok: true, value: 'from C' })
  m0.receive({ t: 'reply', id: idLocal, ok: true, value: 'from here' })
  t.equal(await toC, 'from C')
  t.equal(await local, 'from here')
  t.match(m0.stats(), { pendingAsks: 0, lateReplies: 1 }, "B's late reply is dropped")
  t.equal(m0.abandonAsks(() => false), 0, 'a node with no asks left is not kept: nothing to reject')
})

t.test('relays: actor envelopes re-sharded locally, others by thread, stale incarnations dropped', async (t) => {
  const { meshes, hosts, log } = pair(t)
  const sink = new RecordingSink()
  meshes[1]!.setConnSink(sink)
  const ids = [userActor(1, 'a'), userActor(1, 'b'), groupActor(1, 'c'), groupActor(1, 'd')]
  for (const id of ids) meshes[0]!.receive({ t: 'relay', node: NODE, thread: 0, env: { t: 'tell', to: actorIdString(id), msg: { kind: 'r' } } })
  const onThread = (n: number) => ids.filter((id) => shardOf(id, 2) === n).map(actorIdString)
  const pushed = sink.next()
  meshes[0]!.receive({ t: 'relay', node: NODE, thread: 1, env: { t: 'push', conn: 5, frame: Uint8Array.of(7) } })
  await pushed
  t.same(sink.got, [['push', 5, [7]]])
  await hosts[1]!.count(onThread(1).length)
  await turn()
  t.same(hosts[0]!.got.map((g) => g.to), onThread(0))
  t.same(hosts[1]!.got.map((g) => g.to), onThread(1))
  meshes[0]!.receive({ t: 'relay', node: 'n1@0', thread: 0, env: { t: 'tell', to: 'user/1/a', msg: { kind: 'old' } } })
  t.match(meshes[0]!.stats(), { dropped: 1 })
  t.ok(log.lines.some((l) => /another node incarnation/.test(l.msg)))
})

t.test('topic envelopes (sub, pub, interest) reach the target thread\'s sink, relayed too, in order', async (t) => {
  const { meshes } = pair(t)
  const sink = new RecordingSink()
  meshes[1]!.setConnSink(sink)
  const ev = { type: 'groupMsg', groupId: 'g', msg: { seq: 1 } }
  meshes[0]!.send(1, { t: 'sub', conn: 4, topics: ['group/1/g'], on: true })
  meshes[0]!.send(1, { t: 'pub', topic: 'group/1/g', ev })
  meshes[0]!.receive({ t: 'relay', node: NODE, thread: 1, env: { t: 'interest', topic: 'group/1/g', replyTo: 'group/1/g' } })
  while (sink.got.length < 3) await sink.next()
  t.same(sink.got, [['sub', 4, ['group/1/g'], true], ['pub', 'group/1/g', ev], ['interest', 'group/1/g', 'group/1/g']])
})

t.test('failure paths are contained: unknown tags, missing sink, unencodable values, closed mesh', async (t) => {
  const { meshes, hosts, log } = pair(t)
  const [m0, m1] = meshes as [ThreadMesh, ThreadMesh]
  m0.receive({ t: 'bogus' } as unknown as Envelope)
  m0.receive({ t: 'push', conn: 1, frame: Uint8Array.of(1) })
  t.match(m0.stats(), { dropped: 2 })
  t.ok(log.lines.some((l) => /unknown tag/.test(l.msg)))

  // A reply whose value msgpack cannot carry becomes INTERNAL; the rest of the batch survives.
  const id = m1.nextAskId()
  const p = m1.awaitReply(id, 5_000, 'user/1/a')
  m0.send(1, { t: 'tell', to: 'user/1/a', msg: { kind: 'before' } })
  m0.send(1, { t: 'reply', id, ok: true, value: Symbol('no') })
  m0.send(1, { t: 'tell', to: 'user/1/a', msg: { kind: 'after' } })
  await t.rejects(p, { code: 20005 })
  await hosts[1]!.count(2)
  t.same(hosts[1]!.got.map((g) => g.msg.kind), ['before', 'after'])
  t.ok(log.lines.some((l) => l.level === 'error' && /could not be encoded/.test(l.msg)))

  // An unencodable ask from this thread fails its own pending promise at once.
  const id2 = m0.nextAskId()
  const p2 = m0.awaitReply(id2, 5_000, 'user/1/a')
  m0.send(1, { t: 'ask', id: id2, node: NODE, from: 0, to: 'user/1/a', msg: { kind: 'x', big: 2n ** 70n } as ActorMessage, timeoutMs: 5_000 })
  await t.rejects(p2, { code: 20005 })

  const pending = m0.awaitReply(m0.nextAskId(), 5_000, 'user/1/a')
  m0.close()
  await t.rejects(pending, { code: 9008, message: /mesh closed/ })
  await t.rejects(m0.awaitReply(m0.nextAskId(), 5_000, 'user/1/a'), { code: 9008 })
  m0.send(1, { t: 'tell', to: 'user/1/a', msg: { kind: 'ignored' } })
  t.match(m0.stats(), { pendingAsks: 0 })
})
