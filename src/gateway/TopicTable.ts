/**
 * The group topics of one worker thread: which sockets subscribe to which uWS topics, how
 * many per topic, the reports of those counts to the topic's actor, and the coalesced
 * publishing of group events.
 *
 * A topic is the canonical id string of the actor that publishes to it (`group/<app>/<id>`),
 * so the table knows whom to tell. JSON-text sockets subscribe to `json:<topic>` instead and
 * get the same frames as JSON text.
 *
 * Counts (TopicInterest): a topic's first subscriber on this thread is reported at once (the
 * actor starts sending here before the next message); other changes, down to 0, are
 * coalesced: one report per topic at the end of the event-loop turn. An actor that (re)activates asks with
 * `interestQuery` and gets the current count from every thread that has subscribers.
 *
 * Publishing: events for all topics are queued and leave together, one `gev` frame per topic
 * holding every event queued for it, encoded once per thread and handed to uWS's native
 * topic publish (never a JavaScript loop over members). The first flush after a quiet spell
 * goes out at the end of the event-loop turn; later ones wait until `coalesceMs` after the
 * previous flush, so a busy room costs each member one write per window, not per message.
 */
import type { TemplatedApp } from 'uWebSockets.js'
import { parseActorId } from '../../actors/ActorId.js'
import type { Logger, Router, ThreadRef, TopicInterest } from '../../actors/runtime/types.js'
import { encode } from '../protocol/codec.js'
import type { GroupEvent } from '../protocol/events.js'
import type { ServerFrame } from '../protocol/frames.js'
import type { Socket } from './SocketTable.js'

export interface TopicTableOptions {
  readonly app: TemplatedApp
  /** Finds the sockets of members who leave (groupLeave) and of a targeted message's users. */
  readonly sockets: { ofUser(app: number, userId: string): Socket[]; send(ws: Socket, frame: ServerFrame): void }
  readonly router: Router
  readonly where: ThreadRef
  readonly log: Logger
  /** Minimum spacing of publish flushes, ms (0: every turn). */
  readonly coalesceMs: number
  readonly now?: () => number
}

const JSON_PREFIX = 'json:'

export class TopicTable {
  private readonly counts = new Map<string, number>()
  private readonly changed = new Set<string>()
  private reportScheduled = false
  private queued = new Map<string, GroupEvent[]>()
  private flushScheduled = false
  private lastFlush = 0
  private closed = false
  private readonly now: () => number

  constructor(private readonly o: TopicTableOptions) {
    this.now = o.now ?? Date.now
  }

  /** Subscribers of `topic` on this thread (binary and JSON sockets). */
  count(topic: string): number {
    return this.counts.get(topic) ?? 0
  }

  /** (Un)subscribes a live socket; repeated calls change nothing. */
  subscribe(ws: Socket, topics: readonly string[], on: boolean): void {
    const s = ws.getUserData()
    if (s.phase === 'closed') return
    for (const topic of topics) {
      const has = s.topics?.has(topic) ?? false
      if (has === on) continue
      const native = s.json ? JSON_PREFIX + topic : topic
      if (on) {
        ;(s.topics ??= new Set()).add(topic)
        ws.subscribe(native)
      } else {
        s.topics!.delete(topic)
        ws.unsubscribe(native)
      }
      this.adjust(topic, on ? 1 : -1)
    }
  }

  /** A socket closed: its subscriptions end (uWS drops them itself). */
  forget(topics: ReadonlySet<string> | undefined): void {
    if (topics) for (const topic of topics) this.adjust(topic, -1)
  }

