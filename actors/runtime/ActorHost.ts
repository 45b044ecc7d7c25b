/**
 * ActorHost: the virtual actors of one worker thread. One per thread; no module state, so any
 * number of hosts (threads, nodes) can live in one process.
 *
 * Guarantees:
 * - Activation on first message: `onActivate` completes before the first message is handled;
 *   messages arriving meanwhile wait in the mailbox, in arrival order.
 * - One message at a time per actor, never concurrently, even across awaits; messages are
 *   handled in mailbox (arrival) order. Different actors interleave freely.
 * - Supervision: a CodedError thrown by `handle` is the ask's coded failure and nothing else.
 *   Any other throw is a fault: logged with the actor id, answered INTERNAL, and the
 *   incarnation is discarded (timers cleared, `onDeactivate('failed')`); the next queued or
 *   arriving message re-activates from the store. Nothing an actor throws escapes the host.
 *   A failed `onActivate` fails every message queued behind it (asks get its CodedError, or
 *   INTERNAL) and the next message tries again.
 * - Idle deactivation: after `idleMs` without messages, with an empty mailbox and
 *   `canDeactivate?.() !== false`, checked by a periodic sweep (so the actual idle time is
 *   between `idleMs` and `idleMs + sweepMs`).
 * - `stop()`: new messages are refused (asks with SHUTTING_DOWN), queued ones are handled,
 *   then every incarnation is deactivated with `shutdown`.
 */
import { type ActorId, parseActorId } from './ActorId.js'
import { CodedError, type WireError } from '../../src/core/errors.js'
import { RuntimeError, runtimeWire } from './errors.js'
import type { ReplyAddress, ReplyEnvelope } from './envelope.js'
import { Activation, ActivationContext, ActivationTimers, ActorLogger, type TimerTarget } from './Activation.js'
import { DEFAULT_MAILBOX_CAPACITY, type EnqueueResult } from './Mailbox.js'
import { type Actor, type ActorFactory, type DeactivationReason, type QueuedRequest, type Router } from './types.js'
import { type ActorMessage, LaterReply } from './protocol.js'
import { describeError, type Logger } from '../../src/core/log.js'

export const DEFAULT_IDLE_MS = 300_000

/** Sends a reply envelope to the asker's node and thread. Must not throw. */
export interface ReplySink {
  reply(to: ReplyAddress, env: ReplyEnvelope): void
}

/** What the transport calls to hand an actor message to its home thread's host. */
export interface LocalDelivery {
  /** `to` is the canonical actor id; `reply` is given for an ask, absent for a tell. */
  deliver(to: string, msg: ActorMessage, reply?: ReplyAddress): void
}

/** One factory per actor kind the host serves, by kind name. */
export type ActorFactories<S> = { readonly [kind: string]: ActorFactory<S> | undefined }

export interface ActorHostOptions<S> {
  /** This node's id (with its boot incarnation) and this thread's index, for contexts. */
  readonly node: string
  readonly thread: number
  /** The thread's router; actors' ctx.tell/ask/push/disconnect go to it. */
  readonly router: Router
  /** Where replies to asks go (normally the same MeshRouter). */
  readonly replies: ReplySink
  /** One factory per actor kind hosted; a message for a kind without one is refused (INTERNAL). */
  readonly factories: ActorFactories<S>
  readonly deps: S
  readonly log: Logger
  /** Per-actor mailbox bound. Default 10,000. */
  readonly mailboxCapacity?: number
  /** Idle time before deactivation, ms. Default 300,000. */
  readonly idleMs?: number
  /** Idle sweep period, ms. Default idleMs / 4, at most 30,000. */
  readonly sweepMs?: number
  /** Clock for contexts, idle accounting and drop reports, ms. Default Date.now. */
  readonly now?: () => number
}

/** Counters since the host was created (except `activations`: live slots now). */
export interface ActorHostStats {
  activations: number
  activated: number
  deactivated: number
  faults: number
  droppedTells: number
  rejectedAsks: number
}

