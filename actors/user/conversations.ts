/**
 * Pure helpers over one user's conversation records. Sequence numbers only grow: deleting
 * a conversation or clearing its history keeps `lastSeq`, so a seq is never reused.
 */
import type { ConversationView } from '../../src/protocol/frames.js'
import type { StoredMessage } from '../../src/model/message.js'
import type { ConversationRecord } from '../../src/store/MessageStore.js'

export { emptyConversation, withMessage } from '../../src/store/conversationRecords.js'

export function peerOf(conv: string): string {
  return conv.slice(conv.indexOf(':') + 1)
}

/** Whether the peer has read `msg` (sent by the owner) per receipts or the read report. */
export function isPeerRead(rec: ConversationRecord | undefined, msg: StoredMessage, owner: string): boolean {
  if (msg.from !== owner) return false
  return msg.peerRead === true || (rec?.peerReadTime !== undefined && msg.time <= rec.peerReadTime)
}

export function toView(rec: ConversationRecord, owner: string): ConversationView {
  const lastMsg = rec.lastMsg && { ...rec.lastMsg, peerRead: isPeerRead(rec, rec.lastMsg, owner) }
  return {
    conv: rec.conv, peer: peerOf(rec.conv), lastMsg, lastTime: rec.lastTime,
    unread: rec.unread, readSeq: rec.readSeq, pinned: rec.pinned,
  }
}

/** Visible conversations: pinned first, then newest activity first. */
export function sortedViews(recs: Iterable<ConversationRecord>, owner: string): ConversationView[] {
  return [...recs]
    .filter((r) => !r.deleted)
    .sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.lastTime - a.lastTime || (a.conv < b.conv ? -1 : 1))
    .map((r) => toView(r, owner))
}

/** A recalled copy: flag 8 and the content purged (docs/tencent-compat.md §2.5 admin_msgwithdraw). */
export function recalled(msg: StoredMessage): StoredMessage {
  return { ...msg, flags: 8, body: [], cloudCustomData: undefined }
}
