/**
 * The runtime across REAL worker threads: three workers, each with ActorHost + ThreadMesh +
 * MeshRouter, connected by createMeshPorts. Synchronised by messages only.
 */
import { Worker } from 'node:worker_threads'
import t from 'tap'
import { type ActorId, actorIdString } from '../../actors/runtime/ActorId.js'
import { groupActor } from '../../actors/group/protocol.js'
import { userActor } from '../../actors/user/protocol.js'
import { shardOf } from '../../actors/runtime/placement.js'
import { createMeshPorts, meshTransferList } from '../../actors/runtime/ThreadMesh.js'
import type { ActorMessage } from '../../actors/runtime/protocol.js'
import { CodedError, type WireError } from '../../src/core/errors.js'
import { fromWire } from '../../actors/runtime/errors.js'

const THREADS = 3
const NODE = 'n1@1700000000000'

type Reply = { rid: number; ok: true; value: unknown } | { rid: number; ok: false; error: WireError }
type WorkerEvent = { event: string; thread: number; [k: string]: unknown }

/** Drives one fixture worker: request/response over its parent port, plus event waiting. */
class WorkerClient {
  private nextRid = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  readonly events: WorkerEvent[] = []
  private waiters: { pred: (e: WorkerEvent) => boolean; resolve: (e: WorkerEvent) => void }[] = []

  constructor(readonly worker: Worker) {
    worker.on('message', (raw: Reply | WorkerEvent) => {
      if (typeof (raw as Reply).rid === 'number') {
        const m = raw as Reply
        const p = this.pending.get(m.rid)!
        this.pending.delete(m.rid)
        if (m.ok) p.resolve(m.value)
        else p.reject(fromWire(m.error))
        return
      }
      const e = raw as WorkerEvent
      this.events.push(e)
      this.waiters = this.waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true))
    })
    worker.on('error', (err) => {
      for (const p of this.pending.values()) p.reject(err)
      this.pending.clear()
    })
  }

  call<R = unknown>(c: Record<string, unknown>): Promise<R> {
    const rid = this.nextRid++
    return new Promise<R>((resolve, reject) => {
      this.pending.set(rid, { resolve: resolve as (v: unknown) => void, reject })
      this.worker.postMessage({ ...c, rid })
    })
  }

  ask<R = unknown>(to: ActorId, msg: ActorMessage, timeoutMs?: number): Promise<R> {
    return this.call<R>({ op: 'ask', to, msg, timeoutMs })
  }

  event(pred: (e: WorkerEvent) => boolean): Promise<WorkerEvent> {
    const hit = this.events.find(pred)
    if (hit) return Promise.resolve(hit)
    return new Promise((resolve) => this.waiters.push({ pred, resolve }))
  }
}

interface Stats {
  mesh: { batchesSent: number; envelopesSent: number; timeouts: number; lateReplies: number; pendingAsks: number }
  host: { faults: number; activations: number }
}

async function startWorkers(t: { teardown(fn: () => Promise<void>): void }): Promise<WorkerClient[]> {
  const meshPorts = createMeshPorts(THREADS)
  const clients = meshPorts.map((ports) => {
    const worker = new Worker(new URL('./fixtures/meshWorker.ts', import.meta.url), {
      workerData: { ports, node: NODE },
      transferList: meshTransferList(ports),
    })
    return new WorkerClient(worker)
  })
  t.teardown(async () => {
    await Promise.allSettled(clients.map((c) => c.call({ op: 'stop' })))
    await Promise.all(clients.map((c) => c.worker.terminate()))
  })
  await Promise.all(clients.map((c) => c.event((e) => e.event === 'ready')))
  return clients
}

/** Actor ids with known home threads: `perThread` of each thread, in thread order. */
function idsOnEveryThread(perThread: number, make: (i: number) => ActorId): ActorId[][] {
  const byThread: ActorId[][] = Array.from({ length: THREADS }, () => [])
  for (let i = 0; byThread.some((l) => l.length < perThread); i++) {
    const id = make(i)
    const l = byThread[shardOf(id, THREADS)]!
    if (l.length < perThread) l.push(id)
  }
  return byThread
}

