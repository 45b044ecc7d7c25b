/**
 * The delivery rules of the one-to-one wire of one event stream per (user, conversation shard)
 * (docs/one-writer.md, "Wire protocol (planned)"; the frames in wire.ts): one InboxTracker per
 * shard, all sharing one MessageFilter. A pure state machine like InboxTracker: no sockets, no
 * timers, no I/O. ParleyClient drives it (the sync runs: ShardCatchUp.ts).
 *
 * Guarantees, given the server's contract (every stored event of shard `sh` carries `sh` and
 * a `seq` 1, 2, 3, … of the user's stream in that shard, and a sync of `sh` from `after`
 * returns every stored event of that stream above it):
 * - Per shard, everything InboxTracker guarantees: stored events surface in ascending seq
 *   order, each at most once; a live event above cursor+1 is held and that shard is reported
 *   for a sync; events held while a shard is behind or syncing apply only when they continue
 *   its cursor. Shards are independent: a gap or a sync in one holds back no other.
 * - Across shards: a message surfaces at most once whichever shard carries it (one msgKey
 *   LRU), and the echo of an own send is recognised on whatever shard it arrives (pending
 *   sends are keyed by `to` and `random`, not by shard). No order is promised between shards.
 * - A shard's tracker is created on first sight: a restored cursor, login's `shards`, a live
 *   event, or `beginSync`. A shard first seen while connected owes a catch-up from 0: its live
 *   events are held and the step reports it for a sync.
 * - A cursor above the server's stream is detected and restarted at 0 (reported as `reset`):
 *   at login, a shard with a cursor that is absent from `shards` (the server lists every shard
 *   where the user has a stream, and a shard never leaves the list); in a sync, a page whose
 *   `upTo` is below its `after` (the server answers a sync from above the head with the head).
 * - Online-only messages (`seq: 0`) bypass every cursor and surface at once, deduped by msgKey.
 */
import type { InboxEvent } from '../protocol/events.js'
import { InboxTracker, type TrackerPhase } from './InboxTracker.js'
import { MessageFilter, type MsgEvent } from './MessageFilter.js'
import type { SyncPage } from './wire.js'

/** An inbox event as the planned wire sends it: stored events carry their shard. */
export type ShardedEvent = InboxEvent & { sh?: number }

/** Highest contiguous stream seq applied, by shard. Shards at 0 are left out. */
export type ShardCursor = Record<number, number>

export interface ShardStep {
  /** Events to surface to the app, in this order. */
  readonly events: InboxEvent[]
  /** Shards to sync from their cursor, ascending (unless a sync of that shard is running). */
  readonly sync: number[]
}

export interface ShardSyncStep extends ShardStep {
  /** Another page of this shard is owed: request it with `after`. */
  readonly more: boolean
  /** The `after` of this shard's next sync page (its cursor). */
  readonly after: number
  /** The page showed the cursor above the server's stream: it restarted at 0 (`more` is true). */
  readonly reset: boolean
}

export interface LoginStep {
  /** Every shard to sync now, ascending: login's `shards` ∪ every shard with a tracker. */
  readonly sync: number[]
  /** Shards whose cursor was above 0 but absent from `shards`: restarted at 0. */
  readonly reset: number[]
}

export interface ShardedInboxOptions {
  /** This client's user: own sends are recognised by `msg.from`. */
  userId: string
  /** Message keys remembered for dedupe, across all shards. Default 10,000. */
  dedupeCapacity?: number
  /** Live events held per shard while it is behind; beyond it the highest are dropped (a sync refetches them). Default 1,000. */
  maxBuffered?: number
}

const NONE: ShardStep = Object.freeze({ events: [], sync: [] }) as ShardStep

export class ShardedInbox {
  private readonly trackers = new Map<number, InboxTracker>()
  private readonly filter: MessageFilter
  /** Between `login` and `disconnected`: a shard first seen now owes a sync nobody started. */
  private connected = false

  constructor(private readonly o: ShardedInboxOptions) {
    this.filter = new MessageFilter(o.userId, o.dedupeCapacity)
  }

  /** The cursor to persist: every shard above 0, a fresh object. */
  cursor(): ShardCursor {
    const c: ShardCursor = {}
    for (const sh of this.shards) {
      const seq = this.trackers.get(sh)!.cursor
      if (seq > 0) c[sh] = seq
    }
    return c
  }

  /** Known shards, ascending. */
  get shards(): number[] {
    return [...this.trackers.keys()].sort((a, b) => a - b)
  }

  /** Shard `sh`'s cursor (0 if unknown). */
  cursorOf(sh: number): number {
    return this.trackers.get(sh)?.cursor ?? 0
  }

  /** Shard `sh`'s phase; an unknown shard is `behind`. */
  phaseOf(sh: number): TrackerPhase {
    return this.trackers.get(sh)?.phase ?? 'behind'
  }

