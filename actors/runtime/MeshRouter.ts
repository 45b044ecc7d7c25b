/**
 * MeshRouter: the Router of one worker thread. Where an actor lives is computed, never looked
 * up: the node with `placeActor(id, membership.snapshot())`, the thread with
 * `shardOf(id, threads)`. Envelopes for this node go over the ThreadMesh; for another node,
 * to RemoteNodes. Pushes and closes go to the connection's own node and thread. It is also
 * the host's ReplySink: replies go back to the asking node and thread.
 *
 * Failures: nothing here throws to the caller. An envelope that cannot be routed (empty
 * snapshot, RemoteNodes failure, bad thread) is logged and dropped; an ask is rejected at once.
 *
 * Failed nodes: an ask sent to another node waits for its reply until its timeout, except
 * that when a snapshot without that node is adopted, every ask still pending towards it is
 * rejected at once with TIMEOUT (9007, retryable; ThreadMesh.abandonAsks), or, when the
 * caller said it is safe to repeat (`resendIfNodeLeaves`), sent once more by the new
 * snapshot. So a caller waits at most until its thread learns that the node is gone (the
 * membership's failure detection), not the ask timeout. Asks to a node that is still live
 * are left to it even when placement moved their actor: that node still handles and answers
 * what it was sent (ActorHost.rehome).
 *
 * Ordering: from one thread to one actor, FIFO while placement is unchanged (the mesh and
 * RemoteNodes each keep per-target order; a membership change can reorder messages in flight).
 */
import { type ActorId, actorIdString } from './ActorId.js'
import { type MembershipSnapshot, placeActor, shardOf } from './placement.js'
import { toWireError } from '../../src/core/errors.js'
import { NodeLeftError } from './errors.js'
import type { AskEnvelope, ReplyAddress, ReplyEnvelope, ThreadEnvelope } from './envelope.js'
import type { ReplySink } from './ActorHost.js'
import type { RemoteNodes } from './RemoteNodes.js'
import type { ThreadMesh } from './ThreadMesh.js'
import type { ActorMessage, ActorRef, Protocol, ReplyOf, RequestOf } from './protocol.js'
import type { AskOptions, ConnRef, Router, ThreadRef } from './types.js'
import type { Logger } from '../../src/core/log.js'
import { threadsOf } from './nodeId.js'

export const DEFAULT_ASK_TIMEOUT_MS = 10_000

/** The live membership as the router needs it: the current versioned snapshot, cheaply. */
export interface MembershipView {
  snapshot(): MembershipSnapshot
  /**
   * Calls `listener` synchronously with each newly adopted snapshot (so `snapshot()` already
   * returns it), in increasing version order. Returns a function that removes the listener.
   */
  onChange(listener: (snapshot: MembershipSnapshot) => void): () => void
}

export interface MeshRouterOptions {
  readonly mesh: ThreadMesh
  readonly membership: MembershipView
  readonly remote: RemoteNodes
  readonly log: Logger
  /** Ask timeout when the caller gives none, ms. Default 10,000. */
  readonly defaultTimeoutMs?: number
}

export class MeshRouter implements Router, ReplySink {
  private readonly mesh: ThreadMesh
  private readonly membership: MembershipView
  private readonly remote: RemoteNodes
  private readonly log: Logger
  private readonly node: string
  private readonly thread: number
  private readonly threadCount: number
  private readonly defaultTimeoutMs: number
  private readonly unsubscribe: () => void

  /** Starts listening to the membership at once (asks to departed nodes); `close()` stops that. */
  constructor(opts: MeshRouterOptions) {
    this.mesh = opts.mesh
    this.membership = opts.membership
    this.remote = opts.remote
    this.log = opts.log
    this.node = opts.mesh.node
    this.thread = opts.mesh.thread
    this.threadCount = opts.mesh.threads
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? DEFAULT_ASK_TIMEOUT_MS
    this.unsubscribe = opts.membership.onChange(this.onSnapshot)
  }

  /** Stops listening to the membership. Pending asks are settled by the mesh (its close). */
  close(): void {
    this.unsubscribe()
  }

  tell<P extends Protocol, K extends keyof P & string>(to: ActorRef<P>, msg: RequestOf<P, K>): void {
    const env: ThreadEnvelope = { t: 'tell', to: actorIdString(to), msg }
    try {
      this.route(this.owner(to), shardOf(to, this.threadCount), env)
    } catch (err) {
      this.dropped(env, err)
    }
  }

