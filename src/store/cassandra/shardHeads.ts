/**
 * Shard heads: the row `shard_heads(app, shard)` that fences the writers of a shard log
 * (CassandraShardLog.ts). Every write of this row is a lightweight transaction, and no other
 * code writes it, so Paxos orders all of them (Cassandra requires that an LWT-written row
 * not also take plain writes).
 *
 * | column     | meaning                                                               |
 * |------------|-----------------------------------------------------------------------|
 * | `epoch`    | the current writer's epoch; each `open` raises it by one (`claim`)    |
 * | `last_lsn` | highest LSN accepted: a batch is accepted when its LWT moved this     |
 * | `epochs`   | `[epoch, firstLsn][]`, ascending: where each epoch's LSNs start, for the epochs that own an LSN above the trim point |
 *
 * An LSN `x` is owned by the highest epoch in `epochs` whose first LSN is ≤ `x`; only that
 * epoch's log row at `x` is ever replayed, and only when `x ≤ last_lsn`. An epoch enters
 * `epochs` with its first accepted batch (the same LWT), so an epoch that never had a batch
 * accepted owns nothing.
 */
import { ParleyError } from '../../core/errors.js'
import type { ShardRef } from '../ShardLog.js'
import { decodeBlob, encodeBlob } from './codec.js'
import type { CassandraHandle } from './connect.js'
import { toNumber } from './rows.js'

/** `[epoch, firstLsn]`: from `firstLsn` on (until the next entry's), the epoch's rows count. */
export type EpochStart = readonly [epoch: number, firstLsn: number]

export interface ShardHead {
  /** 0 when the shard was never opened (no row). */
  readonly epoch: number
  readonly lastLsn: number
  readonly epochs: readonly EpochStart[]
}

export const NO_SHARD_HEAD: ShardHead = { epoch: 0, lastLsn: 0, epochs: [] }

/** The epoch whose row counts at `lsn`, or undefined when no live epoch covers it (trimmed). */
export function ownerOf(epochs: readonly EpochStart[], lsn: number): number | undefined {
  for (let i = epochs.length - 1; i >= 0; i--) if (epochs[i]![1] <= lsn) return epochs[i]![0]
  return undefined
}

/**
 * `epochs` without the entries that own no LSN above `trimmed` (an entry owns the LSNs from its
 * first up to the next entry's first − 1; the last entry is open-ended), then `next`.
 */
export function withEpoch(epochs: readonly EpochStart[], trimmed: number, next: EpochStart): EpochStart[] {
  const all = [...epochs, next]
  return all.filter((e, i) => i === all.length - 1 || (all[i + 1]![1] > e[1] && all[i + 1]![1] - 1 > trimmed))
}

export class ShardHeadTable {
  private readonly q: { read: string; insert: string; claim: string; advance: string; advanceFirst: string }

  constructor(private readonly handle: CassandraHandle) {
    const ks = handle.keyspace
    this.q = {
      read: `SELECT epoch, last_lsn, epochs FROM ${ks}.shard_heads WHERE app = ? AND shard = ?`,
      insert: `INSERT INTO ${ks}.shard_heads (app, shard, epoch, last_lsn, epochs) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS`,
      claim: `UPDATE ${ks}.shard_heads SET epoch = ? WHERE app = ? AND shard = ? IF epoch = ?`,
      advance: `UPDATE ${ks}.shard_heads SET last_lsn = ? WHERE app = ? AND shard = ? IF epoch = ? AND last_lsn = ?`,
      advanceFirst: `UPDATE ${ks}.shard_heads SET last_lsn = ?, epochs = ? WHERE app = ? AND shard = ? IF epoch = ? AND last_lsn = ?`,
    }
  }

  /** Reads at the serial level, which completes a Paxos round a failed writer left in flight. */
  async read(s: ShardRef): Promise<ShardHead> {
    const rs = await this.handle.client.execute(this.q.read, [s.app, s.shard],
      { prepare: true, consistency: this.handle.consistency.serial })
    const row = rs.first()
    if (!row) return NO_SHARD_HEAD
    return {
      epoch: toNumber(row['epoch']),
      lastLsn: toNumber(row['last_lsn']),
      epochs: decodeBlob<EpochStart[]>(row['epochs'] as Buffer),
    }
  }

  /**
   * Raises the epoch from `fromEpoch` (as read; 0: no row) to `fromEpoch + 1` unless another
   * claim moved it meanwhile. Resolves whether it did. From then on no batch of an earlier
   * epoch passes, so `last_lsn` stays put until the new epoch's first batch.
   */
  async claim(s: ShardRef, fromEpoch: number): Promise<boolean> {
    const rs = fromEpoch === 0
      ? await this.handle.client.execute(this.q.insert, [s.app, s.shard, 1, 0, encodeBlob([])], this.lwt())
      : await this.handle.client.execute(this.q.claim, [fromEpoch + 1, s.app, s.shard, fromEpoch], this.lwt())
    return rs.wasApplied()
  }

  /**
   * Accepts the LSNs `fromLsn + 1 … toLsn` of `epoch`: one LWT, applied only if `epoch` still
   * owns the shard and the head is still at `fromLsn`. The epoch's first batch also writes
   * `epochs` (the list read at the claim, pruned, with this epoch's entry). Rejects with INTERNAL naming what moved
   * the head when it was not applied (the writer is fenced out). A driver failure leaves the
   * outcome unknown; it rejects with that failure.
   */
  async advance(s: ShardRef, epoch: number, fromLsn: number, toLsn: number, epochs?: readonly EpochStart[]): Promise<void> {
    const rs = epochs
      ? await this.handle.client.execute(this.q.advanceFirst, [toLsn, encodeBlob(epochs), s.app, s.shard, epoch, fromLsn], this.lwt())
      : await this.handle.client.execute(this.q.advance, [toLsn, s.app, s.shard, epoch, fromLsn], this.lwt())
    if (rs.wasApplied()) return
    const row = rs.first()
    const now = row ? { epoch: toNumber(row['epoch']), lastLsn: toNumber(row['last_lsn']) } : undefined
    const why = !now
      ? 'the shard has no head'
      : now.epoch !== epoch
        ? `epoch ${epoch} was fenced out by epoch ${now.epoch} (another writer opened the shard)`
        : `the head is at LSN ${now.lastLsn}, not ${fromLsn}`
    throw new ParleyError('INTERNAL', `shard ${s.app}/${s.shard}: LSNs ${fromLsn + 1}..${toLsn} not accepted: ${why}`)
  }

  private lwt() {
    return { prepare: true, consistency: this.handle.consistency.write, serialConsistency: this.handle.consistency.serial }
  }
}
