/**
 * Pure updates of one user's conversation record, shared by the writers of that record (the
 * user's session today; the conversation shard's index checkpoint, src/store/lmdb/LmdbConvIndex.ts).
 * Sequence numbers only grow: deleting a conversation or clearing its history keeps `lastSeq`.
 */
import type { StoredMessage } from '../model/message.js'
import type { ConversationRecord } from './MessageStore.js'

export function emptyConversation(conv: string): ConversationRecord {
  return { conv, lastSeq: 0, lastTime: 0, unread: 0, readSeq: 0, pinned: false, deleted: false }
}

/**
 * The record after a new message at `msg.seq` lands in it. Seqs assigned by the pair's
 * sequencer may arrive out of order, so `lastSeq`/`lastMsg` follow the highest seq.
 */
export function withMessage(
  rec: ConversationRecord, msg: StoredMessage, o: { incoming: boolean; noUnread: boolean; noLastMsg: boolean },
): ConversationRecord {
  const newest = msg.seq > rec.lastSeq
  return {
    ...rec,
    lastSeq: Math.max(rec.lastSeq, msg.seq),
    lastTime: Math.max(rec.lastTime, msg.time),
    lastMsg: o.noLastMsg || !newest ? rec.lastMsg : msg,
    unread: o.incoming && !o.noUnread ? rec.unread + 1 : rec.unread,
    readSeq: o.incoming ? rec.readSeq : Math.max(rec.readSeq, msg.seq),
    deleted: false,
  }
}