  ask<P extends Protocol, K extends keyof P & string>(to: ActorRef<P>, msg: RequestOf<P, K>, opts?: AskOptions): Promise<ReplyOf<P, K>> {
    const timeoutMs = opts?.timeoutMs ?? this.defaultTimeoutMs
    const first = this.askOnce<ReplyOf<P, K>>(to, msg, timeoutMs)
    if (opts?.resendIfNodeLeaves !== true) return first
    const deadline = Date.now() + timeoutMs
    return first.catch((err: unknown) => {
      const left = deadline - Date.now()
      if (!(err instanceof NodeLeftError) || left < 1) throw err
      return this.askOnce<ReplyOf<P, K>>(to, msg, left)
    })
  }

  /** One ask: routed by the current snapshot, filed under its node when that is another one. */
  private askOnce<R>(to: ActorId, msg: ActorMessage, timeoutMs: number): Promise<R> {
    const key = actorIdString(to)
    const id = this.mesh.nextAskId()
    const env: AskEnvelope = { t: 'ask', id, node: this.node, from: this.thread, to: key, msg, timeoutMs }
    let node: string | undefined
    let failure: { err: unknown } | undefined
    try {
      node = this.owner(to)
    } catch (err) {
      failure = { err }
    }
    // Filed under the target node when it is another one, so its departure rejects the ask.
    const reply = this.mesh.awaitReply<R>(id, timeoutMs, key, node === this.node ? undefined : node)
    if (node !== undefined) {
      try {
        this.route(node, shardOf(to, this.threadCount), env)
      } catch (err) {
        failure = { err }
      }
    }
    if (failure !== undefined) this.mesh.receive({ t: 'reply', id, ok: false, error: toWireError(failure.err) })
    return reply
  }

  push(conn: ConnRef, frame: Uint8Array): void {
    this.safeRoute(conn.node, conn.thread, { t: 'push', conn: conn.conn, frame })
  }

  disconnect(conn: ConnRef, code: number, reason: string, frame?: Uint8Array): void {
    const env: ThreadEnvelope =
      frame === undefined
        ? { t: 'close', conn: conn.conn, code, reason }
        : { t: 'close', conn: conn.conn, code, reason, frame }
    this.safeRoute(conn.node, conn.thread, env)
  }

  subscribe(conn: ConnRef, topics: readonly string[], on: boolean): void {
    this.safeRoute(conn.node, conn.thread, { t: 'sub', conn: conn.conn, topics, on })
  }

  publish(where: ThreadRef, topic: string, ev: unknown): void {
    this.safeRoute(where.node, where.thread, { t: 'pub', topic, ev })
  }

  queryInterest(where: ThreadRef, topic: string, replyTo: ActorId): void {
    this.safeRoute(where.node, where.thread, { t: 'interest', topic, replyTo: actorIdString(replyTo) })
  }

  threads(): ThreadRef[] {
    const out: ThreadRef[] = []
    for (const node of this.membership.snapshot().nodes) {
      const n = node === this.node ? this.threadCount : threadsOf(node) ?? this.threadCount
      for (let thread = 0; thread < n; thread++) out.push({ node, thread })
    }
    return out
  }

  reply(to: ReplyAddress, env: ReplyEnvelope): void {
    this.safeRoute(to.node, to.from, env)
  }

  /** A new snapshot: asks pending towards nodes it no longer lists are rejected now. */
  private readonly onSnapshot = (snap: MembershipSnapshot): void => {
    const live = new Set(snap.nodes)
    const n = this.mesh.abandonAsks((node) => live.has(node))
    if (n > 0) this.log.warn('asks to nodes that left the cluster abandoned (rejected, or resent where safe)', { asks: n, version: snap.version })
  }

  /** The node owning `id` under the current snapshot (throws RangeError on an empty one). */
  private owner(id: ActorId): string {
    const snap = this.membership.snapshot()
    return snap.nodes.length === 1 ? snap.nodes[0]! : placeActor(id, snap)
  }

  private safeRoute(node: string, thread: number, env: ThreadEnvelope): void {
    try {
      this.route(node, thread, env)
    } catch (err) {
      this.dropped(env, err)
    }
  }

  private dropped(env: ThreadEnvelope, err: unknown): void {
    this.log.error('envelope could not be routed; dropped', { tag: env.t, error: String(err) })
  }

  private route(node: string, thread: number, env: ThreadEnvelope): void {
    if (node !== this.node) {
      this.remote.send(node, thread, env)
    } else if (Number.isInteger(thread) && thread >= 0 && thread < this.threadCount) {
      this.mesh.send(thread, env)
    } else {
      this.log.error('envelope for a thread this node does not have; dropped', { targetThread: thread, tag: env.t })
    }
  }
}
