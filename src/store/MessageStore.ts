/**
 * MessageStore: each user's inbox (the event stream devices replay), their view of every
 * one-to-one conversation (history, MsgKey index, MsgRandom dedupe) and their conversation
 * list. One implementation per backend (LmdbMessageStore, later CassandraMessageStore); the
 * conformance suite in test/store/messageStoreConformance.ts runs against each.
 *
 * Ownership: every key belongs to one owner (app, user). Only that user's session actor
 * writes it, so implementations need no cross-writer locking; callers assign sequence numbers.
 */
import type { ConvId, InboxEvent } from '../protocol/events.js'
import type { StoredMessage } from '../model/message.js'

export interface UserRef {
  readonly app: number
  readonly user: string
}

/** One entry of a user's conversation list. */
export interface ConversationRecord {
  conv: ConvId
  /** Highest message seq in this user's view of the conversation (0 when empty). */
  lastSeq: number
  /** The newest message shown in the list (absent after `noLastMsg` sends or a clear). */
  lastMsg?: StoredMessage
  /** Unix seconds of the last activity; the list is ordered by it, newest first. */
  lastTime: number
  unread: number
  /** Highest seq this user has read. */
  readSeq: number
  pinned: boolean
  /** Hidden from the list until the next message arrives. */
  deleted: boolean
  /** History at or below this seq is hidden from this user (a delete that cleared it; one-writer indexes). */
  clearedSeq?: number
  /**
   * One-writer indexes: the LSN of the last shard record applied to this view (a view belongs
   * to one shard), so a reader folding records not yet checkpointed skips those it already holds.
   */
  appliedLsn?: number
  /**
   * Unix seconds up to which the peer has read this user's messages (C2C read report);
   * a message sent by this user is "peer read" when its time is at or below it.
   */
  peerReadTime?: number
}

/** Dedupe record for (peer, MsgRandom). */
export interface DedupeRecord {
  msgKey: string
  /** Unix seconds when first seen; entries older than the dedupe window are ignored. */
  time: number
  /**
   * Written by the view that sequences the conversation: the seq it stored (or, when the
   * sender keeps no copy, reserved) the message at, and the message's time. A retry is
   * answered with them when that view no longer holds the copy (cleared, or never kept).
   */
  first?: { seq: number; msgTime: number }
}

/**
 * The writes of one actor step. `commit` applies all of them atomically and resolves only
 * once they are durable (fsynced for LMDB; written at the configured consistency for
 * Cassandra). A rejected commit has applied nothing.
 */
export interface UserCommit {
  /** Appended in order; each `seq` must be exactly one above the previous stored seq. */
  inbox?: InboxEvent[]
  /** Upserted by (conv, msg.seq); also indexes (conv, msg.msgKey) → seq. */
  messages?: { conv: ConvId; msg: StoredMessage }[]
  /** Upserted by conv. */
  conversations?: ConversationRecord[]
  /** Upserted by (conv, random). */
  dedupe?: { conv: ConvId; random: number; record: DedupeRecord }[]
  /** Removes all messages of these conversations from this user's view (not the inbox). */
  clearHistory?: ConvId[]
}

export interface HistoryQuery {
  /** Only messages with seq strictly below this (default: newest). */
  beforeSeq?: number
  /** Inclusive bounds in unix seconds. */
  minTime?: number
  maxTime?: number
  limit: number
}

export interface MessageStore {
  commit(owner: UserRef, c: UserCommit): Promise<void>

  /**
   * Highest inbox seq stored for the owner; 0 when none. Also the activation barrier: once it
   * resolves, every commit decided before the call is fully readable (Cassandra completes a
   * decided-but-unapplied commit here), so an actor calls it before its other reads.
   */
  lastInboxSeq(owner: UserRef): Promise<number>
  /** Events with seq > afterSeq in ascending order, at most `limit`. Cost is O(limit). */
  readInbox(owner: UserRef, afterSeq: number, limit: number): Promise<InboxEvent[]>

  /** Messages of one conversation, newest first, per the query. */
  readHistory(owner: UserRef, conv: ConvId, q: HistoryQuery): Promise<StoredMessage[]>
  getMessage(owner: UserRef, conv: ConvId, seq: number): Promise<StoredMessage | undefined>
  /**
   * Finds a message by its MsgKey within one conversation. Keys are unique per conversation,
   * not per owner: a batch send gives every target's copy the same MsgKey.
   */
  findByKey(owner: UserRef, conv: ConvId, msgKey: string): Promise<StoredMessage | undefined>
  getDedupe(owner: UserRef, conv: ConvId, random: number): Promise<DedupeRecord | undefined>

  getConversation(owner: UserRef, conv: ConvId): Promise<ConversationRecord | undefined>
  /** All conversation records of the owner (including deleted ones), in no particular order. */
  listConversations(owner: UserRef): Promise<ConversationRecord[]>

  close(): Promise<void>
}
