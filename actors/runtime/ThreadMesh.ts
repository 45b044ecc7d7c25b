/**
 * ThreadMesh: the in-node transport between a node's N worker threads, one MessageChannel per
 * pair of threads (created by the parent with `createMeshPorts`).
 *
 * Guarantees:
 * - Per sender thread, per target thread: FIFO. Each pair has its own channel, and delivery
 *   to self goes through the same per-target queue.
 * - Batching: everything sent to one target during one event-loop turn leaves at the end of
 *   the turn (a `setImmediate` flush) as one msgpack array in one postMessage, its
 *   ArrayBuffer transferred. Delivery to self skips encoding but is still asynchronous, in
 *   the same flush, so self and remote sends behave alike.
 * - Asks: ids unique per thread; each pending ask is rejected with TIMEOUT (9007) after its
 *   `timeoutMs`, and a reply arriving after that is dropped (counted in `lateReplies`). An
 *   ask sent to another node is filed under that node, so that when the node leaves the
 *   membership its pending asks are rejected at once (`abandonAsks`), also with TIMEOUT:
 *   their outcome is as unknown as a timed-out ask's, and they are retried alike.
 * - Nothing received can throw out of the mesh: a bad batch or a failing sink is logged.
 * - Self-delivery hands the sender's objects to the receiver without a copy: senders must not
 *   mutate a message (or a pushed frame) after sending it.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import type { CodedError, WireError } from '../../src/core/errors.js'
import { fromWire, NodeLeftError, RuntimeError, runtimeWire } from './errors.js'
import {
  type Envelope,
  type ReplyEnvelope,
  type ThreadEnvelope,
  decodeBatch,
  encodeBatch,
} from './envelope.js'
import { parseActorId } from './ActorId.js'
import { shardOf } from './placement.js'
import type { LocalDelivery } from './ActorHost.js'
import type { Logger } from '../../src/core/log.js'

/** The ports one worker thread needs: `ports[j]` talks to thread j; `ports[thread]` is null. */
export interface MeshPorts {
  readonly thread: number
  readonly threads: number
  readonly ports: readonly (MessagePort | null)[]
}

/**
 * For the parent thread: one MeshPorts per worker, fully connected. Pass `meshPorts[i]` in
 * worker i's `workerData` with `meshTransferList(meshPorts[i])` as its `transferList`.
 */
