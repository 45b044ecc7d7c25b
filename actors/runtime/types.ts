/**
 * The actor runtime's contracts. Actor files see only these types: the context is their one
 * door out (no imports of cluster/, Redis, Cassandra or uWS from actor code).
 */
import type { ActorId } from './ActorId.js'
import type { ActorMessage, ActorRef, Protocol, ReplyOf, RequestOf } from './protocol.js'
import type { Logger } from '../../src/core/log.js'

/** Where one client connection lives: node, worker thread on that node, connection number. */
export interface ConnRef extends ThreadRef {
  readonly conn: number
}

export interface AskOptions {
  /** Reject with TIMEOUT (9007) after this many ms. Default 10,000. */
  timeoutMs?: number
  /**
   * The request may be handled twice without harm (idempotent, or deduplicated by its
   * handler): if the node it was sent to leaves the membership before answering, it is sent
   * once more, routed by the new snapshot, within the same `timeoutMs` from the first send,
   * instead of failing with TIMEOUT. Default false.
   */
  resendIfNodeLeaves?: boolean
}

/**
 * Sends to actors wherever they live. Implementations: the thread mesh within a node, the
 * node bus between nodes. Messages from one sender to one actor arrive in send order.
 */
export interface Router {
  /** Fire-and-forget, at most once. Dropped (and logged) if the target mailbox is full. */
  tell<P extends Protocol, K extends keyof P & string>(to: ActorRef<P>, msg: RequestOf<P, K>): void
  /**
   * Request/response: resolves with the reply the target's protocol declares for `msg.kind`;
   * rejects with the handler's coded error, BUSY when the mailbox is full, or TIMEOUT (also as
   * soon as the target's node leaves the membership, unless `resendIfNodeLeaves`).
   */
  ask<P extends Protocol, K extends keyof P & string>(to: ActorRef<P>, msg: RequestOf<P, K>, opts?: AskOptions): Promise<ReplyOf<P, K>>
  /** Sends pre-encoded socket bytes (one msgpack ServerFrame) to a connection; at most once. */
  push(conn: ConnRef, frame: Uint8Array): void
  /** Closes a connection with a close code after sending it `frame` (if given). */
  disconnect(conn: ConnRef, code: number, reason: string, frame?: Uint8Array): void
  /** Subscribes (`on`) or unsubscribes a connection to/from topics on its thread; at most once. */
  subscribe(conn: ConnRef, topics: readonly string[], on: boolean): void
  /**
   * Publishes an event (a GroupEvent, encoded by the receiving thread into its sockets'
   * frames) to a topic's subscribers on one thread of one node; at most once.
   */
  publish(where: ThreadRef, topic: string, ev: unknown): void
  /**
   * Asks thread `where` to tell actor `replyTo` its subscriber count for `topic` (a
   * TopicInterest message), if it has subscribers; at most once.
   */
  queryInterest(where: ThreadRef, topic: string, replyTo: ActorId): void
  /** Every worker thread of every live node, as the current membership snapshot lists them. */
  threads(): ThreadRef[]
}

/** One worker thread of one node. */
export interface ThreadRef {
  readonly node: string
  readonly thread: number
}

/**
 * What a thread tells an actor about a topic: how many of its connections subscribe to it
 * now (0 = none left). Sent on the thread's first subscriber at once, on other changes
 * coalesced, and in answer to `queryInterest`.
 */
export interface TopicInterest {
  readonly kind: 'interest'
  /** A group that is not active learns the counts when it activates (queryInterest). */
  readonly ifActive: true
  readonly topic: string
  readonly node: string
  readonly thread: number
  readonly count: number
}

/** Timers scoped to one activation: all are cleared when it deactivates. */
export interface ActorTimers {
  /** After `ms`, delivers `msg` to the actor itself through its mailbox. Returns a handle. */
  once<M extends ActorMessage>(ms: number, msg: M): number
  cancel(handle: number): void
}

/**
 * The context an actor gets. `S` is the bag of store and config dependencies the node passes
 * to every actor (see actors/deps.ts); it is typed by the actor kinds, not by the runtime.
 */
export interface ActorContext<S = unknown> extends Router {
  readonly self: ActorId
  /** This node's id (includes its boot incarnation), and this thread's index. */
  readonly node: string
  readonly thread: number
  readonly timers: ActorTimers
  readonly log: Logger
  readonly deps: S
  /** Wall clock, ms. */
  now(): number
  /**
   * Takes the messages waiting at the head of this actor's mailbox while `pred` holds, at most
   * `max`, in order, so a handler can serve several like requests with one durable write
   * (e.g. a join storm: one commit for many joins). Each taken message must be settled
   * exactly once with its reply's promise, as if `handle` had returned `LaterReply(promise)`
   * for it: a CodedError rejection is its coded failure, any other rejection a fault.
   */
  takeQueued(pred: (msg: ActorMessage) => boolean, max: number): QueuedRequest[]
}

/** A message taken from the mailbox by `takeQueued`, and how to answer it. */
export interface QueuedRequest {
  readonly msg: ActorMessage
  settle(reply: Promise<unknown>): void
}

export const DeactivationReasons = ['idle', 'shutdown', 'failed', 'moved'] as const
export type DeactivationReason = (typeof DeactivationReasons)[number]

/**
 * A virtual actor. The runtime calls `onActivate` before the first message, then `handle`
 * one message at a time (never concurrently, even across awaits), then `onDeactivate`.
 * A CodedError thrown by `handle` is the ask's coded failure and nothing else; any other
 * throw is a fault: logged with the actor id, answered INTERNAL, and the activation is
 * discarded (`failed`) so the next message re-activates it from the store.
 */
export interface Actor {
  onActivate(): Promise<void>
  handle(msg: ActorMessage): Promise<unknown>
  onDeactivate(reason: DeactivationReason): Promise<void>
  /** Whether idle deactivation may happen now (e.g. false while devices are online). */
  canDeactivate?(): boolean
}

export type ActorFactory<S = unknown> = (ctx: ActorContext<S>) => Actor
