/**
 * The one-to-one catch-up of one logged-in connection: sync runs of conversation shards over
 * a ShardedInbox. A run of shard `sh` pages `{op: 'sync', sh, after, limit}` from the shard's
 * cursor until the server says `more: false` (wire.ts). Timers and requests only; the
 * delivery rules are ShardedInbox's.
 *
 * Contracts:
 * - At most one run per shard at a time: asking for a shard whose run is going (or waiting
 *   for a slot) joins that run; a gap it leaves open is reported by its last page and
 *   schedules the next run. Runs of different shards go concurrently, at most
 *   `maxConcurrent` at once; the others wait for a slot, first asked first served.
 * - A run that ends with a gap still open in its shard re-syncs that shard: at once if the
 *   run moved the shard's cursor, else after `gapRetryMs` (the server may not hold the missing
 *   events yet). A live event that asks for a shard re-syncs it at once, unless a run of it is
 *   going or a re-sync is already scheduled.
 * - A failed page (timeout, lost socket, an error answer) ends its run and is reported through
 *   `failed`; the host then drops the connection and calls `stop()`. After `stop()` nothing
 *   is requested or reported again, and every run resolves false.
 */
import type { InboxEvent } from '../protocol/events.js'
import type { ShardedInbox } from './ShardedInbox.js'
import type { SyncResult } from './wire.js'

export interface CatchUpHost {
  readonly inbox: ShardedInbox
  /** Requests one page of shard `sh` above `after` on this connection; rejects if it fails. */
  page(sh: number, after: number): Promise<SyncResult>
  /** Events a page applied, to surface in this order. */
  surface(events: InboxEvent[]): void
  /** Shard `sh`'s cursor was above the server's stream (a page's `upTo` below it): it restarted at 0. */
  reset(sh: number, upTo: number): void
  /** A run of shard `sh` reached the server's head (a gap may still be open above it). */
  finished(sh: number): void
  /** A page request failed: the connection is unusable. */
  failed(e: unknown): void
}

export interface CatchUpOptions {
  /** Runs of different shards in flight at once. */
  maxConcurrent: number
  /** Delay before re-syncing a gap that the previous run did not narrow, ms. */
  gapRetryMs: number
}

export class ShardCatchUp {
  private readonly runs = new Map<number, Promise<boolean>>()
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>()
  /** Runs waiting for a slot, in the order they asked. */
  private readonly waiting: Array<() => void> = []
  private active = 0
  private stopped = false

  constructor(private readonly h: CatchUpHost, private readonly o: CatchUpOptions) {}

  /** Runs of every shard in `shards` (login's list): true once all finished, false if one failed or `stop()` came first. */
  async all(shards: readonly number[]): Promise<boolean> {
    const done = await Promise.all(shards.map((sh) => this.sync(sh)))
    return !this.stopped && done.every(Boolean)
  }

  /** Shards a live step asked for: each re-synced at once, unless its run is going or a re-sync is scheduled. */
  requested(shards: readonly number[]): void {
    for (const sh of shards) if (!this.runs.has(sh)) this.schedule(sh, 0)
  }

  /** The connection is gone: cancels scheduled re-syncs; running and waiting runs resolve false. Idempotent. */
  stop(): void {
    this.stopped = true
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    for (const wake of this.waiting.splice(0)) wake()
  }

  /** Starts a run of shard `sh` unless one is going; resolves with that run's outcome. */
  private sync(sh: number): Promise<boolean> {
    const going = this.runs.get(sh)
    if (going) return going
    const timer = this.timers.get(sh)
    if (timer !== undefined) clearTimeout(timer)
    this.timers.delete(sh)
    const run = this.run(sh).finally(() => this.runs.delete(sh))
    this.runs.set(sh, run)
    return run
  }

  private async run(sh: number): Promise<boolean> {
    const slot = this.acquire()
    if (slot) await slot
    try {
      if (this.stopped) return false
      const before = this.h.inbox.cursorOf(sh)
      let after = this.h.inbox.beginSync(sh)
      for (;;) {
        const page = await this.h.page(sh, after)
        if (this.stopped) return false
        const step = this.h.inbox.syncPage(sh, page)
        if (step.reset) this.h.reset(sh, page.upTo)
        this.h.surface(step.events)
        if (step.more) {
          after = step.after
          continue
        }
        this.h.finished(sh)
        if (step.sync.length > 0) this.schedule(sh, this.h.inbox.cursorOf(sh) > before ? 0 : this.o.gapRetryMs)
        return true
      }
    } catch (e) {
      if (!this.stopped) this.h.failed(e)
      return false
    } finally {
      this.release()
    }
  }

  private schedule(sh: number, delayMs: number): void {
    if (this.stopped || this.timers.has(sh)) return
    this.timers.set(sh, setTimeout(() => {
      this.timers.delete(sh)
      if (!this.stopped) void this.sync(sh)
    }, delayMs))
  }

  /** Takes a slot now (undefined) or returns a promise that resolves once one is taken. */
  private acquire(): Promise<void> | undefined {
    if (this.active < this.o.maxConcurrent) {
      this.active++
      return undefined
    }
    return new Promise((resolve) => this.waiting.push(() => {
      this.active++
      resolve()
    }))
  }

  private release(): void {
    this.active--
    this.waiting.shift()?.()
  }
}