const INTERNAL = runtimeWire('INTERNAL')
const BUSY = runtimeWire('BUSY')
const SHUTTING_DOWN = runtimeWire('SHUTTING_DOWN')


export class ActorHost<S = unknown> implements LocalDelivery, TimerTarget<S> {
  private readonly activations = new Map<string, Activation<S>>()
  private readonly scope: { node: string; thread: number; deps: S; router: Router; now: () => number }
  private readonly replies: ReplySink
  private readonly factories: ActorFactories<S>
  private readonly log: Logger
  private readonly capacity: number
  private readonly idleMs: number
  private readonly now: () => number
  private readonly sweeper: NodeJS.Timeout
  private stopping = false
  private readonly counters = { activated: 0, deactivated: 0, faults: 0, droppedTells: 0, rejectedAsks: 0 }

  constructor(opts: ActorHostOptions<S>) {
    this.now = opts.now ?? Date.now
    this.scope = { node: opts.node, thread: opts.thread, deps: opts.deps, router: opts.router, now: this.now }
    this.replies = opts.replies
    this.factories = opts.factories
    this.log = opts.log
    this.capacity = opts.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY
    this.idleMs = opts.idleMs ?? DEFAULT_IDLE_MS
    const sweepMs = opts.sweepMs ?? Math.max(1, Math.min(30_000, Math.floor(this.idleMs / 4)))
    // Referenced only while activations exist: a pending idle deactivation keeps the
    // process alive, an empty host does not.
    this.sweeper = setInterval(this.sweep, sweepMs)
    this.sweeper.unref()
  }

  deliver(to: string, msg: ActorMessage, reply?: ReplyAddress): void {
    if (this.stopping) {
      if (reply === undefined) this.counters.droppedTells++
      this.refuse(reply, SHUTTING_DOWN)
      return
    }
    // A tell marked `ifActive` informs a running actor only; it never activates one.
    if (reply === undefined && (msg as { ifActive?: unknown }).ifActive === true && !this.activations.has(to)) return
    const a = this.activations.get(to) ?? this.open(to, reply)
    if (a === undefined) return
    const r = a.mailbox.enqueue(msg, reply)
    if (r !== 'queued') this.overflow(a, r, reply)
    else if (!a.running) this.start(a)
  }

  onTimer(a: Activation<S>, msg: ActorMessage): void {
    if (this.stopping || this.activations.get(a.key) !== a) return
    const r = a.mailbox.enqueue(msg)
    if (r !== 'queued') this.overflow(a, r, undefined)
    else if (!a.running) this.start(a)
  }

  /** Refuses new messages, handles queued ones, deactivates everything with `shutdown`. */
  async stop(): Promise<void> {
    this.stopping = true
    clearInterval(this.sweeper)
    for (const a of this.activations.values()) if (!a.running) this.start(a)
    while (this.activations.size > 0) {
      await Promise.all(Array.from(this.activations.values(), (a) => a.done))
    }
  }

  /**
   * Hand-off after a membership change: every active actor for which `isHome(id)` is false
   * is deactivated with reason `moved` (after the message it is handling, if any), whatever
   * its `canDeactivate` says; its next message, wherever routed, activates it from the
   * store. Messages already queued here are still handled here, by a fresh activation — two
   * activations may briefly coexist across nodes, which the stores fence (a stale commit is
   * refused and its session reloads). Returns how many were asked to move.
   */
  rehome(isHome: (id: ActorId) => boolean): number {
    let moved = 0
    for (const a of this.activations.values()) {
      if (a.actor === null || a.pendingDeactivation !== null) continue
      let home: boolean
      try {
        home = isHome(a.id)
      } catch (err) {
        this.log.error('rehome: placement failed; actor kept', { actor: a.key, error: describeError(err) })
        continue
      }
      if (home) continue
      a.pendingDeactivation = 'moved'
      moved++
      if (!a.running) this.start(a)
    }
    return moved
  }

