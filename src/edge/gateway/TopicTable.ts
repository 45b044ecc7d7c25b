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
 *
 * Shedding (rules in shedding.ts): a slow socket drops the lowest priorities first instead of
 * whatever uWS would drop at its bound. Each socket is on one shed tier, and subscribes to
 * that tier's topic of each of its rooms (`shed<n>:<topic>`, JSON `json:shed<n>:<topic>`;
 * tier 0 is the topic itself). `s.topics` always holds the room topics themselves and
 * `s.tier` the tier, so interest counts, leaves and targeted messages ignore tiers: a socket
 * counts once for its room whatever its tier. A flush publishes the full frame to the topic
 * and, only for a topic that has sockets on lower tiers here, to each tier topic with
 * subscribers a frame of the events that tier keeps (none when it keeps none); each distinct
 * frame is encoded once. With no socket on a lower tier a flush costs what it did without
 * tiers. A socket's tier is re-checked from its send buffer by `shedCheck`: from Gateway's
 * once-a-second sweep, uWS's `drain`, after the socket's own direct writes, and here before
 * every flush for the sockets that were behind at their last check (`watched`: on a lower
 * tier, or with at least limit/16 buffered — not every socket with a byte buffered, so that
 * a busy room's healthy members never make each flush a loop over members); a check that
 * finds the buffer over the limit closes the socket with 4100. A move
 * subscribes to the new tier's topics before leaving the old ones, which makes uWS hand the
 * socket what was already published to it first, so every socket keeps its frames in order.
 * Counters: `stats()`; each move is logged.
 */
import type { TemplatedApp } from 'uWebSockets.js'
import { parseActorId } from '../../../actors/runtime/ActorId.js'
import type { Logger } from '../../core/log.js'
import type { Router, ThreadRef, TopicInterest } from '../../../actors/runtime/types.js'
import { encode } from '../../core/codec.js'
import type { GroupEvent } from '../../protocol/events.js'
import { CloseCodes, type ServerFrame } from '../../protocol/frames.js'
import { keptByTier, SHED_TIERS, type ShedTier, tierForBuffer, tierTopic } from './shedding.js'
import type { Socket, SocketState } from './SocketTable.js'

export interface TopicTableOptions {
  readonly app: TemplatedApp
  /**
   * Finds the sockets of members who leave (groupLeave) and of a targeted message's users;
   * ends room members over the shed limit.
   */
  readonly sockets: {
    ofUser(app: number, userId: string): Socket[]
    send(ws: Socket, frame: ServerFrame): void
    end(ws: Socket, code: number, reason: string): void
    endSlow(ws: Socket, buffered: number): void
  }
  readonly router: Router
  readonly where: ThreadRef
  readonly log: Logger
  /** Minimum spacing of publish flushes, ms (0: every turn). */
  readonly coalesceMs: number
  /**
   * The send-buffer limit (config `maxBackpressureBytes`), bytes: its fractions choose shed
   * tiers, and a room member over it is closed with 4100.
   */
  readonly shedLimitBytes: number
  readonly now?: () => number
}

/** Counters of one thread's shedding since its table was created (`onTier`: sockets now). */
export interface ShedStats {
  /** Group events left out of the frames of lower tiers, once per socket that was on that tier. */
  shedEvents: number
  /** Moves of a socket to a lower tier, and back to tier 0. */
  tierDowns: number
  tierUps: number
  /** Sockets now on tier 1, 2 and 3. */
  onTier: [number, number, number]
}

const JSON_PREFIX = 'json:'
/** A socket with at least limit/WATCH_FRACTION bytes buffered is re-checked before every flush. */
const WATCH_FRACTION = 16
const FULL_ONLY = [0] as const
const ALL_TIERS = [0, ...SHED_TIERS] as const

export class TopicTable {
  private readonly counts = new Map<string, number>()
  private readonly changed = new Set<string>()
  private reportScheduled = false
  private queued = new Map<string, GroupEvent[]>()
  private flushScheduled = false
  private lastFlush = 0
  private closed = false
  private readonly now: () => number
  /** Room topic → its subscribers here on a tier other than 0 (absent: none). */
  private readonly tiered = new Map<string, number>()
  /** Sockets re-checked before every flush, by id: on a lower tier, or with ≥ limit/WATCH_FRACTION buffered at their last check. */
  private readonly watched = new Map<number, Socket>()
  private readonly counters = { shedEvents: 0, tierDowns: 0, tierUps: 0 }
  private readonly onTier: [number, number, number, number] = [0, 0, 0, 0]

  constructor(private readonly o: TopicTableOptions) {
    this.now = o.now ?? Date.now
  }

  /** Subscribers of `topic` on this thread (binary and JSON sockets). */
  count(topic: string): number {
    return this.counts.get(topic) ?? 0
  }

  /**
   * (Un)subscribes a live socket, on its shed tier; repeated calls change nothing. A socket
   * leaving a topic that has events queued (published before the leave, not yet flushed)
   * gets them directly, as a leaver in `leave` does: the session's unsubscribe may reach this
   * thread before the group's own leave event.
   */
  subscribe(ws: Socket, topics: readonly string[], on: boolean): void {
    const s = ws.getUserData()
    if (s.phase === 'closed') return
    for (const topic of topics) {
      const has = s.topics?.has(topic) ?? false
      if (has === on) continue
      const native = nativeTopic(s, topic, s.tier)
      if (on) {
        ;(s.topics ??= new Set()).add(topic)
        ws.subscribe(native)
      } else {
        s.topics!.delete(topic)
        ws.unsubscribe(native)
        const kept = keptByTier(this.queued.get(topic) ?? [], s.tier)
        if (kept.length) this.o.sockets.send(ws, { op: 'gev', evs: kept })
      }
      if (s.tier !== 0) this.countTiered(topic, on ? 1 : -1)
      this.adjust(topic, on ? 1 : -1)
    }
  }

  /**
   * Switches a socket's room frames to JSON text (`json`) or binary, as the socket's own
   * frames switch: each room's topic in the new format is joined before the old one is left,
   * so nothing already published to the socket is dropped.
   */
  reformat(ws: Socket, json: boolean): void {
    const s = ws.getUserData()
    if (s.phase === 'closed' || s.json === json) return
    const old = [...(s.topics ?? [])].map((topic) => nativeTopic(s, topic, s.tier))
    s.json = json
    for (const topic of s.topics ?? []) ws.subscribe(nativeTopic(s, topic, s.tier))
    for (const name of old) ws.unsubscribe(name)
  }

  /** A socket closed: its subscriptions end (uWS drops them itself). */
  forget(s: SocketState): void {
    this.watched.delete(s.id)
    if (s.tier !== 0) this.onTier[s.tier]--
    if (!s.topics) return
    for (const topic of s.topics) {
      if (s.tier !== 0) this.countTiered(topic, -1)
      this.adjust(topic, -1)
    }
  }

  /**
   * Re-checks a room member's send buffer (`buffered`, or read now): over the limit it is
   * closed with 4100 (a hopeless consumer: even its last tier outgrows the limit); otherwise
   * it moves tier when the rules say so (shedding.ts), and is watched while it is behind.
   */
  shedCheck(ws: Socket, buffered?: number): void {
    const s = ws.getUserData()
    // uWS throws on any call to a closed socket; a socket that never joined a room sheds nothing.
    if (s.phase === 'closed' || s.topics === undefined) return
    const bytes = buffered ?? ws.getBufferedAmount()
    if (bytes > this.o.shedLimitBytes) {
      this.o.sockets.endSlow(ws, bytes)
      return
    }
    const tier = tierForBuffer(bytes, s.tier, this.o.shedLimitBytes)
    if (tier !== s.tier) this.move(ws, s, tier, bytes)
    if (tier !== 0 || bytes >= this.o.shedLimitBytes / WATCH_FRACTION) this.watched.set(s.id, ws)
    else this.watched.delete(s.id)
  }

  stats(): ShedStats {
    return { ...this.counters, onTier: [this.onTier[1], this.onTier[2], this.onTier[3]] }
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

  /**
   * Moves a socket to `tier` in each of its rooms. It joins the new tier's topic before it
   * leaves the old one: joining makes uWS hand the socket the frames already published to it,
   * which leaving first would drop, so nothing published before the move is lost or reordered.
   */
  private move(ws: Socket, s: SocketState, tier: ShedTier, buffered: number): void {
    const was = s.tier
    for (const topic of s.topics ?? []) {
      ws.subscribe(nativeTopic(s, topic, tier))
      ws.unsubscribe(nativeTopic(s, topic, was))
      if (was === 0 || tier === 0) this.countTiered(topic, tier === 0 ? -1 : 1)
    }
    s.tier = tier
    if (was !== 0) this.onTier[was]--
    if (tier !== 0) this.onTier[tier]++
    if (tier > was) this.counters.tierDowns++
    else this.counters.tierUps++
    const fields = { conn: s.id, user: s.userId, tier, was, buffered, limit: this.o.shedLimitBytes, shedEvents: this.counters.shedEvents }
    this.o.log.info(tier > was ? 'slow socket: lower priorities shed' : 'slow socket caught up: nothing shed', fields)
  }

  private countTiered(topic: string, by: number): void {
    const n = (this.tiered.get(topic) ?? 0) + by
    if (n > 0) this.tiered.set(topic, n)
    else this.tiered.delete(topic)
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
    for (const ws of leavers) this.o.sockets.send(ws, { op: 'gev', evs: keptByTier(evs, ws.getUserData().tier) })
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
    for (const ws of this.watched.values()) this.shedCheck(ws)
    const queued = this.queued
    this.queued = new Map()
    for (const [topic, evs] of queued) this.send(topic, evs)
  }

  /**
   * Publishes `evs` to the topic's tier 0 and, when sockets here are on lower tiers of it, to
   * each lower tier's topics that have subscribers: the events that tier keeps, if any. The
   * tiers are nested (each keeps a subset of the one above), so a tier whose list is as long
   * as the one above reuses its encoded frames.
   */
  private send(topic: string, evs: GroupEvent[]): void {
    const app = this.o.app
    let kept = evs
    let bin: Buffer | undefined
    let text: string | undefined
    for (const tier of this.tiered.has(topic) ? ALL_TIERS : FULL_ONLY) {
      const next = keptByTier(kept, tier)
      if (next.length !== kept.length) {
        kept = next
        bin = text = undefined
      }
      const name = tierTopic(topic, tier)
      const binSubs = app.numSubscribers(name)
      const textSubs = app.numSubscribers(JSON_PREFIX + name)
      if (tier !== 0) this.counters.shedEvents += (evs.length - kept.length) * (binSubs + textSubs)
      if (kept.length === 0) continue
      if (binSubs > 0) app.publish(name, bin ??= encode({ op: 'gev', evs: kept }), true)
      if (textSubs > 0) app.publish(JSON_PREFIX + name, text ??= JSON.stringify({ op: 'gev', evs: kept }), false)
    }
  }
}

/** The uWS topic a socket subscribes to for `tier` of `topic`, in its frame format. */
function nativeTopic(s: SocketState, topic: string, tier: ShedTier): string {
  const name = tierTopic(topic, tier)
  return s.json ? JSON_PREFIX + name : name
}
