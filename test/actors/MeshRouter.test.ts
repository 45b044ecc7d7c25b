/**
 * MeshRouter in one process with a two-node membership: node A (two threads, real hosts over
 * a real mesh) and node B (a recording RemoteNodes). Checks that placement decides between
 * the mesh and RemoteNodes, and that replies, pushes and closes find their node and thread.
 */
import t from 'tap'
import { type ActorId, actorIdString } from '../../actors/runtime/ActorId.js'
import { userActor } from '../../actors/user/protocol.js'
import { type MembershipSnapshot, placeActor, shardOf } from '../../actors/runtime/placement.js'
import { ActorHost } from '../../actors/runtime/ActorHost.js'
import { MeshRouter } from '../../actors/runtime/MeshRouter.js'
import type { RemoteNodes } from '../../actors/runtime/RemoteNodes.js'
import { ThreadMesh, createMeshPorts } from '../../actors/runtime/ThreadMesh.js'
import type { Actor, ActorContext } from '../../actors/runtime/types.js'
import type { ActorMessage } from '../../actors/runtime/protocol.js'
import type { ThreadEnvelope } from '../../actors/runtime/envelope.js'
import { RecordingLog, deferred } from './fixtures/helpers.js'

type Msg = { kind: 'add'; n: number } | { kind: 'ask'; to: ActorId } | { kind: 'push'; thread: number; node: string }

class Counter implements Actor {
  private n = 0
  constructor(private readonly ctx: ActorContext) {}
  async onActivate(): Promise<void> {}
  async onDeactivate(): Promise<void> {}
  async handle(raw: ActorMessage): Promise<unknown> {
    const m = raw as Msg
    switch (m.kind) {
      case 'add':
        return (this.n += m.n)
      case 'ask':
        return this.ctx.ask(m.to, { kind: 'add', n: 100 } as ActorMessage, { timeoutMs: 5_000 })
      case 'push':
        this.ctx.push({ node: m.node, thread: m.thread, conn: 9 }, Uint8Array.of(4))
        this.ctx.disconnect({ node: m.node, thread: m.thread, conn: 9 }, 4002, 'done')
        this.ctx.tell(this.ctx.self, { kind: 'add', n: 1 } as ActorMessage)
        return this.n
    }
  }
}

class RecordingRemote implements RemoteNodes {
  readonly sent: { node: string; thread: number; env: ThreadEnvelope }[] = []
  fail = false
  private waiter: (() => void) | null = null
  send(node: string, thread: number, env: ThreadEnvelope): void {
    if (this.fail) throw new Error('bus down')
    this.sent.push({ node, thread, env })
    this.waiter?.()
  }
  next(): Promise<void> {
    return new Promise((r) => (this.waiter = r))
  }
}

function nodeA(t: { teardown(fn: () => Promise<void>): void }) {
  let snapshot: MembershipSnapshot = { version: 1, nodes: ['A', 'B'] }
  const listeners = new Set<(s: MembershipSnapshot) => void>()
  const membership = {
    snapshot: () => snapshot,
    onChange: (l: (s: MembershipSnapshot) => void) => { listeners.add(l); return () => { listeners.delete(l) } },
  }
  const log = new RecordingLog()
  const remote = new RecordingRemote()
  const parts = createMeshPorts(2).map((ports) => {
    const mesh = new ThreadMesh({ node: 'A', ports, log })
    const router = new MeshRouter({ mesh, log, remote, membership })
    const host = new ActorHost({
      node: 'A',
      thread: ports.thread,
      router,
      replies: router,
      log,
      deps: undefined,
      factories: { user: (ctx) => new Counter(ctx) },
    })
    mesh.start(host)
    return { mesh, router, host }
  })
  t.teardown(async () => {
    await Promise.all(parts.map((p) => p.host.stop()))
    for (const p of parts) {
      p.router.close()
      p.mesh.close()
    }
  })
  const setSnapshot = (s: MembershipSnapshot) => {
    snapshot = s
    for (const l of [...listeners]) l(s)
  }
  return { parts, remote, log, setSnapshot, listeners }
}

function idOn(node: string, thread: number, snap: MembershipSnapshot): ActorId {
  for (let i = 0; ; i++) {
    const id = userActor(7, `u${i}`)
    if (placeActor(id, snap) === node && shardOf(id, 2) === thread) return id
  }
}

const SNAP: MembershipSnapshot = { version: 1, nodes: ['A', 'B'] }