  stats(): ActorHostStats {
    return { activations: this.activations.size, ...this.counters }
  }

  private open(key: string, reply: ReplyAddress | undefined): Activation<S> | undefined {
    let id: ActorId
    try {
      id = parseActorId(key)
    } catch {
      this.log.error('message for a malformed actor id', { actor: key })
      this.refuse(reply, INTERNAL)
      return undefined
    }
    const factory = Object.hasOwn(this.factories, id.kind) ? this.factories[id.kind] : undefined
    if (factory === undefined) {
      this.log.error('no actor factory for this kind on this host', { actor: key })
      this.refuse(reply, INTERNAL)
      return undefined
    }
    const a = new Activation<S>(key, id, factory, this.capacity, this.now())
    if (this.activations.size === 0 && !this.stopping) this.sweeper.ref()
    this.activations.set(key, a)
    return a
  }

  private start(a: Activation<S>): void {
    a.running = true
    a.done = this.run(a)
  }

  /** The slot's only runner: activation, handling and deactivation all happen here, in turn. */
  private async run(a: Activation<S>): Promise<void> {
    try {
      for (;;) {
        if (a.pendingDeactivation !== null) {
          await this.deactivate(a, a.pendingDeactivation)
          continue
        }
        if (a.mailbox.size === 0) {
          if (this.stopping && a.actor !== null) {
            await this.deactivate(a, 'shutdown')
            continue
          }
          break
        }
        const actor = a.actor ?? (await this.activate(a))
        if (actor === null) continue
        const msg = a.mailbox.take() as ActorMessage
        const reply = a.mailbox.takenReply
        let value: unknown
        try {
          value = await actor.handle(msg)
        } catch (err) {
          this.onHandlerError(a, msg, reply, err)
          continue
        }
        if (value instanceof LaterReply) this.replyLater(a, msg, reply, value.promise)
        else if (reply !== undefined) this.replies.reply(reply, { t: 'reply', id: reply.id, ok: true, value })
      }
    } catch (err) {
      this.log.error('actor runner failed', { actor: a.key, error: describeError(err) })
      a.actor = null
      a.ctx?.timers.clear()
      a.ctx = null
      this.failQueued(a, INTERNAL)
    }
    a.running = false
    a.lastActive = this.now()
    if (a.actor === null && a.mailbox.size === 0) {
      this.activations.delete(a.key)
      if (this.activations.size === 0) this.sweeper.unref()
    }
  }

  /** Builds a fresh incarnation; on failure fails all queued messages and returns null. */
  private async activate(a: Activation<S>): Promise<Actor | null> {
    const ctx = new ActivationContext<S>(this.scope, a, new ActivationTimers<S>(this, a), new ActorLogger(this.log, a.key),
      (pred, max) => this.takeQueued(a, pred, max))
    try {
      const actor = a.factory(ctx)
      await actor.onActivate()
      a.actor = actor
      a.ctx = ctx
      this.counters.activated++
      return actor
    } catch (err) {
      ctx.timers.clear()
      const coded = err instanceof CodedError
      if (coded) this.log.warn('actor activation refused', { actor: a.key, code: err.code, error: err.message })
      else this.log.error('actor activation failed', { actor: a.key, error: describeError(err) })
      this.failQueued(a, coded ? { code: err.code, message: err.message } : INTERNAL)
      return null
    }
  }

  private async deactivate(a: Activation<S>, reason: DeactivationReason): Promise<void> {
    a.pendingDeactivation = null
    const actor = a.actor
    a.ctx?.timers.clear()
    a.actor = null
    a.ctx = null
    if (actor === null) return
    this.counters.deactivated++
    try {
      await actor.onDeactivate(reason)
    } catch (err) {
      this.log.error('actor onDeactivate failed', { actor: a.key, reason, error: describeError(err) })
    }
  }