t.test('three worker threads', async (t) => {
  const w = await startWorkers(t)
  const byThread = idsOnEveryThread(2, (i) => (i % 2 ? userActor(1400000000, `u${i}`) : groupActor(1400000000, `g${i}`)))

  t.test('asks from every thread reach actors on every thread', async (t) => {
    const ids = byThread.flat()
    await Promise.all(w.flatMap((c) => ids.map((id) => c.ask(id, { kind: 'add', n: 1 } as ActorMessage))))
    for (const [thread, list] of byThread.entries()) {
      for (const id of list) {
        for (const c of w) {
          const got = await c.ask<{ count: number; thread: number; node: string }>(id, { kind: 'get' })
          t.match(got, { count: THREADS, thread, node: NODE }, `${actorIdString(id)} from a worker`)
        }
      }
    }
  })

  t.test('1,000 tells from one thread to one actor arrive in order, in one batch per turn', async (t) => {
    const remote = byThread[2]![0]!
    const local = byThread[0]![1]!
    const before = await w[0]!.call<Stats>({ op: 'stats' })
    await w[0]!.call({ op: 'tells', to: remote, tag: 'a', n: 1000 })
    const after = await w[0]!.call<Stats>({ op: 'stats' })
    t.equal(after.mesh.envelopesSent - before.mesh.envelopesSent, 1000)
    t.equal(after.mesh.batchesSent - before.mesh.batchesSent, 1, 'one postMessage for the turn')
    // Concurrent senders: each sender's own sequence stays in order.
    await Promise.all([
      w[0]!.call({ op: 'tells', to: local, tag: 'self', n: 1000 }),
      w[1]!.call({ op: 'tells', to: local, tag: 'b', n: 1000 }),
      w[2]!.call({ op: 'tells', to: local, tag: 'c', n: 1000 }),
    ])
    const seq = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}:${i}`)
    const remoteList = await w[0]!.ask<string[]>(remote, { kind: 'list' })
    t.same(remoteList, seq(1000, 'a'))
    const localList = await w[0]!.ask<string[]>(local, { kind: 'list' })
    t.same(localList.filter((v) => v.startsWith('self:')), seq(1000, 'self'), 'self-delivery keeps order')
    // A sender's ask after its tells is answered after them (same queue): wait for b and c.
    await w[1]!.ask(local, { kind: 'get' })
    await w[2]!.ask(local, { kind: 'get' })
    const full = await w[0]!.ask<string[]>(local, { kind: 'list' })
    t.equal(full.length, 3000)
    for (const tag of ['b', 'c']) t.same(full.filter((v) => v.startsWith(`${tag}:`)), seq(1000, tag), `sender ${tag} in order`)
  })

  t.test('ask timeout rejects with TIMEOUT and the late reply is dropped', async (t) => {
    const slow = byThread[1]![0]!
    const err = await w[0]!.ask(slow, { kind: 'hang' }, 30).catch((e: unknown) => e)
    t.type(err, CodedError)
    t.equal((err as CodedError).code, 9007)
    t.equal(await w[1]!.call({ op: 'release', key: actorIdString(slow) }), true, 'handler was still running')
    // The late reply precedes this one on the same thread pair, so it has been handled when this resolves.
    t.match(await w[0]!.ask(slow, { kind: 'get' }), { count: THREADS })
    const s = await w[0]!.call<Stats>({ op: 'stats' })
    t.equal(s.mesh.timeouts, 1)
    t.equal(s.mesh.lateReplies, 1)
    t.equal(s.mesh.pendingAsks, 0)
  })

  t.test('a throwing actor does not kill its thread or its neighbours', async (t) => {
    const [bad, neighbour] = byThread[2]!
    const before = await w[0]!.ask<{ count: number; activations: number }>(bad!, { kind: 'get' })
    const err = await w[0]!.ask(bad!, { kind: 'boom' }).catch((e: unknown) => e)
    t.equal((err as CodedError).code, 20005)
    const logged = await w[2]!.event((e) => e.event === 'error-log' && (e.fields as { actor?: string }).actor === actorIdString(bad!))
    t.match(String((logged.fields as { error: string }).error), /boom in/)
    const after = await w[1]!.ask<{ count: number; activations: number }>(bad!, { kind: 'get' })
    t.equal(after.count, 0, 're-activated from scratch')
    t.equal(after.activations, before.activations + 1)
    t.match(await w[1]!.ask(neighbour!, { kind: 'get' }), { count: THREADS }, 'neighbour on the same thread untouched')
    t.match(await w[2]!.call<Stats>({ op: 'stats' }), { host: { faults: 1 } })
  })

  t.test('push and disconnect reach the connection thread; actors ask actors across threads', async (t) => {
    const from = byThread[0]![0]!
    const conn = { node: NODE, thread: 2, conn: 77 }
    await w[1]!.ask(from, { kind: 'push', conn, bytes: [1, 2, 3] } as ActorMessage)
    const pushed = await w[2]!.event((e) => e.event === 'push' && e.conn === 77)
    t.same(pushed.bytes, [1, 2, 3])
    await w[1]!.ask(from, { kind: 'close', conn, code: 4001, reason: 'kicked' } as ActorMessage)
    const closed = await w[2]!.event((e) => e.event === 'close' && e.conn === 77)
    t.match(closed, { code: 4001, reason: 'kicked', bytes: [9] })
    const target = byThread[1]![1]!
    const via = await w[2]!.ask(from, { kind: 'relayAsk', to: target, msg: { kind: 'add', n: 10 } } as ActorMessage)
    t.equal(via, THREADS + 10, 'thread 2 → actor on 0 → actor on 1 and back')
  })
})