t.test('actors of this node go over the mesh, others to RemoteNodes with the computed thread', async (t) => {
  const { parts, remote } = nodeA(t)
  const local = idOn('A', 1, SNAP)
  const far = idOn('B', 1, SNAP)
  t.equal(await parts[0]!.router.ask(local, { kind: 'add', n: 2 } as ActorMessage), 2)
  parts[0]!.router.tell(far, { kind: 'add', n: 1 } as ActorMessage)
  t.same(remote.sent, [{ node: 'B', thread: 1, env: { t: 'tell', to: actorIdString(far), msg: { kind: 'add', n: 1 } } }])

  // An ask to node B: the envelope names this node and thread; B's reply comes back in a relay.
  const answered = parts[0]!.router.ask(far, { kind: 'add', n: 5 } as ActorMessage, { timeoutMs: 5_000 })
  const sent = remote.sent[1]!
  t.match(sent, { node: 'B', thread: 1, env: { t: 'ask', node: 'A', from: 0, to: actorIdString(far), timeoutMs: 5_000 } })
  const askId = (sent.env as { id: number }).id
  parts[1]!.mesh.receive({ t: 'relay', node: 'A', thread: 0, env: { t: 'reply', id: askId, ok: true, value: 'from B' } })
  t.equal(await answered, 'from B', 'a reply relayed to another thread of this node reaches the asker')
})

t.test("asks from another node are answered to that node's asking thread", async (t) => {
  const { parts, remote } = nodeA(t)
  const local = idOn('A', 0, SNAP)
  const replied = remote.next()
  parts[1]!.mesh.receive({
    t: 'relay',
    node: 'A',
    thread: 1,
    env: { t: 'ask', id: 41, node: 'B', from: 3, to: actorIdString(local), msg: { kind: 'add', n: 3 } as ActorMessage, timeoutMs: 1000 },
  })
  await replied
  t.same(remote.sent, [{ node: 'B', thread: 3, env: { t: 'reply', id: 41, ok: true, value: 3 } }], 're-sharded to thread 0, answered to B/3')
})

t.test('actor contexts route push, disconnect, tell and ask through the router', async (t) => {
  const { parts, remote } = nodeA(t)
  const local = idOn('A', 0, SNAP)
  const other = idOn('A', 1, SNAP)
  const pushes: unknown[] = []
  const got = deferred()
  parts[1]!.mesh.setConnSink({
    subscribe: () => {}, publish: () => {}, interestQuery: () => {},
    push: (conn, frame) => pushes.push(['push', conn, Array.from(frame)]),
    close: (conn, code, reason, frame) => {
      pushes.push(['close', conn, code, reason, frame])
      got.resolve()
    },
  })
  await parts[0]!.router.ask(local, { kind: 'push', node: 'A', thread: 1 } as ActorMessage)
  await got.promise
  t.same(pushes, [['push', 9, [4]], ['close', 9, 4002, 'done', undefined]])
  await parts[0]!.router.ask(local, { kind: 'push', node: 'B', thread: 0 } as ActorMessage)
  t.same(remote.sent.map((s) => [s.node, s.thread, s.env.t]), [['B', 0, 'push'], ['B', 0, 'close']])
  t.equal(await parts[1]!.router.ask(local, { kind: 'add', n: 0 } as ActorMessage), 2, 'self-tells arrived in order')
  t.equal(await parts[0]!.router.ask(local, { kind: 'ask', to: other } as ActorMessage), 100, 'actor asked an actor on the other thread')
})

t.test('routing failures never throw: asks reject INTERNAL at once, the rest is logged and dropped', async (t) => {
  const { parts, remote, log, setSnapshot } = nodeA(t)
  const far = idOn('B', 0, SNAP)
  remote.fail = true
  await t.rejects(parts[0]!.router.ask(far, { kind: 'add', n: 1 } as ActorMessage), { code: 20005 })
  t.doesNotThrow(() => parts[0]!.router.tell(far, { kind: 'add', n: 1 } as ActorMessage))
  t.doesNotThrow(() => parts[0]!.router.push({ node: 'B', thread: 0, conn: 1 }, Uint8Array.of(1)))
  t.doesNotThrow(() => parts[0]!.router.push({ node: 'A', thread: 5, conn: 1 }, Uint8Array.of(1)))
  setSnapshot({ version: 2, nodes: [] })
  await t.rejects(parts[0]!.router.ask(far, { kind: 'add', n: 1 } as ActorMessage), { code: 20005 })
  t.doesNotThrow(() => parts[0]!.router.tell(far, { kind: 'add', n: 1 } as ActorMessage))
  t.equal(log.at('error').filter((l) => /dropped/.test(l.msg)).length, 4)
  t.equal(parts[0]!.mesh.stats().pendingAsks, 0)
})

