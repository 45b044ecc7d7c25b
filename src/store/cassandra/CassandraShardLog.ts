/**
 * ShardLog on Cassandra (contract: src/store/ShardLog.ts; tables in schema.ts, version 5).
 *
 * | table               | holds                                                          |
 * |---------------------|----------------------------------------------------------------|
 * | `shard_log`         | `(app, shard, bucket) / lsn, epoch` → the record's bytes        |
 * | `shard_heads`       | the fence: epoch, last accepted LSN, each live epoch's first LSN (shardHeads.ts) |
 * | `shard_checkpoints` | checkpoint LSN (CassandraConvIndex writes it), trimmed-up-to LSN |
 *
 * The fence — one LWT per shard per batch, not per record:
 * - `open` claims the shard: one LWT raises the head's epoch (`IF epoch = e`, retried only
 *   when another claim won the race). From then on no batch of an earlier epoch passes, so the
 *   head's `last_lsn` is frozen; a serial read after the claim gives the new writer its
 *   starting point `l`. The new epoch owns the LSNs from `l + 1` on.
 * - `append`s of one event-loop turn on one shard, and those made while that shard's previous
 *   batch is in flight, form one batch: its rows are written under the writer's epoch (plain
 *   writes at the `write` level; each row's key holds the epoch, so no writer's row overwrites
 *   another's), then ONE LWT `SET last_lsn = last IF epoch = mine AND last_lsn = first − 1`
 *   accepts them all. The epoch's first batch also writes its entry `[epoch, l + 1]` in the
 *   head's epoch list, in that same LWT. Every append of the batch resolves after that LWT
 *   applied, in LSN order.
 * - Refused LWT (another writer opened the shard, or the head moved): every append of the
 *   batch, and every one queued behind it, rejects with INTERNAL (20005) naming the epoch that
 *   fenced it out. A driver failure (timeout, no host) rejects them with STORE_UNAVAILABLE
 *   (9012) — then the outcome is unknown: the LWT may have applied, and the next `open` sees
 *   and replays those records. Either way the shard's writer here is broken: every later
 *   append rejects until the shard is opened again (a new epoch), so an LSN whose fate is
 *   unknown is never written a second time with other bytes.
 * - Replay counts, for each LSN ≤ `last_lsn`, only the row of the LSN's owner: the highest
 *   epoch of the list whose first LSN is ≤ it.
 *
 * Why that is safe. An accepted LSN `x` of epoch `e`: its LWT applied while `e` held the head,
 *   so every later epoch was claimed after it and starts above `x` (at the frozen `last_lsn`
 *   + 1, and `last_lsn` never decreases): `e` stays the owner of `x`, and `e`'s row at `x` is
 *   the one replayed, forever. A stale writer's row at `x` (its batch refused): `x` was above
 *   `last_lsn` when the claim fenced it, so if `x` is ever accepted it is by a later epoch,
 *   which then owns it; the stale row is never replayed, whatever order its writes reach the
 *   replicas in. An epoch whose first batch was refused has no entry and owns nothing. No LSN
 *   is accepted twice: each batch LWT requires `last_lsn = first − 1` and moves it past the
 *   batch. A live old writer cannot starve a claim: its batches never change the epoch.
 *
 * LSNs are checked against the writer's own counter (`open`'s head + appends since), so a
 * gap, a reuse or an append without `open` is refused at once and writes nothing. Unlike
 * LMDB's, `append` requires that this instance opened the shard.
 *
 * `trim` deletes whole `shard_log` partitions below the checkpoint (one tombstone each) and a
 * range in the partition holding the checkpoint, then records `trimmed_lsn`; it resolves with
 * the number of LSNs trimmed (the log is dense, so the number of records). Epochs that own no
 * LSN above `trimmed_lsn` are dropped from the head at the next claim.
 */
import { ParleyError } from '../../core/errors.js'
import type { LogEntry, ShardLog, ShardLogHead, ShardRef } from '../ShardLog.js'
import { stmt, type Statement, writeStatements } from './batches.js'
import type { CassandraHandle } from './connect.js'
import { bucketOf, toNumber } from './rows.js'
import { SHARD_LOG_BUCKET } from './schema.js'
import { ShardCheckpointTable } from './shardCheckpoints.js'
import { type EpochStart, ownerOf, ShardHeadTable, withEpoch } from './shardHeads.js'
import { mapUnavailable } from './unavailable.js'

/** Claim attempts when other claims keep winning the race for the epoch. */
const MAX_CLAIM_ATTEMPTS = 5
/** Records per batch (one LWT); more appends wait for the next batch. */
const MAX_BATCH = 2000
/** Rows fetched per page by `replay`. */
const REPLAY_FETCH = 500

interface Pending {
  readonly lsn: number
  readonly bytes: Uint8Array
  readonly firstFor: readonly string[] | undefined
  resolve(): void
  reject(e: unknown): void
}

