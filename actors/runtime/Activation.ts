/**
 * The per-actor records an ActorHost keeps: the activation slot (mailbox, runner state, the
 * current incarnation), and what one incarnation owns (its context, timers and logger).
 * Internal to the runtime: actor code sees only the ActorContext interface.
 */
import type { ActorId } from './ActorId.js'
import type { ReplyAddress } from './envelope.js'
import { Mailbox } from './Mailbox.js'
import type { Actor, ActorContext, ActorFactory, ActorTimers, QueuedRequest, AskOptions, ConnRef, ThreadRef, DeactivationReason, Router } from './types.js'
import type { ActorMessage, ActorRef, Protocol, ReplyOf, RequestOf } from './protocol.js'
import type { Logger } from '../../src/core/log.js'

/** Receives the messages of fired timers; the host puts them in the actor's mailbox. */
export interface TimerTarget<S> {
  onTimer(a: Activation<S>, msg: ActorMessage): void
}

/**
 * One actor id's slot on its host thread. `actor`/`ctx` are null between incarnations; the
 * slot stays in the host's table while messages are queued or an incarnation is live.
 */
export class Activation<S> {
  actor: Actor | null = null
  ctx: ActivationContext<S> | null = null
  /** True while the host's runner owns this slot (handling, activating or deactivating). */
  running = false
  /** The current runner; resolves when it returns the slot to idle. Never rejects. */
  done: Promise<void> = Promise.resolve()
  /** Set by supervision (`failed`) or the idle sweep (`idle`); consumed by the runner. */
  pendingDeactivation: DeactivationReason | null = null
  /** LaterReply promises of this slot not settled yet; blocks idle deactivation. */
  pendingLater = 0
  /** When the runner last went idle, ms (host clock). */
  lastActive: number
  readonly mailbox: Mailbox<ActorMessage, ReplyAddress>

  constructor(
    readonly key: string,
    readonly id: ActorId,
    readonly factory: ActorFactory<S>,
    capacity: number,
    now: number,
  ) {
    this.mailbox = new Mailbox(capacity)
    this.lastActive = now
  }
}

/** Logger that adds `actor: <canonical id>` to every line. */
export class ActorLogger implements Logger {
  constructor(
    private readonly base: Logger,
    private readonly actor: string,
  ) {}

  info(msg: string, fields?: Record<string, unknown>): void {
    this.base.info(msg, { actor: this.actor, ...fields })
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    this.base.warn(msg, { actor: this.actor, ...fields })
  }

  error(msg: string, fields?: Record<string, unknown>): void {
    this.base.error(msg, { actor: this.actor, ...fields })
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.base.debug(msg, { actor: this.actor, ...fields })
  }
}

/** Largest delay Node's timers accept, ms (2^31 - 1); longer delays are clamped to it. */
const MAX_TIMER_MS = 0x7fffffff

/**
 * Timers of one incarnation. A fired timer hands its message to the host, which enqueues it
 * like a tell (so it is handled one-at-a-time like any other message, and dropped if the
 * mailbox is full). `clear` cancels all of them and makes later `once` calls no-ops; the host
 * calls it when the incarnation ends, before `onDeactivate` runs.
 */
export class ActivationTimers<S> implements ActorTimers {
  /** Created on the first `once`: most incarnations never arm a timer. */
  private pending: Map<number, { timer: NodeJS.Timeout; msg: ActorMessage }> | undefined
  private nextHandle = 1
  private closed = false

  constructor(
    private readonly target: TimerTarget<S>,
    private readonly activation: Activation<S>,
  ) {}

  once(ms: number, msg: ActorMessage): number {
    const handle = this.nextHandle++
    if (this.closed) return handle
    const delay = Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_TIMER_MS) : 0
    this.pending ??= new Map()
    this.pending.set(handle, { timer: setTimeout(this.fire, delay, handle), msg })
    return handle
  }

  cancel(handle: number): void {
    const p = this.pending?.get(handle)
    if (p === undefined) return
    clearTimeout(p.timer)
    this.pending!.delete(handle)
  }

  /** Number of timers armed and not yet fired or cancelled. */
  get size(): number {
    return this.pending?.size ?? 0
  }

  clear(): void {
    this.closed = true
    for (const p of this.pending?.values() ?? []) clearTimeout(p.timer)
    this.pending = undefined
  }

  private readonly fire = (handle: number): void => {
    const p = this.pending?.get(handle)
    if (p === undefined) return
    this.pending!.delete(handle)
    this.target.onTimer(this.activation, p.msg)
  }
}

/** What the host fixes for every context it builds. */
export interface ContextScope<S> {
  readonly node: string
  readonly thread: number
  readonly deps: S
  readonly router: Router
  readonly now: () => number
}

/** The ActorContext of one incarnation; Router calls go to the thread's router. */
export class ActivationContext<S> implements ActorContext<S> {
  readonly self: ActorId
  readonly node: string
  readonly thread: number
  readonly deps: S
  readonly timers: ActivationTimers<S>
  readonly log: Logger
  private readonly router: Router
  private readonly clock: () => number

  constructor(
    scope: ContextScope<S>, a: Activation<S>, timers: ActivationTimers<S>, log: Logger,
    private readonly taker: (pred: (msg: ActorMessage) => boolean, max: number) => QueuedRequest[],
  ) {
    this.self = a.id
    this.node = scope.node
    this.thread = scope.thread
    this.deps = scope.deps
    this.router = scope.router
    this.clock = scope.now
    this.timers = timers
    this.log = log
  }

  tell<P extends Protocol, K extends keyof P & string>(to: ActorRef<P>, msg: RequestOf<P, K>): void {
    this.router.tell(to, msg)
  }

  takeQueued(pred: (msg: ActorMessage) => boolean, max: number): QueuedRequest[] {
    return this.taker(pred, max)
  }

  ask<P extends Protocol, K extends keyof P & string>(to: ActorRef<P>, msg: RequestOf<P, K>, opts?: AskOptions): Promise<ReplyOf<P, K>> {
    return this.router.ask(to, msg, opts)
  }

  push(conn: ConnRef, frame: Uint8Array): void {
    this.router.push(conn, frame)
  }

  disconnect(conn: ConnRef, code: number, reason: string, frame?: Uint8Array): void {
    this.router.disconnect(conn, code, reason, frame)
  }

  subscribe(conn: ConnRef, topics: readonly string[], on: boolean): void {
    this.router.subscribe(conn, topics, on)
  }

  publish(where: ThreadRef, topic: string, ev: unknown): void {
    this.router.publish(where, topic, ev)
  }

  queryInterest(where: ThreadRef, topic: string, replyTo: ActorId): void {
    this.router.queryInterest(where, topic, replyTo)
  }

  threads(): ThreadRef[] {
    return this.router.threads()
  }

  now(): number {
    return this.clock()
  }
}