  /** Live events held back, over all shards. */
  get buffered(): number {
    let n = 0
    for (const tr of this.trackers.values()) n += tr.buffered
    return n
  }

  /**
   * Replaces the cursor (e.g. loaded from a store) and forgets every other shard; only while
   * no shard is connected or syncing. Throws, changing nothing, on a shard key that is not a
   * non-negative integer or a seq that is not a non-negative safe integer.
   */
  restore(c: ShardCursor): void {
    const idle = [...this.trackers.values()].every((tr) => tr.phase === 'behind')
    if (this.connected || !idle) throw new Error('ShardedInbox.restore: only while disconnected')
    const entries = Object.entries(c).map(([k, seq]) => [shardKey(k), checkSeq(seq)] as const)
    this.trackers.clear()
    for (const [sh, seq] of entries) this.tracker(sh).restore(seq)
  }

  /** After login, with its `shards`: returns the shards to sync (each from its cursor) and those reset. */
  login(shards: readonly number[]): LoginStep {
    this.connected = true
    const listed = new Set(shards.filter(isShard))
    const reset: number[] = []
    for (const [sh, tr] of this.trackers) {
      if (!listed.has(sh) && tr.rebase(0)) reset.push(sh)
    }
    for (const sh of listed) this.tracker(sh)
    return { sync: this.shards, reset: reset.sort((a, b) => a - b) }
  }

  /** The connection is gone: every shard owes a catch-up again; buffered events are dropped. */
  disconnected(): void {
    this.connected = false
    for (const tr of this.trackers.values()) tr.disconnected()
  }

  /** A live `ev` frame. A stored event without a valid `sh` is ignored (it cannot be placed). */
  live(ev: ShardedEvent): ShardStep {
    if (ev.seq === 0) return { events: this.filter.admit(ev) ? [ev] : [], sync: [] }
    if (!Number.isSafeInteger(ev.seq) || ev.seq < 0 || !isShard(ev.sh)) return NONE
    const tr = this.tracker(ev.sh)
    const step = tr.live(ev)
    const owed = step.needSync || (this.connected && tr.phase === 'behind')
    return { events: step.events, sync: owed ? [ev.sh] : [] }
  }

  /** Starts a sync run of shard `sh`; returns its first `after`. Its live events are buffered until the last page. */
  beginSync(sh: number): number {
    if (!isShard(sh)) throw new RangeError(`shard must be a non-negative integer, got ${sh}`)
    return this.tracker(sh).beginSync()
  }

  /**
   * One sync page of shard `sh` (InboxTracker.syncPage), ignored unless that shard is syncing.
   * A page whose `upTo` is below the cursor restarts the shard at 0 and asks for the next page
   * from 0 (`reset`).
   */
  syncPage(sh: number, page: SyncPage): ShardSyncStep {
    const tr = this.trackers.get(sh)
    if (!tr || tr.phase !== 'syncing') return { ...NONE, more: false, after: tr?.cursor ?? 0, reset: false }
    if (isShard(page.upTo) && tr.rebase(page.upTo)) return { ...NONE, more: true, after: 0, reset: true }
    const step = tr.syncPage(page)
    return { events: step.events, sync: step.needSync ? [sh] : [], more: step.more, after: step.after, reset: false }
  }

  /** A send to `to` with `random` is in flight: its echo, on any shard, is not a new message. */
  expectEcho(to: string, random: number): void {
    this.filter.expectEcho(to, random)
  }

  /** The send was acknowledged with `msgKey`: never surface that key. */
  echoSettled(to: string, random: number, msgKey: string): void {
    this.filter.echoSettled(to, random, msgKey)
  }

  /** The send failed or timed out: its echo if one was seen on any shard (MessageFilter.echoAbandoned). */
  echoAbandoned(to: string, random: number): MsgEvent | undefined {
    return this.filter.echoAbandoned(to, random)
  }

  private tracker(sh: number): InboxTracker {
    let tr = this.trackers.get(sh)
    if (!tr) {
      tr = new InboxTracker({ userId: this.o.userId, filter: this.filter, maxBuffered: this.o.maxBuffered })
      this.trackers.set(sh, tr)
    }
    return tr
  }
}

/** A non-negative safe integer: a shard number (also a valid `upTo`). */
function isShard(sh: unknown): sh is number {
  return Number.isSafeInteger(sh) && (sh as number) >= 0
}

/** A cursor key as a shard number: its canonical decimal form only ("7", not "07" or "7.0"). */
function shardKey(k: string): number {
  const sh = Number(k)
  if (!isShard(sh) || String(sh) !== k) throw new RangeError(`cursor shard must be a non-negative integer, got ${JSON.stringify(k)}`)
  return sh
}

function checkSeq(seq: unknown): number {
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw new RangeError(`cursor seq must be a non-negative safe integer, got ${String(seq)}`)
  return seq as number
}
