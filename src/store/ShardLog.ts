/**
 * ShardLog: the durable log of a conversation shard (docs/one-writer.md). Each shard has one
 * writer at a time (its actor), which numbers its records 1, 2, 3, … (the LSN) and appends
 * each record once, before it acknowledges or pushes anything the record holds. Indexes are
 * derived from the records in batches: the index's checkpoint (src/store/ConvIndex.ts) records,
 * in the same transaction as the entries, the LSN up to which they are durable, and after a
 * crash the shard re-applies every record above it (`replay`).
 *
 * Contract:
 * - `open` makes the caller the shard's writer and returns the head. In cluster mode it fences
 *   out any earlier writer (a node that is still running but no longer owns the shard): from
 *   then on that writer's appends are refused and nothing it writes is ever replayed. Call it
 *   before appending (the Cassandra log refuses appends to a shard it did not open).
 * - `append` resolves once the record is durable (fsynced for LMDB; written at the `write`
 *   consistency and accepted by the shard head's one LWT per batch for Cassandra). Appends
 *   made in one event-loop turn share one transaction and one sync (one LWT). An append is
 *   never reordered after a later one of the same shard. A refused append (INTERNAL: bad or
 *   reused LSN, fenced out) wrote nothing that is ever replayed. One whose outcome is unknown
 *   (Cassandra: STORE_UNAVAILABLE after a timeout) may be replayed by the next `open`; after
 *   it the shard must be opened again.
 * - LSNs are dense: the caller appends `lastLsn + 1`; a gap or a reuse is refused (INTERNAL)
 *   and writes nothing, so a second writer that believes it owns the shard cannot overwrite a
 *   record.
 * - `checkpoint(lsn)` never moves backwards; `replay` returns the records above the stored
 *   checkpoint in LSN order; `trim` drops records at or below the checkpoint only.
 * - Values are opaque bytes; the shard's record codec decodes them, and a record that fails to
 *   decode is reported with `shardLogCorrupt` (naming the record and the file), never skipped.
 */
import { ParleyError } from '../core/errors.js'

export interface ShardRef {
  readonly app: number
  readonly shard: number
}

export interface LogEntry {
  readonly lsn: number
  readonly bytes: Uint8Array
}

/** What a shard reads when it activates: where its log ends and where its indexes end. */
export interface ShardLogHead {
  /** Highest LSN appended; 0 when the log is empty and was never trimmed. */
  readonly lastLsn: number
  /** Highest LSN whose index entries are durable; 0 before the first checkpoint. */
  readonly checkpointLsn: number
}

export interface ShardLog {
  /** Becomes the shard's writer (fencing out earlier ones) and returns its head. */
  open(s: ShardRef): Promise<ShardLogHead>
  /**
   * Appends `bytes` at `lsn` (must be the head's lastLsn + 1, counting appends since).
   * `firstFor`: users whose stream in this shard begins with this record; the shard is added
   * to each one's `shardsOf` durably with the record (before the append resolves).
   */
  append(s: ShardRef, lsn: number, bytes: Uint8Array, firstFor?: readonly string[]): Promise<void>
  /**
   * The shards where `user` has a stream: exact (a shard is listed before its first event for
   * the user is acknowledged) and never shrinking while the data lives. Ascending.
   */
  shardsOf(app: number, user: string): Promise<number[]>
  /** Records with LSN > `afterLsn`, ascending, at most `limit`. */
  replay(s: ShardRef, afterLsn: number, limit: number): Promise<LogEntry[]>
  /** Removes records with LSN ≤ min(`lsn`, checkpoint). Resolves with how many were removed. */
  trim(s: ShardRef, lsn: number): Promise<number>
  /** Where the log lives, for error messages (a directory or a keyspace). */
  readonly location: string
  close(): Promise<void>
}

/**
 * The error a shard raises when a stored record cannot be decoded: it names the record and
 * where it is stored, and the shard refuses to serve rather than skip acknowledged data.
 */
export function shardLogCorrupt(log: Pick<ShardLog, 'location'>, s: ShardRef, lsn: number, cause: unknown): ParleyError {
  const why = cause instanceof Error ? cause.message : String(cause)
  return new ParleyError('INTERNAL',
    `shard log record app ${s.app} shard ${s.shard} lsn ${lsn} in ${log.location} cannot be decoded (${why}); ` +
    'the shard will not serve until the record is repaired or restored from a backup')
}
