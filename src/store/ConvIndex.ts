/**
 * ConvIndex: the one-to-one indexes derived from the shard logs (docs/one-writer.md). A shard
 * appends one `ShardRecord` per change to its ShardLog, acknowledges after that append, and
 * applies its records to the indexes in batches (`checkpoint`); after a crash it re-applies
 * the records above its checkpoint, the same way.
 *
 * Contract:
 * - `checkpoint(batches)` applies, for each shard, its entries (ascending LSN, the first one
 *   just above the shard's stored checkpoint, none skipped) to every index and moves the
 *   shard's checkpoint to its last LSN. One call per process per interval serves every shard,
 *   so sparse traffic over many shards still costs one transaction (LMDB) or one round of
 *   batches (Cassandra) per interval. A batch that does not follow its shard's checkpoint
 *   fails the whole call (INTERNAL) and applies nothing.
 * - Atomicity, per backend. LMDB: all shards' batches in one transaction; after a crash
 *   either all of it is visible or none. Cassandra (no multi-partition transaction): every
 *   index row of the call is written before any shard's checkpoint moves; after a crash or a
 *   failed write, any subset of those rows may be visible while each shard's checkpoint is
 *   either where it was or at its batch's last LSN, never beyond a record whose rows are
 *   not all written. Re-applying the records above the checkpoint on top of such a partial
 *   apply yields exactly the state of one apply (CassandraConvIndex.ts says how: puts, and
 *   views that remember the last LSN applied to them).
 * - Applying is deterministic given the index state at the checkpoint, so a replay after a
 *   crash produces exactly the state that an uninterrupted run would have.
 * - Reads see checkpointed records (LMDB: only those; Cassandra: also rows of a checkpoint in
 *   progress, whose records are already durable in the log); the shard serves what it has not
 *   checkpointed yet from memory.
 */
import type { StoredMessage } from '../model/message.js'
import type { InboxEvent } from '../protocol/events.js'
import type { ConversationRecord } from './MessageStore.js'
import type { LogEntry, ShardRef } from './ShardLog.js'

/** What every record holds: the pair, and the seq of the record's event in each user's stream. */
interface PairRecord {
  /** The pair, ordered (`a <= b`; equal for a conversation with oneself). */
  readonly a: string
  readonly b: string
  /** The event's seq in `a`'s and `b`'s stream of this shard; 0 when that user gets no event. */
  readonly sa: number
  readonly sb: number
}

/** A one-to-one message, both users' views in one record. */
export interface MsgRecord extends PairRecord {
  readonly t: 'msg'
  /** The message; `msg.seq` is the conversation seq (one sequence for both views). */
  readonly msg: StoredMessage
  /** Unix seconds after which the message is no longer delivered from the inbox. */
  readonly expireAt?: number
  readonly noUnread?: boolean
  readonly noLastMsg?: boolean
}

/** The message at `seq` (`msgKey`) was recalled: flagged 8 and emptied in history. */
export interface RecallRecord extends PairRecord {
  readonly t: 'recall'
  readonly seq: number
  readonly msgKey: string
  /** The recalled message's sender (the other user's unread count may drop). */
  readonly from: string
}

/**
 * `reader` read the conversation up to `readSeq`; `unread` is what stays unread for them (the
 * peer's messages above it, decided by the shard). The peer learns `readTime` (C2C read report).
 */
export interface ReadRecord extends PairRecord {
  readonly t: 'read'
  readonly reader: string
  readonly readSeq: number
  readonly unread: number
  readonly readTime: number
}

/** `reader` sent read receipts for these messages of the peer (their seqs and keys). */
export interface ReceiptRecord extends PairRecord {
  readonly t: 'receipt'
  readonly reader: string
  readonly seqs: readonly number[]
  readonly msgKeys: readonly string[]
}

/** `user` pinned, unpinned or deleted the conversation (`clear`: and cleared its history view). */
export interface ConvStateRecord extends PairRecord {
  readonly t: 'conv'
  readonly user: string
  readonly pinned?: boolean
  readonly deleted?: boolean
  readonly clear?: boolean
}

/** Every record kind a shard log holds. */
export type ShardRecord = MsgRecord | RecallRecord | ReadRecord | ReceiptRecord | ConvStateRecord

/** A decoded log entry. */
export interface RecordEntry {
  readonly lsn: number
  readonly rec: ShardRecord
  /** The encoding of `rec.msg`, when the writer still holds it: the index splices it instead of encoding again. */
  readonly msgBytes?: Uint8Array
}

/** A page of a pair's history. */
export interface HistoryPage {
  /** Only messages with seq strictly below this (default: newest). */
  readonly beforeSeq?: number
  readonly limit: number
  /** Inclusive bounds in unix seconds (filters on the scan). */
  readonly minTime?: number
  readonly maxTime?: number
  /**
   * The user of the pair whose view is read: hides what they cleared (a delete with clear) and
   * messages they sent without keeping a copy. Absent: every stored message.
   */
  readonly viewer?: string
}

/** One shard's part of a checkpoint. */
export interface ShardBatch {
  readonly s: ShardRef
  readonly entries: readonly RecordEntry[]
}

export interface ConvIndex {
  checkpoint(batches: readonly ShardBatch[]): Promise<void>
  /** Highest LSN applied for the shard (the ShardLog's checkpoint). */
  checkpointLsn(s: ShardRef): Promise<number>
  /** Messages of the pair `{a, b}`, newest first, per the page (as `viewer` sees them, when given). */
  history(app: number, a: string, b: string, q: HistoryPage): Promise<StoredMessage[]>
  /** Events of `user`'s stream in shard `s` with seq > `after`, ascending, at most `limit`. */
  stream(s: ShardRef, user: string, after: number, limit: number): Promise<InboxEvent[]>
  /** The message of the pair with this MsgKey (as stored: recalled or read flags included), any viewer. */
  findByKey(app: number, a: string, b: string, msgKey: string): Promise<StoredMessage | undefined>
  /** `user`'s view of the conversation with `peer`; its `appliedLsn` is the last record applied to it. */
  conversation(app: number, user: string, peer: string): Promise<ConversationRecord | undefined>
  /** Every view of `user` (all shards), in no particular order. */
  conversations(app: number, user: string): Promise<ConversationRecord[]>
  /** The shards where `user` has a stream, each with its head (highest seq). */
  userShards(app: number, user: string): Promise<Record<number, number>>
  close(): Promise<void>
}

/** Re-exported for the shard's replay loop. */
export type { LogEntry }
