/**
 * What a shard record means for each user of its pair: the stream event it produces (the one
 * definition used by the index when it checkpoints a record and by the shard when it pushes
 * the record or serves it before its checkpoint, so a device sees the same event either way),
 * and how it changes that user's conversation view (the one fold used by the index and by the
 * shard when it needs a view that includes records not yet checkpointed).
 */
import type { StoredMessage } from '../model/message.js'
import { c2cConv, type InboxEvent } from '../protocol/events.js'
import type { ShardRecord } from './ConvIndex.js'
import { emptyConversation, withMessage } from './conversationRecords.js'
import type { ConversationRecord } from './MessageStore.js'

export interface UserEvent {
  readonly user: string
  readonly peer: string
  readonly ev: InboxEvent
}

/** The users of `rec`'s pair with their peer and stream seq (one entry for a conversation with oneself). */
function sides(rec: ShardRecord): [user: string, peer: string, seq: number][] {
  return rec.a === rec.b ? [[rec.a, rec.a, rec.sa]] : [[rec.a, rec.b, rec.sa], [rec.b, rec.a, rec.sb]]
}

/** The events of `rec` in shard `sh`, at most one per user. */
export function userEventsOf(rec: ShardRecord, sh: number): UserEvent[] {
  const out: UserEvent[] = []
  for (const [user, peer, seq] of sides(rec)) {
    if (seq === 0) continue
    const ev = eventFor(rec, user, peer, seq, sh)
    if (ev) out.push({ user, peer, ev })
  }
  return out
}

function eventFor(rec: ShardRecord, user: string, peer: string, seq: number, sh: number): InboxEvent | undefined {
  const conv = c2cConv(peer)
  switch (rec.t) {
    case 'msg':
      return { type: 'msg', seq, conv, msg: rec.msg, ...(rec.expireAt !== undefined ? { expireAt: rec.expireAt } : {}), sh }
    case 'recall':
      return { type: 'recall', seq, conv, msgKey: rec.msgKey, convSeq: rec.seq, sh }
    case 'read':
      return user === rec.reader
        ? { type: 'read', seq, conv, readSeq: rec.readSeq, sh }
        : { type: 'peerRead', seq, conv, upToTime: rec.readTime, sh }
    case 'receipt':
      return user === rec.reader ? undefined : { type: 'peerRead', seq, conv, msgKeys: [...rec.msgKeys], sh }
    case 'conv':
      return user !== rec.user ? undefined : {
        type: 'conv', seq, conv, sh,
        ...(rec.pinned !== undefined ? { pinned: rec.pinned } : {}),
        ...(rec.deleted ? { deleted: true } : {}),
      }
  }
}

/** `user`'s view after `rec` (the view `undefined` when the user never had one). */
export function viewAfter(view: ConversationRecord | undefined, user: string, rec: ShardRecord): ConversationRecord {
  const peer = rec.a === user ? rec.b : rec.a
  const v = view ?? emptyConversation(c2cConv(peer))
  const seq = user === rec.a ? rec.sa : rec.sb
  switch (rec.t) {
    case 'msg':
      if (seq === 0) return v
      return withMessage(v, rec.msg, { incoming: rec.msg.from !== user, noUnread: rec.noUnread === true, noLastMsg: rec.noLastMsg === true })
    case 'recall': {
      const unreadDrop = user !== rec.from && rec.seq > v.readSeq && v.unread > 0 ? 1 : 0
      return {
        ...v, unread: v.unread - unreadDrop,
        ...(v.lastMsg?.msgKey === rec.msgKey ? { lastMsg: recalledCopy(v.lastMsg) } : {}),
      }
    }
    case 'read':
      if (user === rec.reader) return { ...v, readSeq: Math.max(v.readSeq, rec.readSeq), unread: rec.unread }
      return rec.readTime > (v.peerReadTime ?? -1) ? { ...v, peerReadTime: rec.readTime } : v
    case 'receipt':
      return v
    case 'conv': {
      if (user !== rec.user) return v
      if (rec.deleted) {
        return {
          ...v, deleted: true, unread: 0, readSeq: v.lastSeq, pinned: false,
          ...(rec.clear ? { lastMsg: undefined, clearedSeq: v.lastSeq } : {}),
        }
      }
      return rec.pinned !== undefined ? { ...v, pinned: rec.pinned } : v
    }
  }
}

/** A recalled copy: flag 8 and the content purged (docs/tencent-compat.md §2.5 admin_msgwithdraw). */
export function recalledCopy(msg: StoredMessage): StoredMessage {
  return { ...msg, flags: 8, body: [], cloudCustomData: undefined }
}
