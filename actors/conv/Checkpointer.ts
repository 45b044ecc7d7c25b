/**
 * Checkpointer: one per thread's store handle. It applies the durable records of every
 * ShardJournal on that handle to the ConvIndex in one call (one transaction, one sync), at
 * most `intervalMs` after a record became durable, or at once when `maxRecords` wait, then
 * trims each shard's log below its new checkpoint. So a thread with 64 shards and sparse
 * traffic pays one index transaction per interval, not one per shard.
 *
 * Failure: if a checkpoint fails, every journal in it is marked broken (its shard stops and
 * re-opens from the log); the records stay in the log, so nothing is lost.
 */
import type { ConvIndex, RecordEntry, ShardBatch } from '../../src/store/ConvIndex.js'
import type { ShardLog, ShardRef } from '../../src/store/ShardLog.js'

/** What the Checkpointer needs of a shard's journal (ShardJournal.ts). */
export interface CheckpointSource {
  readonly s: ShardRef
  /** Durable records not yet taken. */
  readonly waiting: number
  readonly checkpointLsn: number
  /** The durable records that follow the last one taken, without a gap (and forgets them). */
  take(): RecordEntry[]
  /** The records up to `lsn` are in the index. */
  checkpointed(lsn: number): void
  /** A checkpoint holding this source's records failed. */
  fail(e: unknown): void
}

export interface CheckpointerOptions {
  /** Checkpoint at once when this many durable records wait, over all shards. Default 4,000. */
  readonly maxRecords?: number
  /** Checkpoint at most this long after a record became durable, ms. Default 100. */
  readonly intervalMs?: number
  /** Trim a shard's log once its checkpoint moved this many records past the last trim. Default 1,000. */
  readonly trimEvery?: number
  /** Timer (default setTimeout); tests pass their own. */
  readonly schedule?: (fn: () => void, ms: number) => { cancel(): void }
}

export class Checkpointer {
  private readonly dirty = new Set<CheckpointSource>()
  private waiting = 0
  private timer: { cancel(): void } | undefined
  private running: Promise<void> | undefined
  private readonly maxRecords: number
  private readonly intervalMs: number
  private readonly schedule: NonNullable<CheckpointerOptions['schedule']>
  private readonly trimmed = new WeakMap<CheckpointSource, number>()
  private readonly trimEvery: number
  /** Checkpoints run so far (for tests and benchmarks). */
  runs = 0

  constructor(readonly log: ShardLog, readonly index: ConvIndex, o: CheckpointerOptions = {}) {
    this.maxRecords = o.maxRecords ?? 4000
    this.intervalMs = o.intervalMs ?? 100
    this.trimEvery = o.trimEvery ?? 1000
    this.schedule = o.schedule ?? ((fn, ms) => {
      const t = setTimeout(fn, ms)
      return { cancel: () => clearTimeout(t) }
    })
  }

  /** Called by a journal when one of its records became durable. */
  pending(j: CheckpointSource): void {
    this.dirty.add(j)
    this.waiting++
    if (this.waiting >= this.maxRecords) {
      if (!this.running) void this.run()
    } else {
      this.timer ??= this.schedule(() => {
        this.timer = undefined
        if (!this.running) void this.run()
      }, this.intervalMs)
    }
  }

  /**
   * Stops checkpointing `j` (its shard moved to another node or failed here): its records
   * left stay in the log, and whoever opens the shard next replays them.
   */
  forget(j: CheckpointSource): void {
    if (this.dirty.delete(j)) this.waiting = Math.max(0, this.waiting - j.waiting)
  }

  /** Checkpoints everything durable now; resolves when the index holds it (rejects if that failed). */
  async flush(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined)
    if (this.dirty.size > 0) await this.run(true)
  }

  /** Flushes and stops the timer. The log and index stay open (their owner closes them). */
  async close(): Promise<void> {
    await this.flush()
    this.timer?.cancel()
    this.timer = undefined
  }

  private run(rethrow = false): Promise<void> {
    const journals = [...this.dirty]
    this.dirty.clear()
    this.waiting = 0
    const batches: (ShardBatch & { j: CheckpointSource })[] = []
    for (const j of journals) {
      const entries = j.take()
      if (j.waiting > 0) this.dirty.add(j)
      if (entries.length) batches.push({ s: j.s, entries, j })
    }
    for (const j of this.dirty) this.waiting += j.waiting
    // Started on a later microtask, so `running` is set before the body can clear it.
    const done = Promise.resolve().then(async () => {
      try {
        if (batches.length === 0) return
        await this.index.checkpoint(batches)
        this.runs++
        for (const b of batches) b.j.checkpointed(b.entries[b.entries.length - 1]!.lsn)
        await Promise.all(batches.map((b) => this.trim(b.j, rethrow)))
      } catch (e) {
        for (const b of batches) b.j.fail(e)
        throw e
      } finally {
        this.running = undefined
        if (this.dirty.size > 0) this.pendingAgain()
      }
    })
    this.running = done
    return rethrow ? done : done.catch(() => undefined)
  }

  /**
   * Log records at or below the checkpoint are never replayed (replay starts above it), so
   * trimming only reclaims space: done every `trimEvery` records per shard, and on flush.
   */
  private async trim(j: CheckpointSource, always: boolean): Promise<void> {
    const at = j.checkpointLsn
    const last = this.trimmed.get(j) ?? 0
    if (!always && at - last < this.trimEvery) return
    await this.log.trim(j.s, at)
    this.trimmed.set(j, at)
  }

  private pendingAgain(): void {
    if (this.waiting >= this.maxRecords) void this.run()
    else this.timer ??= this.schedule(() => {
      this.timer = undefined
      if (!this.running) void this.run()
    }, this.intervalMs)
  }
}