t.test('a snapshot without a node rejects the asks pending towards it at once; asks to listed nodes keep waiting', async (t) => {
  const { parts, remote, setSnapshot, listeners } = nodeA(t)
  const three: MembershipSnapshot = { version: 2, nodes: ['A', 'B', 'C'] }
  setSnapshot(three)
  const onB = idOn('B', 0, three)
  const onC = idOn('C', 1, three)
  const toB = parts[0]!.router.ask(onB, { kind: 'add', n: 1 } as ActorMessage, { timeoutMs: 60_000 })
  const toC = parts[1]!.router.ask(onC, { kind: 'add', n: 1 } as ActorMessage, { timeoutMs: 60_000 })
  const [askB, askC] = remote.sent.map((s) => s.env as { id: number })
  t.match(remote.sent.map((s) => s.node), ['B', 'C'])

  setSnapshot({ version: 3, nodes: ['A', 'C'] })
  t.match(parts[0]!.mesh.stats(), { pendingAsks: 0, abandoned: 1 }, 'rejected while the snapshot was adopted')
  await t.rejects(toB, { code: 9007, message: /node B left the cluster/ })
  t.match(parts[1]!.mesh.stats(), { pendingAsks: 1, abandoned: 0 }, 'the ask to C, still listed, waits for C')
  parts[1]!.mesh.receive({ t: 'relay', node: 'A', thread: 1, env: { t: 'reply', id: askC!.id, ok: true, value: 'from C' } })
  t.equal(await toC, 'from C')
  parts[0]!.mesh.receive({ t: 'relay', node: 'A', thread: 0, env: { t: 'reply', id: askB!.id, ok: true, value: 'late' } })
  t.equal(parts[0]!.mesh.stats().lateReplies, 1, "B's reply after its departure is dropped")

  // The retry is routed by the new snapshot.
  const home = placeActor(onB, { version: 3, nodes: ['A', 'C'] })
  const retry = parts[0]!.router.ask(onB, { kind: 'add', n: 1 } as ActorMessage, { timeoutMs: 60_000 })
  if (home === 'A') t.equal(await retry, 1, 'answered here')
  else {
    t.equal(remote.sent[remote.sent.length - 1]!.node, 'C', 'sent to C')
    setSnapshot({ version: 4, nodes: ['A'] })
    await t.rejects(retry, { code: 9007 })
  }
  for (const p of parts) p.router.close()
  t.equal(listeners.size, 0, 'close() stops listening')
})

t.test('resendIfNodeLeaves: an ask whose node leaves is sent once more by the new snapshot, within its deadline', async (t) => {
  const { parts, remote, setSnapshot } = nodeA(t)
  const three: MembershipSnapshot = { version: 2, nodes: ['A', 'B', 'C'] }
  const two: MembershipSnapshot = { version: 3, nodes: ['A', 'C'] }
  setSnapshot(three)
  const find = (newHome: string): ActorId => {
    for (let i = 0; ; i++) {
      const id = userActor(7, `m${i}`)
      if (placeActor(id, three) === 'B' && placeActor(id, two) === newHome && shardOf(id, 2) === 0) return id
    }
  }
  const toHere = find('A')
  const toC = find('C')
  const opts = { timeoutMs: 60_000, resendIfNodeLeaves: true }
  const a = parts[0]!.router.ask(toHere, { kind: 'add', n: 4 } as ActorMessage, opts)
  const c = parts[0]!.router.ask(toC, { kind: 'add', n: 5 } as ActorMessage, opts)
  t.same(remote.sent.map((s) => s.node), ['B', 'B'])

  setSnapshot(two)
  t.equal(await a, 4, 'resent to this node, where its actor now lives, and answered')
  await new Promise((resolve) => setImmediate(resolve))
  const resent = remote.sent[2]!
  t.match(resent, { node: 'C', env: { t: 'ask', to: actorIdString(toC), msg: { kind: 'add', n: 5 } } }, 'resent to C')
  t.ok((resent.env as { timeoutMs: number }).timeoutMs <= 60_000, 'with what is left of the deadline')
  // Only once: C leaving as well fails the ask.
  setSnapshot({ version: 4, nodes: ['A'] })
  await t.rejects(c, { code: 9007, message: /node C left the cluster/ })
  t.equal(parts[0]!.mesh.stats().abandoned, 3)
})

t.test('topic traffic: threads() lists every thread of every node; publish, subscribe and queries find their thread', async (t) => {
  const { parts, remote, setSnapshot } = nodeA(t)
  setSnapshot({ version: 2, nodes: ['A', 'B#k1.3', 'C'] })
  const router = parts[0]!.router
  t.same(router.threads(), [
    { node: 'A', thread: 0 }, { node: 'A', thread: 1 },
    { node: 'B#k1.3', thread: 0 }, { node: 'B#k1.3', thread: 1 }, { node: 'B#k1.3', thread: 2 },
    // A node id without a thread count is taken to run as many threads as this node.
    { node: 'C', thread: 0 }, { node: 'C', thread: 1 },
  ])
  const ev = { type: 'groupMsg', groupId: 'g' }
  router.publish({ node: 'B#k1.3', thread: 2 }, 'group/7/g', ev)
  router.subscribe({ node: 'C', thread: 1, conn: 12 }, ['group/7/g'], false)
  router.queryInterest({ node: 'B#k1.3', thread: 0 }, 'group/7/g', { kind: 'group', app: 7, key: 'g' })
  t.same(remote.sent, [
    { node: 'B#k1.3', thread: 2, env: { t: 'pub', topic: 'group/7/g', ev } },
    { node: 'C', thread: 1, env: { t: 'sub', conn: 12, topics: ['group/7/g'], on: false } },
    { node: 'B#k1.3', thread: 0, env: { t: 'interest', topic: 'group/7/g', replyTo: 'group/7/g' } },
  ])
})
