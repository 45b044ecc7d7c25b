/**
 * The delivery rules of one numbered event stream as a pure state machine: no sockets, no
 * timers, no I/O. ShardedInbox keeps one per conversation shard of the user and feeds it that
 * shard's live `ev` frames and `sync` pages; the caller surfaces what it returns, in order.
 *
 * Guarantees, given the server's contract (every stored event of the stream has a `seq`
 * 1, 2, 3, … and a sync from `after` returns every stored event above it):
 * - Stored events (seq ≥ 1) are surfaced in strictly ascending seq order, each at most once:
 *   the cursor is the highest seq applied, and an event at or below it is ignored.
 * - A live event above cursor+1 is never surfaced early: it is buffered and the caller is told
 *   to sync. Live events that arrive while not live (before login, during a sync) are buffered
 *   too, and applied after the sync only if they extend the cursor contiguously.
 * - Which applied events are surfaced is the MessageFilter's rule (MessageFilter.ts): a `msg`
 *   whose msgKey was already surfaced, or the echo of this client's own pending send, is
 *   applied (the cursor moves) but not surfaced, so the app sees each message once even when
 *   the server stores or resends it twice. Several trackers may share one filter
 *   (ShardedInbox: one tracker per conversation shard, one filter for the user).
 * - Online-only messages (`seq: 0`) bypass the cursor and are surfaced at once, deduped by
 *   msgKey like every message.
 */
import type { InboxEvent } from '../protocol/events.js'
import { MessageFilter, type MsgEvent } from './MessageFilter.js'
import type { SyncPage } from './wire.js'

export type { MsgEvent }

/**
 * `behind`: connected or not, a catch-up is owed, so live events are only buffered.
 * `syncing`: a sync is running; live events are buffered. `live`: in-order live events apply.
 */
export type TrackerPhase = 'behind' | 'syncing' | 'live'

export interface TrackerStep {
  /** Events to surface to the app, in this order. */
  readonly events: InboxEvent[]
  /** A gap is open above the cursor: the caller should sync from `cursor` (unless one is running). */
  readonly needSync: boolean
}

export interface SyncStep extends TrackerStep {
  /** Another page is owed: request it with `after`. */
  readonly more: boolean
  /** The `after` of the next sync page (the cursor). */
  readonly after: number
}

export interface InboxTrackerOptions {
  /** This client's user: own sends are recognised by `msg.from`. */
  userId: string
  /** Highest inbox seq already applied (e.g. from a cursor store). Default 0. */
  cursor?: number
  /** Message keys remembered for dedupe. Default 10,000. Ignored when `filter` is given. */
  dedupeCapacity?: number
  /** The dedupe and own-echo filter, when shared with other trackers of this user. Default: its own. */
  filter?: MessageFilter
  /** Live events held while a gap is open; beyond it the highest are dropped (a sync refetches them). Default 1,000. */
  maxBuffered?: number
}

const NONE: TrackerStep = Object.freeze({ events: [], needSync: false }) as TrackerStep

export class InboxTracker {
  private cursorSeq: number
  private state: TrackerPhase = 'behind'
  private readonly buf = new Map<number, InboxEvent>()
  private readonly filter: MessageFilter
  private readonly maxBuffered: number

  constructor(o: InboxTrackerOptions) {
    this.cursorSeq = checkSeq(o.cursor ?? 0, 'cursor')
    this.filter = o.filter ?? new MessageFilter(o.userId, o.dedupeCapacity)
    this.maxBuffered = o.maxBuffered ?? 1000
  }

  /** Highest contiguous inbox seq applied. */
  get cursor(): number {
    return this.cursorSeq
  }

  get phase(): TrackerPhase {
    return this.state
  }

  /** Live events held back, waiting for a gap below them to close. */
  get buffered(): number {
    return this.buf.size
  }

  /** Replaces the cursor (e.g. loaded from a store); only while behind. */
  restore(cursor: number): void {
    if (this.state !== 'behind') throw new Error('InboxTracker.restore: only while behind')
    this.cursorSeq = checkSeq(cursor, 'cursor')
    this.buf.clear()
  }

  /** The connection is gone: a catch-up is owed again; buffered events are dropped (sync refetches them). */
  disconnected(): void {
    this.state = 'behind'
    this.buf.clear()
  }