  private onHandlerError(a: Activation<S>, msg: ActorMessage, reply: ReplyAddress | undefined, err: unknown): void {
    if (err instanceof CodedError) {
      if (reply !== undefined) this.refuse(reply, { code: err.code, message: err.message })
      else this.log.warn('tell refused by actor', { actor: a.key, kind: msg.kind, code: err.code, error: err.message })
      return
    }
    this.counters.faults++
    this.log.error('actor handler failed; discarding activation', { actor: a.key, kind: msg.kind, error: describeError(err) })
    this.refuse(reply, INTERNAL)
    a.pendingDeactivation = 'failed'
  }

  /** ActorContext.takeQueued: the head of the slot's mailbox while `pred` holds, each answered like a LaterReply. */
  private takeQueued(a: Activation<S>, pred: (msg: ActorMessage) => boolean, max: number): QueuedRequest[] {
    const out: QueuedRequest[] = []
    while (out.length < max && a.mailbox.size > 0 && pred(a.mailbox.peek() as ActorMessage)) {
      const msg = a.mailbox.take() as ActorMessage
      const reply = a.mailbox.takenReply
      let settled = false
      out.push({
        msg,
        settle: (p) => {
          if (settled) throw new Error('a queued request settled twice')
          settled = true
          this.replyLater(a, msg, reply, p)
        },
      })
    }
    return out
  }

  /** Sends the reply of a LaterReply when its promise settles (see LaterReply's contract). */
  private replyLater(a: Activation<S>, msg: ActorMessage, reply: ReplyAddress | undefined, p: Promise<unknown>): void {
    a.pendingLater++
    const incarnation = a.actor
    p.then(
      (value) => {
        a.pendingLater--
        a.lastActive = this.now()
        if (reply !== undefined) this.replies.reply(reply, { t: 'reply', id: reply.id, ok: true, value })
      },
      (err: unknown) => {
        a.pendingLater--
        if (err instanceof CodedError || a.actor !== incarnation) return this.onHandlerError(a, msg, reply, err instanceof CodedError ? err : new RuntimeError('INTERNAL'))
        this.onHandlerError(a, msg, reply, err)
        if (!a.running) this.start(a)
      },
    )
  }

  /** Empties the mailbox: asks are answered with `error`, tells are dropped (counted). */
  private failQueued(a: Activation<S>, error: WireError): void {
    let dropped = 0
    while (a.mailbox.take() !== undefined) {
      const reply = a.mailbox.takenReply
      if (reply !== undefined) this.refuse(reply, error)
      else dropped++
    }
    if (dropped > 0) {
      this.counters.droppedTells += dropped
      this.log.warn('tells dropped: activation failed', { actor: a.key, dropped })
    }
  }

  private overflow(a: Activation<S>, r: EnqueueResult, reply: ReplyAddress | undefined): void {
    if (r === 'busy') {
      this.counters.rejectedAsks++
      this.refuse(reply, BUSY)
      return
    }
    this.counters.droppedTells++
    const n = a.mailbox.dropReport(this.now())
    if (n > 0) this.log.warn('mailbox full; tells dropped', { actor: a.key, dropped: n, capacity: a.mailbox.capacity })
  }

  private refuse(reply: ReplyAddress | undefined, error: WireError): void {
    if (reply !== undefined) this.replies.reply(reply, { t: 'reply', id: reply.id, ok: false, error })
  }

  private readonly sweep = (): void => {
    const now = this.now()
    for (const a of this.activations.values()) {
      if (a.running || a.actor === null || a.mailbox.size > 0 || a.pendingLater > 0 || now - a.lastActive < this.idleMs) continue
      let may: boolean
      try {
        may = a.actor.canDeactivate?.() !== false
      } catch (err) {
        this.log.error('actor canDeactivate failed', { actor: a.key, error: describeError(err) })
        may = false
      }
      if (!may) continue
      a.pendingDeactivation = 'idle'
      this.start(a)
    }
  }
}