/** This instance's writer state of one shard it opened. */
class Writer {
  /** The LSN the next append must carry. */
  next: number
  /** The head's `last_lsn` as this writer left it (the condition of its next batch). */
  accepted: number
  /** The head's epoch list with this epoch's entry, written by the epoch's first batch. */
  entry: readonly EpochStart[] | undefined
  readonly queue: Pending[] = []
  /** The batch in flight, if any. */
  inFlight: Promise<void> | undefined
  scheduled = false
  broken: Error | undefined

  constructor(readonly s: ShardRef, readonly epoch: number, headLsn: number, lastLsn: number, epochs: readonly EpochStart[]) {
    this.next = lastLsn + 1
    this.accepted = headLsn
    this.entry = epochs
  }
}

export class CassandraShardLog implements ShardLog {
  readonly location: string
  private readonly release: () => Promise<void>
  private readonly heads: ShardHeadTable
  private readonly marks: ShardCheckpointTable
  private readonly writers = new Map<string, Writer>()
  private readonly q: { insert: string; range: string; dropBucket: string; dropBelow: string; present: string; shards: string }

  /** Acquires `handle` (from `connectCassandra`); `close()` releases it. */
  constructor(private readonly handle: CassandraHandle) {
    this.release = handle.acquire()
    this.heads = new ShardHeadTable(handle)
    this.marks = new ShardCheckpointTable(handle)
    const ks = handle.keyspace
    this.location = `Cassandra keyspace ${ks}`
    const where = 'WHERE app = ? AND shard = ? AND bucket = ?'
    this.q = {
      insert: `INSERT INTO ${ks}.shard_log (app, shard, bucket, lsn, epoch, rec) VALUES (?, ?, ?, ?, ?, ?)`,
      range: `SELECT lsn, epoch, rec FROM ${ks}.shard_log ${where} AND lsn > ? AND lsn <= ?`,
      dropBucket: `DELETE FROM ${ks}.shard_log ${where}`,
      dropBelow: `DELETE FROM ${ks}.shard_log ${where} AND lsn <= ?`,
      present: `INSERT INTO ${ks}.conv_user_shards (app, user_id, shard) VALUES (?, ?, ?)`,
      shards: `SELECT shard FROM ${ks}.conv_user_shards WHERE app = ? AND user_id = ?`,
    }
  }

  async open(s: ShardRef): Promise<ShardLogHead> {
    for (let attempt = 1; ; attempt++) {
      const [seen, marks] = await Promise.all([this.heads.read(s), this.marks.read(s)])
      const epoch = seen.epoch + 1
      if (await this.heads.claim(s, seen.epoch)) {
        const head = await this.heads.read(s)
        if (head.epoch === epoch) {
          const lastLsn = Math.max(head.lastLsn, marks.checkpointLsn)
          const epochs = withEpoch(head.epochs, marks.trimmedLsn, [epoch, lastLsn + 1])
          this.writers.set(keyOf(s), new Writer(s, epoch, head.lastLsn, lastLsn, epochs))
          return { lastLsn, checkpointLsn: marks.checkpointLsn }
        }
      }
      if (attempt === MAX_CLAIM_ATTEMPTS) {
        throw new ParleyError('INTERNAL', `shard ${s.app}/${s.shard}: not opened, other writers claimed it ${attempt} times meanwhile`)
      }
    }
  }

  append(s: ShardRef, lsn: number, bytes: Uint8Array, firstFor?: readonly string[]): Promise<void> {
    if (!Number.isSafeInteger(lsn) || lsn < 1) return refuse(`shard ${s.app}/${s.shard}: LSN ${lsn} is not valid`)
    const w = this.writers.get(keyOf(s))
    if (!w) return refuse(`shard ${s.app}/${s.shard}: not opened by this writer; append refused`)
    if (w.broken) return refuse(`shard ${s.app}/${s.shard}: an earlier batch failed (${w.broken.message}); re-open the shard`)
    if (lsn < w.next) return refuse(`shard ${s.app}/${s.shard}: LSN ${lsn} is already in the log; append refused`)
    if (lsn > w.next) return refuse(`shard ${s.app}/${s.shard}: LSN ${lsn} skips ${w.next}; append refused`)
    w.next++
    return new Promise<void>((resolve, reject) => {
      w.queue.push({ lsn, bytes, firstFor, resolve, reject })
      if (!w.inFlight && !w.scheduled) {
        w.scheduled = true
        setImmediate(() => {
          w.scheduled = false
          this.flush(w)
        })
      }
    })
  }

  async shardsOf(app: number, user: string): Promise<number[]> {
    const rs = await this.handle.client.execute(this.q.shards, [app, user], { prepare: true, consistency: this.handle.consistency.read })
    return rs.rows.map((r) => r['shard'] as number)
  }