  /**
   * After login, with the server's inbox head. A head below the cursor means the cursor
   * belongs to another inbox (server data reset, a store shared by mistake): the cursor
   * restarts at 0 so the next sync replays the server's inbox (msgKey dedupe still applies).
   * Returns whether it reset.
   */
  rebase(serverInboxSeq: number): boolean {
    if (serverInboxSeq >= this.cursorSeq) return false
    this.cursorSeq = 0
    this.buf.clear()
    return true
  }

  /** A live `ev` frame. */
  live(ev: InboxEvent): TrackerStep {
    if (!Number.isSafeInteger(ev.seq) || ev.seq < 0) return NONE
    if (ev.seq === 0) return { events: this.applyAll([ev]), needSync: false }
    if (ev.seq <= this.cursorSeq) return NONE
    if (this.state !== 'live' || ev.seq !== this.cursorSeq + 1) {
      this.hold(ev)
      return { events: [], needSync: this.state === 'live' }
    }
    const out: InboxEvent[] = []
    this.apply(ev, out)
    this.drain(out)
    return { events: out, needSync: this.buf.size > 0 }
  }

  /** Starts a sync run; returns its first `after`. Live events are buffered until the last page. */
  beginSync(): number {
    this.state = 'syncing'
    return this.cursorSeq
  }

  /**
   * One sync page. Applies its events above the cursor in seq order, then sets the cursor to
   * `upTo` (events may be absent below it: expired messages are not returned). On the last
   * page (`more` false, or a page that made no progress) the tracker goes live and applies
   * buffered events that continue the cursor; `needSync` reports a gap still open above it.
   */
  syncPage(page: SyncPage): SyncStep {
    if (this.state !== 'syncing') return { ...NONE, more: false, after: this.cursorSeq }
    const before = this.cursorSeq
    const out: InboxEvent[] = []
    const events = page.events.filter((e) => Number.isSafeInteger(e.seq) && e.seq >= 0).sort((a, b) => a.seq - b.seq)
    for (const ev of events) {
      if (ev.seq === 0 || ev.seq > this.cursorSeq) this.apply(ev, out)
    }
    if (Number.isSafeInteger(page.upTo) && page.upTo > this.cursorSeq) this.cursorSeq = page.upTo
    if (page.more && this.cursorSeq > before) return { events: out, needSync: false, more: true, after: this.cursorSeq }
    this.state = 'live'
    this.drain(out)
    return { events: out, needSync: this.buf.size > 0, more: false, after: this.cursorSeq }
  }

  /** A send to `to` with `random` is in flight (MessageFilter.expectEcho). */
  expectEcho(to: string, random: number): void {
    this.filter.expectEcho(to, random)
  }

  /** The send was acknowledged with `msgKey` (MessageFilter.echoSettled). */
  echoSettled(to: string, random: number, msgKey: string): void {
    this.filter.echoSettled(to, random, msgKey)
  }

  /** The send failed or timed out: its echo if one was seen (MessageFilter.echoAbandoned). */
  echoAbandoned(to: string, random: number): MsgEvent | undefined {
    return this.filter.echoAbandoned(to, random)
  }

  private applyAll(evs: InboxEvent[]): InboxEvent[] {
    const out: InboxEvent[] = []
    for (const ev of evs) this.apply(ev, out)
    return out
  }

  /** Applies one event in order: moves the cursor (stored events) and surfaces it if the filter admits it. */
  private apply(ev: InboxEvent, out: InboxEvent[]): void {
    if (ev.seq > 0) this.cursorSeq = ev.seq
    if (this.filter.admit(ev)) out.push(ev)
  }

  /** Drops buffered events at or below the cursor, then applies those that continue it. */
  private drain(out: InboxEvent[]): void {
    for (const seq of this.buf.keys()) if (seq <= this.cursorSeq) this.buf.delete(seq)
    for (let next = this.buf.get(this.cursorSeq + 1); next; next = this.buf.get(this.cursorSeq + 1)) {
      this.buf.delete(next.seq)
      this.apply(next, out)
    }
  }

  /** Buffers a live event; when full, keeps the lowest seqs (the ones that can apply soonest). */
  private hold(ev: InboxEvent): void {
    if (this.buf.has(ev.seq)) return
    if (this.buf.size >= this.maxBuffered) {
      let highest = -1
      for (const seq of this.buf.keys()) if (seq > highest) highest = seq
      if (ev.seq >= highest) return
      this.buf.delete(highest)
    }
    this.buf.set(ev.seq, ev)
  }
}

function checkSeq(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative safe integer, got ${n}`)
  return n
}