export function createMeshPorts(threads: number): MeshPorts[] {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be >= 1, got ${threads}`)
  const table: (MessagePort | null)[][] = Array.from({ length: threads }, () => new Array(threads).fill(null))
  for (let i = 0; i < threads; i++) {
    for (let j = i + 1; j < threads; j++) {
      const { port1, port2 } = new MessageChannel()
      table[i]![j] = port1
      table[j]![i] = port2
    }
  }
  return table.map((ports, thread) => ({ thread, threads, ports }))
}

/** The ports of `p`, for a Worker's `transferList`. */
export function meshTransferList(p: MeshPorts): MessagePort[] {
  return p.ports.filter((x): x is MessagePort => x !== null)
}

/** Where pushes and closes for this thread's connections go; the gateway registers one. */
export interface ConnSink {
  push(conn: number, frame: Uint8Array): void
  close(conn: number, code: number, reason: string, frame?: Uint8Array): void
  /** (Un)subscribes a connection to topics; unknown connections are ignored. */
  subscribe(conn: number, topics: readonly string[], on: boolean): void
  /** Publishes an event (a GroupEvent) to the topic's subscribers on this thread. */
  publish(topic: string, ev: unknown): void
  /** Tells actor `replyTo` this thread's subscriber count for `topic`, if non-zero. */
  interestQuery(topic: string, replyTo: string): void
}

export interface ThreadMeshOptions {
  /** This node's id (with boot incarnation): asks carry it; relays for another id are stale. */
  readonly node: string
  readonly ports: MeshPorts
  readonly log: Logger
}

/** Counters since the mesh was created. */
export interface ThreadMeshStats {
  batchesSent: number
  envelopesSent: number
  batchesReceived: number
  pendingAsks: number
  timeouts: number
  /** Asks rejected by `abandonAsks` because their target node left the membership. */
  abandoned: number
  lateReplies: number
  /** Envelopes dropped: undecodable, unknown tag, no sink, stale relay, unencodable. */
  dropped: number
}

class PendingAsk {
  constructor(
    readonly resolve: (value: unknown) => void,
    readonly reject: (err: CodedError) => void,
    readonly timer: NodeJS.Timeout,
    /** The actor asked (canonical id), for error details. */
    readonly to: string,
    /** The other node the ask went to; undefined for an ask to this node. */
    readonly node: string | undefined,
  ) {}
}

const UNENCODABLE: WireError = runtimeWire('INTERNAL', 'value could not be encoded')

export class ThreadMesh {
  readonly node: string
  readonly thread: number
  readonly threads: number
  private readonly ports: readonly (MessagePort | null)[]
  private readonly log: Logger
  private host: LocalDelivery | null = null
  private sink: ConnSink | null = null
  private out: Envelope[][]
  private dirty: number[] = []
  private scheduled = false
  private closed = false
  private nextId = 1
  private readonly pending = new Map<number, PendingAsk>()
  /** Ids of the pending asks sent to each other node. */
  private readonly pendingByNode = new Map<string, Set<number>>()
  private readonly counters = { batchesSent: 0, envelopesSent: 0, batchesReceived: 0, timeouts: 0, abandoned: 0, lateReplies: 0, dropped: 0 }

  constructor(opts: ThreadMeshOptions) {
    this.node = opts.node
    this.thread = opts.ports.thread
    this.threads = opts.ports.threads
    this.ports = opts.ports.ports
    this.log = opts.log
    this.out = Array.from({ length: this.threads }, () => [])
  }

  /**
   * Attaches the local host and starts receiving. Messages other threads sent earlier were
   * buffered by their ports and are delivered now, in order.
   */
  start(host: LocalDelivery): void {
    this.host = host
    for (const port of this.ports) port?.on('message', this.onBatch)
  }

  /** Registers (or, with null, removes) the gateway's sink for pushes and closes. */
  setConnSink(sink: ConnSink | null): void {
    this.sink = sink
  }

  /** Queues `env` for thread `thread` of this node; it leaves with this turn's batch. */
  send(thread: number, env: Envelope): void {
    if (this.closed) {
      this.counters.dropped++
      return
    }
    const q = this.out[thread]
    if (q === undefined) throw new RangeError(`no thread ${thread} in a mesh of ${this.threads}`)
    if (q.length === 0) this.dirty.push(thread)
    q.push(env)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flush)
    }
  }

  /** A fresh ask id, unique on this thread for the life of the mesh. */
  nextAskId(): number {
    return this.nextId++
  }

  /**
   * Waits for the reply to ask `id` (sent by the caller with that id) to actor `to`. Rejects
   * with the handler's error, or TIMEOUT after `timeoutMs`, or TIMEOUT as soon as
   * `abandonAsks` finds `node` (the other node the ask went to, if any) gone; a later reply
   * is dropped.
   */
  awaitReply<R>(id: number, timeoutMs: number, to: string, node?: string): Promise<R> {
    if (this.closed) return Promise.reject(new RuntimeError('SHUTTING_DOWN', 'thread mesh closed'))
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(this.onTimeout, timeoutMs, id)
      this.pending.set(id, new PendingAsk(resolve as (v: unknown) => void, reject, timer, to, node))
      if (node !== undefined) {
        const ids = this.pendingByNode.get(node)
        if (ids === undefined) this.pendingByNode.set(node, new Set([id]))
        else ids.add(id)
      }
    })
  }

  /**
   * Rejects at once, with TIMEOUT (a NodeLeftError), every pending ask sent to a node for
   * which `isLive` is false (a node that left the membership: it will not answer, or it answered and the reply
   * is lost with it). Returns how many were rejected. Synchronous; never throws.
   */
  abandonAsks(isLive: (node: string) => boolean): number {
    let n = 0
    for (const [node, ids] of this.pendingByNode) {
      if (isLive(node)) continue
      this.pendingByNode.delete(node)
      for (const id of ids) {
        const p = this.pending.get(id)
        if (p === undefined) continue
        this.pending.delete(id)
        clearTimeout(p.timer)
        n++
        p.reject(new NodeLeftError(node, p.to))
      }
    }
    this.counters.abandoned += n
    return n
  }

  /** Dispatches an envelope that arrived from another node (the node bus calls this). */
  receive(env: Envelope): void {
    this.dispatch(env)
  }

  /** Stops sending and receiving; pending asks are rejected with SHUTTING_DOWN. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const port of this.ports) port?.close()
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.reject(new RuntimeError('SHUTTING_DOWN', 'thread mesh closed'))
    }
    this.pending.clear()
    this.pendingByNode.clear()
  }

  stats(): ThreadMeshStats {
    return { ...this.counters, pendingAsks: this.pending.size }
  }

  private readonly flush = (): void => {
    this.scheduled = false
    const dirty = this.dirty
    this.dirty = []
    for (const thread of dirty) {
      const q = this.out[thread]!
      this.out[thread] = []
      if (this.closed) {
        this.counters.dropped += q.length
        continue
      }
      this.counters.envelopesSent += q.length
      if (thread === this.thread) {
        for (const env of q) this.dispatch(env)
      } else {
        this.post(this.ports[thread]!, q)
      }
    }
  }

  private post(port: MessagePort, q: Envelope[]): void {
    let batch: ArrayBuffer
    try {
      batch = encodeBatch(q)
    } catch (err) {
      const kept = this.salvage(q, err)
      if (kept.length === 0) return
      batch = encodeBatch(kept)
    }
    this.counters.batchesSent++
    port.postMessage(batch, [batch])
  }

  /**
   * A batch failed to encode (some actor returned or sent a value msgpack cannot carry):
   * keeps every envelope that encodes alone, answers a failed reply with INTERNAL instead,
   * and drops the rest with a log line. Rare path; the common path encodes once.
   */
  private salvage(q: Envelope[], cause: unknown): Envelope[] {
    const kept: Envelope[] = []
    for (const env of q) {
      try {
        encodeBatch([env])
        kept.push(env)
      } catch {
        this.counters.dropped++
        this.log.error('envelope could not be encoded; dropped', { tag: env.t, error: String(cause) })
        if (env.t === 'reply') kept.push({ t: 'reply', id: env.id, ok: false, error: UNENCODABLE })
        else if (env.t === 'ask' && env.node === this.node && env.from === this.thread) {
          this.settle({ t: 'reply', id: env.id, ok: false, error: UNENCODABLE })
        }
      }
    }
    return kept
  }

  private readonly onBatch = (data: ArrayBuffer): void => {
    let envs: Envelope[]
    try {
      envs = decodeBatch(data)
    } catch (err) {
      this.counters.dropped++
      this.log.error('undecodable envelope batch dropped', { error: String(err) })
      return
    }
    this.counters.batchesReceived++
    for (const env of envs) this.dispatch(env)
  }

  private dispatch(env: Envelope): void {
    try {
      switch (env.t) {
        case 'tell':
        case 'ask':
          if (this.host === null) {
            this.counters.dropped++
            this.log.warn('actor envelope before the mesh started; dropped', { tag: env.t, actor: env.to })
          } else {
            this.host.deliver(env.to, env.msg, env.t === 'ask' ? env : undefined)
          }
          return
        case 'reply':
          this.settle(env)
          return
        case 'push':
          if (this.sink === null) this.counters.dropped++
          else this.sink.push(env.conn, env.frame)
          return
        case 'close':
          if (this.sink === null) this.counters.dropped++
          else this.sink.close(env.conn, env.code, env.reason, env.frame)
          return
        case 'sub':
          if (this.sink === null) this.counters.dropped++
          else this.sink.subscribe(env.conn, env.topics, env.on)
          return
        case 'pub':
          if (this.sink === null) this.counters.dropped++
          else this.sink.publish(env.topic, env.ev)
          return
        case 'interest':
          if (this.sink === null) this.counters.dropped++
          else this.sink.interestQuery(env.topic, env.replyTo)
          return
        case 'relay':
          this.relay(env.node, env.thread, env.env)
          return
        default:
          this.counters.dropped++
          this.log.warn('envelope with unknown tag dropped', { tag: (env as { t?: unknown }).t })
      }
    } catch (err) {
      this.log.error('envelope dispatch failed', { tag: env.t, error: err instanceof Error ? err.stack : String(err) })
    }
  }

  /** Routes a cross-node envelope to its thread here; actor envelopes are re-sharded locally. */
  private relay(node: string, thread: number, env: ThreadEnvelope): void {
    if (node !== this.node) {
      this.counters.dropped++
      this.log.warn('relay for another node incarnation dropped', { targetNode: node, tag: env.t })
      return
    }
    const target = env.t === 'tell' || env.t === 'ask' ? shardOf(parseActorId(env.to), this.threads) : thread
    if (target === this.thread) this.dispatch(env)
    else this.send(target, env)
  }

  private settle(env: ReplyEnvelope): void {
    const p = this.take(env.id)
    if (p === undefined) {
      this.counters.lateReplies++
      return
    }
    clearTimeout(p.timer)
    if (env.ok) p.resolve(env.value)
    else p.reject(fromWire(env.error))
  }

  private readonly onTimeout = (id: number): void => {
    const p = this.take(id)
    if (p === undefined) return
    this.counters.timeouts++
    p.reject(new RuntimeError('TIMEOUT', `ask to ${p.to}`))
  }

  /** Removes pending ask `id` (and its entry under its node), returning it. */
  private take(id: number): PendingAsk | undefined {
    const p = this.pending.get(id)
    if (p === undefined) return undefined
    this.pending.delete(id)
    if (p.node !== undefined) {
      const ids = this.pendingByNode.get(p.node)
      ids?.delete(id)
      if (ids?.size === 0) this.pendingByNode.delete(p.node)
    }
    return p
  }
}
