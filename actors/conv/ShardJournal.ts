/**
 * ShardJournal: a conversation shard's durability, apart from its message logic
 * (docs/one-writer.md, decisions 3–5). It numbers the shard's records, appends each one to the
 * ShardLog (the only write before an ack), hands durable records to the thread's Checkpointer
 * (which applies every shard's records to the ConvIndex in one transaction per interval), and
 * on `open` replays what an earlier run appended but did not checkpoint.
 *
 * Contract:
 * - `append` resolves once the record is durable; its LSN is assigned synchronously, in call
 *   order. Records reach the index in LSN order, each exactly once, and only after their own
 *   append resolved.
 * - A failed append or checkpoint marks the journal broken: every later call rejects with
 *   INTERNAL, so the shard stops (and is re-activated from what is durable) instead of
 *   numbering on top of a record that may or may not exist.
 * - Replay length is bounded by the Checkpointer's batching: at most the records appended
 *   since the last checkpoint.
 */
import { CodedError, ErrorCatalogue, ParleyError } from '../../src/core/errors.js'
import type { RecordEntry, ShardRecord } from '../../src/store/ConvIndex.js'
import type { ShardRef } from '../../src/store/ShardLog.js'
import { decodeShardRecord, encodeShardRecord } from '../../src/store/shardRecordCodec.js'
import type { CheckpointSource, Checkpointer } from './Checkpointer.js'

/** What `open` found and replayed. */
export interface JournalRecovery {
  readonly lastLsn: number
  readonly checkpointLsn: number
  /** Records re-applied to the index from the log. */
  readonly replayed: number
  readonly ms: number
}

export class ShardJournal implements CheckpointSource {
  private lastLsn = 0
  private checkpointedLsn = 0
  /**
   * Durable records not yet in the index, by LSN (insertion order is LSN order, as appends
   * resolve in order; `take` does not rely on it). Kept until their checkpoint committed, so
   * `uncheckpointed` covers records a running checkpoint holds.
   */
  private readonly durable = new Map<number, { rec: ShardRecord; msgBytes?: Uint8Array }>()
  /** LSN of the last record handed to a checkpoint that has not finished yet. */
  private taken = 0
  private failure: Error | undefined

  constructor(readonly s: ShardRef, private readonly cp: Checkpointer, private readonly replayPage = 1000) {}

  /** Replays the log above the index's checkpoint into the index; call once, before `append`. */
  async open(): Promise<JournalRecovery> {
    const t0 = performance.now()
    const { log, index } = this.cp
    const head = await log.open(this.s)
    let at = await index.checkpointLsn(this.s)
    const from = at
    for (;;) {
      const page = await log.replay(this.s, at, this.replayPage)
      if (page.length === 0) break
      const entries = page.map((e) => decodeShardRecord(log, this.s, e))
      if (entries[0]!.lsn !== at + 1) {
        throw new ParleyError('INTERNAL', `shard ${this.s.app}/${this.s.shard}: log in ${log.location} resumes at LSN ${entries[0]!.lsn} after checkpoint ${at}; records are missing`)
      }
      await index.checkpoint([{ s: this.s, entries }])
      at = entries[entries.length - 1]!.lsn
    }
    await log.trim(this.s, at)
    this.lastLsn = Math.max(head.lastLsn, at)
    this.checkpointedLsn = this.taken = at
    return { lastLsn: this.lastLsn, checkpointLsn: at, replayed: at - from, ms: performance.now() - t0 }
  }

  get head(): number {
    return this.lastLsn
  }

  get checkpointLsn(): number {
    return this.checkpointedLsn
  }

  /**
   * Appends `rec`; resolves with its LSN once it is durable. `msgBytes`: the encoding of
   * `rec.msg` when the caller made one (for its pushes), spliced into the record and the index.
   * `firstFor`: the users whose stream here begins with this record (ShardState.takeFresh).
   */
  append(rec: ShardRecord, msgBytes?: Uint8Array, firstFor?: readonly string[]): Promise<number> {
    if (this.failure) return Promise.reject(this.brokenError())
    const lsn = ++this.lastLsn
    const bytes = encodeShardRecord(rec, msgBytes)
    return this.cp.log.append(this.s, lsn, bytes, firstFor?.length ? firstFor : undefined).then(() => {
      this.durable.set(lsn, msgBytes ? { rec, msgBytes } : { rec })
      this.cp.pending(this)
      return lsn
    }, (e: unknown) => {
      this.fail(e)
      // An unavailable store is answered as such (9012, retryable): the sender resends later.
      if (isUnavailable(e)) throw e
      throw this.brokenError()
    })
  }

  /** Durable records not yet handed to a checkpoint. */
  get waiting(): number {
    let n = 0
    for (const lsn of this.durable.keys()) if (lsn > this.taken) n++
    return n
  }

  /** Durable records the index may not hold yet, ascending: what a read must add to the index's answer. */
  uncheckpointed(): RecordEntry[] {
    const out: RecordEntry[] = []
    for (const [lsn, d] of this.durable) if (lsn > this.checkpointedLsn) out.push({ lsn, ...d })
    return out.sort((x, y) => x.lsn - y.lsn)
  }

  /** For the Checkpointer: the durable records that follow the last one taken, without a gap. */
  take(): RecordEntry[] {
    const out: RecordEntry[] = []
    if (this.failure) return out
    for (let lsn = this.taken + 1; this.durable.has(lsn); lsn++) out.push({ lsn, ...this.durable.get(lsn)! })
    if (out.length) this.taken = out[out.length - 1]!.lsn
    return out
  }

  /** For the Checkpointer: the records up to `lsn` are in the index. */
  checkpointed(lsn: number): void {
    this.checkpointedLsn = Math.max(this.checkpointedLsn, lsn)
    for (const l of this.durable.keys()) if (l <= lsn) this.durable.delete(l)
  }

  /** For the Checkpointer (a failed checkpoint) and for a failed append. */
  fail(e: unknown): void {
    this.failure ??= e instanceof Error ? e : new Error(String(e))
  }

  get broken(): boolean {
    return this.failure !== undefined
  }

  private brokenError(): ParleyError {
    const code = isUnavailable(this.failure) ? 'STORE_UNAVAILABLE' : 'INTERNAL'
    return new ParleyError(code, `shard ${this.s.app}/${this.s.shard} journal is broken (${this.failure?.message}); the shard must be re-opened`)
  }
}

function isUnavailable(e: unknown): boolean {
  return e instanceof CodedError && e.code === ErrorCatalogue.STORE_UNAVAILABLE.code
}