  /**
   * Queues one group event for the topic's subscribers on this thread. A `groupLeave` goes
   * out at once, after what is queued for the topic, and then unsubscribes the leavers'
   * sockets here, so nothing published after it reaches them. A targeted message (`to`) is
   * not queued: it goes at once to its users' sockets only (sendTargeted).
   */
  publish(topic: string, ev: GroupEvent): void {
    if (!this.counts.has(topic)) return
    if (ev.type === 'groupMsg' && ev.to) return this.sendTargeted(topic, ev)
    const q = this.queued.get(topic)
    if (q) q.push(ev)
    else this.queued.set(topic, [ev])
    if (ev.type === 'groupLeave') return this.leave(topic, ev.accounts)
    if (this.flushScheduled) return
    this.flushScheduled = true
    const wait = this.lastFlush + this.o.coalesceMs - this.now()
    if (wait > 0) setTimeout(this.flush, wait)
    else setImmediate(this.flush)
  }

  /** Answers an actor's query with this thread's count, when it has subscribers. */
  query(topic: string, replyTo: string): void {
    const count = this.counts.get(topic)
    if (count) this.tell(replyTo, topic, count)
  }

  /** Stops reporting (the thread is shutting down). */
  close(): void {
    this.closed = true
  }

  private adjust(topic: string, by: number): void {
    const before = this.counts.get(topic) ?? 0
    const after = Math.max(0, before + by)
    if (after === 0) this.counts.delete(topic)
    else this.counts.set(topic, after)
    if (before === 0 && after > 0) {
      this.changed.delete(topic)
      this.tell(topic, topic, after)
      return
    }
    this.changed.add(topic)
    if (this.reportScheduled) return
    this.reportScheduled = true
    setImmediate(this.report)
  }

  private readonly report = (): void => {
    this.reportScheduled = false
    if (!this.closed) for (const topic of this.changed) this.tell(topic, topic, this.counts.get(topic) ?? 0)
    this.changed.clear()
  }

  private tell(actor: string, topic: string, count: number): void {
    try {
      const msg: TopicInterest = { kind: 'interest', ifActive: true, topic, node: this.o.where.node, thread: this.o.where.thread, count }
      this.o.router.tell(parseActorId(actor), msg)
    } catch (err) {
      this.o.log.warn('topic interest not reported', { topic, error: String(err) })
    }
  }

  /**
   * Sends what is queued for `topic`, the leave last, and unsubscribes the leavers. They
   * are unsubscribed first and sent the frame directly: uWS hands published frames to
   * subscribers later in the loop and drops them for a socket that unsubscribes meanwhile.
   */
  private leave(topic: string, accounts: readonly string[]): void {
    const evs = this.queued.get(topic)!
    this.queued.delete(topic)
    const app = parseActorId(topic).app
    const leavers = accounts.flatMap((a) => this.o.sockets.ofUser(app, a)).filter((ws) => ws.getUserData().topics?.has(topic))
    for (const ws of leavers) this.subscribe(ws, [topic], false)
    this.send(topic, evs)
    const frame = { op: 'gev', evs } as const
    for (const ws of leavers) this.o.sockets.send(ws, frame)
  }

  /**
   * A targeted message (`to`) goes straight to the sockets here of the listed users and of
   * its sender that subscribe to the topic — never to the topic, whose other subscribers
   * (members, guests) must not get it. Not coalesced: it may overtake events queued for the
   * topic (it has seq 0, outside the group's order).
   */
  private sendTargeted(topic: string, ev: Extract<GroupEvent, { type: 'groupMsg' }>): void {
    const app = parseActorId(topic).app
    const frame: ServerFrame = { op: 'gev', evs: [ev] }
    for (const user of new Set([...ev.to!, ev.msg.from])) {
      for (const ws of this.o.sockets.ofUser(app, user)) if (ws.getUserData().topics?.has(topic)) this.o.sockets.send(ws, frame)
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false
    this.lastFlush = this.now()
    const queued = this.queued
    this.queued = new Map()
    for (const [topic, evs] of queued) this.send(topic, evs)
  }

  private send(topic: string, evs: GroupEvent[]): void {
    const app = this.o.app
    const frame = { op: 'gev', evs }
    if (app.numSubscribers(topic) > 0) app.publish(topic, encode(frame), true)
    if (app.numSubscribers(JSON_PREFIX + topic) > 0) app.publish(JSON_PREFIX + topic, JSON.stringify(frame), false)
  }
}