  async replay(s: ShardRef, afterLsn: number, limit: number): Promise<LogEntry[]> {
    if (limit <= 0) return []
    const [head, marks] = await Promise.all([this.heads.read(s), this.marks.read(s)])
    const out: LogEntry[] = []
    /** Above the checkpoint nothing was trimmed: every accepted LSN must be found, in order. */
    let expect = Math.max(afterLsn, marks.checkpointLsn) + 1
    const take = (lsn: number, epoch: number, rec: Buffer): boolean => {
      if (lsn > head.lastLsn || ownerOf(head.epochs, lsn) !== epoch) return false
      if (lsn >= expect) {
        if (lsn !== expect) throw missing(this, s, expect, head.lastLsn)
        expect++
      }
      out.push({ lsn, bytes: rec })
      return out.length >= limit
    }
    for (let b = bucketOf(afterLsn + 1, SHARD_LOG_BUCKET); b <= bucketOf(head.lastLsn, SHARD_LOG_BUCKET); b++) {
      if (await this.scanBucket(s, b, afterLsn, head.lastLsn, take)) return out
    }
    if (expect <= head.lastLsn) throw missing(this, s, expect, head.lastLsn)
    return out
  }

  async trim(s: ShardRef, lsn: number): Promise<number> {
    const marks = await this.marks.read(s)
    const upTo = Math.min(lsn, marks.checkpointLsn)
    if (upTo <= marks.trimmedLsn) return 0
    const deletes: Statement[] = []
    for (let b = bucketOf(marks.trimmedLsn + 1, SHARD_LOG_BUCKET); b <= bucketOf(upTo, SHARD_LOG_BUCKET); b++) {
      deletes.push((b + 1) * SHARD_LOG_BUCKET - 1 <= upTo
        ? stmt(this.q.dropBucket, [s.app, s.shard, b], 0)
        : stmt(this.q.dropBelow, [s.app, s.shard, b, upTo], 0))
    }
    await writeStatements(this.handle, deletes)
    await writeStatements(this.handle, [this.marks.trimmed(s, upTo)])
    return upTo - marks.trimmedLsn
  }

  /** Waits for every batch in flight (their appends settle), then releases the handle. */
  async close(): Promise<void> {
    for (const w of this.writers.values()) {
      while (w.inFlight || w.scheduled) await (w.inFlight ?? new Promise((r) => setImmediate(r)))
    }
    this.writers.clear()
    await this.release()
  }

  /** Sends the writer's next batch unless one is in flight; another follows while appends queue. */
  private flush(w: Writer): void {
    if (w.inFlight || w.queue.length === 0) return
    const batch = w.queue.splice(0, MAX_BATCH)
    w.inFlight = this.send(w, batch).finally(() => {
      w.inFlight = undefined
      this.flush(w)
    })
  }

  private async send(w: Writer, batch: Pending[]): Promise<void> {
    const { s, epoch } = w
    try {
      if (w.broken) throw w.broken
      // Presence rows go with the log rows, before the LWT that accepts them: a shard is listed
      // for a user before the user's first event there is acknowledged (a refused batch may
      // leave a listing with no event yet: the stream is then empty, which readers accept).
      const presence = batch.flatMap((p) => (p.firstFor ?? []).map((u) => stmt(this.q.present, [s.app, u, s.shard], u.length)))
      await writeStatements(this.handle, [...batch.map((p) =>
        stmt(this.q.insert, [s.app, s.shard, bucketOf(p.lsn, SHARD_LOG_BUCKET), p.lsn, epoch, asBuffer(p.bytes)], p.bytes.length)), ...presence])
      const last = batch[batch.length - 1]!.lsn
      await this.heads.advance(s, epoch, w.accepted, last, w.entry)
      w.accepted = last
      w.entry = undefined
    } catch (e) {
      const err = mapUnavailable(e)
      w.broken ??= err instanceof Error ? err : new Error(String(err))
      for (const p of [...batch, ...w.queue.splice(0)]) p.reject(err)
      return
    }
    for (const p of batch) p.resolve()
  }

  /**
   * Feeds bucket `b`'s rows with `afterLsn < lsn ≤ lastLsn` to `take` in clustering order,
   * page by page; resolves true as soon as `take` says it has enough.
   */
  private async scanBucket(s: ShardRef, b: number, afterLsn: number, lastLsn: number,
    take: (lsn: number, epoch: number, rec: Buffer) => boolean): Promise<boolean> {
    let pageState: string | undefined
    do {
      const rs = await this.handle.client.execute(this.q.range, [s.app, s.shard, b, afterLsn, lastLsn],
        { prepare: true, consistency: this.handle.consistency.read, fetchSize: REPLAY_FETCH, ...(pageState ? { pageState } : {}) })
      for (const row of rs.rows) {
        if (take(toNumber(row['lsn']), toNumber(row['epoch']), row['rec'] as Buffer)) return true
      }
      pageState = rs.pageState ?? undefined
    } while (pageState)
    return false
  }
}

function keyOf(s: ShardRef): string {
  return `${s.app}/${s.shard}`
}

function refuse(why: string): Promise<never> {
  return Promise.reject(new ParleyError('INTERNAL', why))
}

function missing(log: CassandraShardLog, s: ShardRef, lsn: number, lastLsn: number): ParleyError {
  return new ParleyError('INTERNAL',
    `shard log record app ${s.app} shard ${s.shard} lsn ${lsn} in ${log.location} is accepted (head at ${lastLsn}) but missing; ` +
    'the shard will not serve until it is restored (was the log written below a quorum?)')
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}
