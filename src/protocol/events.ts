/**
 * Events in a user's inbox: the ordered stream every device of the user replays. Each stored
 * event has a per-user `seq` (1, 2, 3, … with no gaps); a device's catch-up cursor is the
 * highest seq it has applied. Online-only messages are pushed with `seq: 0` and never stored.
 */
import type { GroupMessage } from '../model/group.js'
import type { StoredMessage } from '../model/message.js'

/** Conversation id in one user's view: `c2c:<peerUserId>` (groups later: `group:<GroupId>`). */
export type ConvId = string

export function c2cConv(peer: string): ConvId {
  return `c2c:${peer}`
}

/**
 * `sh`, on every kind: the conversation shard whose stream numbers `seq` (docs/one-writer.md);
 * absent on events of the single per-user inbox.
 */
export type InboxEvent = ShardedEvent & (
  /** A message in conversation `conv` (incoming, or sent by this user from any device). */
  | { type: 'msg'; seq: number; conv: ConvId; msg: StoredMessage; expireAt?: number }
  /** The message `msgKey` (at `convSeq`) was recalled; history now flags it 8. */
  | { type: 'recall'; seq: number; conv: ConvId; msgKey: string; convSeq: number }
  /** This user read `conv` up to `readSeq` on some device; unread there is now 0. */
  | { type: 'read'; seq: number; conv: ConvId; readSeq: number }
  /** The peer read this user's messages: the listed keys, or everything up to `upToTime`. */
  | { type: 'peerRead'; seq: number; conv: ConvId; msgKeys?: string[]; upToTime?: number }
  /** The conversation was pinned, unpinned or deleted on some device. */
  | { type: 'conv'; seq: number; conv: ConvId; pinned?: boolean; deleted?: boolean }
)

interface ShardedEvent { sh?: number }

export type InboxEventType = InboxEvent['type']

/**
 * Group traffic pushed to the online devices of a group's members, outside the user's
 * inbox stream (frame `{ op: 'gev', evs: GroupEvent[] }`; several events may share a frame
 * when the server coalesces a busy room). Stored group messages carry the group's `seq`
 * (1, 2, 3, … per group): a device that sees a gap, or reconnects, fetches what it missed
 * with `groupHistory`. Online-only messages and rooms that keep no history (AVChatRoom,
 * BChatRoom) push `seq: 0` and are never caught up.
 */
export type GroupEvent =
  /**
   * A group message, the sender's own included; also a group tip (`msg.from` `@TIM#SYSTEM`,
   * one TIMGroupTipElem). `to`: a targeted message (seq 0, never stored) — only the sockets
   * of these members and of the sender get it; the receiving thread delivers it to them
   * directly, never to the group's topic.
   */
  | { type: 'groupMsg'; groupId: string; msg: GroupMessage; to?: string[] }
  /** The stored message `seq` was recalled: history now shows it with flags 8 and no content. */
  | { type: 'groupRecall'; groupId: string; seq: number }
  /**
   * `accounts` left the group (quit, kicked, or the group was destroyed). The last group
   * event their devices get: the server unsubscribes them right after it.
   */
  | { type: 'groupLeave'; groupId: string; accounts: string[] }
