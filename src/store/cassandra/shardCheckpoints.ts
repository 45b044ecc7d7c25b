/**
 * The row `shard_checkpoints(app, shard)`: how far a shard's records are in the indexes
 * (`checkpoint_lsn`, moved by CassandraConvIndex after every index row of a checkpoint is
 * written) and how far its log was trimmed (`trimmed_lsn`, moved by CassandraShardLog after
 * the deletes). Plain writes, never LWTs (the fenced head lives in `shard_heads`).
 *
 * Both columns only grow, by construction: each is written `USING TIMESTAMP <its value>`, so
 * of two writes the higher LSN wins whatever order they reach a replica in — a slow, fenced-out
 * ex-owner finishing an older checkpoint cannot move it back. Nothing else may write this table.
 */
import type { ShardRef } from '../ShardLog.js'
import { stmt, type Statement } from './batches.js'
import type { CassandraHandle } from './connect.js'
import { toNumber } from './rows.js'

export interface ShardMarks {
  readonly checkpointLsn: number
  readonly trimmedLsn: number
}

export class ShardCheckpointTable {
  private readonly q: { read: string; checkpoint: string; trimmed: string }

  constructor(private readonly handle: CassandraHandle) {
    const ks = handle.keyspace
    this.q = {
      read: `SELECT checkpoint_lsn, trimmed_lsn FROM ${ks}.shard_checkpoints WHERE app = ? AND shard = ?`,
      checkpoint: `UPDATE ${ks}.shard_checkpoints USING TIMESTAMP ? SET checkpoint_lsn = ? WHERE app = ? AND shard = ?`,
      trimmed: `UPDATE ${ks}.shard_checkpoints USING TIMESTAMP ? SET trimmed_lsn = ? WHERE app = ? AND shard = ?`,
    }
  }

  async read(s: ShardRef): Promise<ShardMarks> {
    const rs = await this.handle.client.execute(this.q.read, [s.app, s.shard], { prepare: true, consistency: this.handle.consistency.read })
    const row = rs.first()
    const n = (v: unknown) => (v === null || v === undefined ? 0 : toNumber(v))
    return { checkpointLsn: n(row?.['checkpoint_lsn']), trimmedLsn: n(row?.['trimmed_lsn']) }
  }

  /** The statement that moves the checkpoint to `lsn` (≥ 1); an older value never wins over it. */
  checkpoint(s: ShardRef, lsn: number): Statement {
    return stmt(this.q.checkpoint, [lsn, lsn, s.app, s.shard], 0)
  }

  /** The statement that records the log trimmed up to `lsn` (≥ 1). */
  trimmed(s: ShardRef, lsn: number): Statement {
    return stmt(this.q.trimmed, [lsn, lsn, s.app, s.shard], 0)
  }
}
