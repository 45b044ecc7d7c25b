/**
 * Socket frames: the client ↔ gateway union. Every op is documented in docs/protocol.md.
 * Frames are msgpack maps on binary WebSocket messages, or the same shape as JSON on text
 * messages (debug). `rid` is a client-chosen request id echoed in the response. The
 * requests are declared as schemas in sessionFrames.ts and groupFrames.ts.
 */
import type { GroupEvent, InboxEvent } from './events.js'
import type { GroupFrame } from './groupFrames.js'
import type { SessionFrame } from './sessionFrames.js'
import type { StoredMessage } from '../model/message.js'

/** Every request a client may send: the session and one-to-one ops, and the group ops. */
export type ClientFrame = SessionFrame | GroupFrame

export type ClientOp = ClientFrame['op']

/** Results of each request op, carried in `res.data`. */
/**
 * `shards`: every conversation shard where the user has a stream (docs/protocol.md, "Delivery").
 * `maxSendsInFlight`: sends this connection may have unanswered; more are refused with 9013.
 */
export interface LoginResult { userId: string; connId: string; shards: number[]; serverTime: number; maxSendsInFlight: number }
/** One page of the user's stream in shard `sh`. */
export interface SyncResult { sh: number; events: InboxEvent[]; upTo: number; more: boolean }
/** `inboxSeq`: the sender's own stream seq in shard `sh` (0 when the sender keeps no copy or it was a retry). */
export interface SendResult { msgKey: string; msgTime: number; seq: number; sh: number; inboxSeq: number }
export interface HistoryResult { messages: StoredMessage[]; complete: boolean }
export interface ConversationView {
  conv: string
  peer: string
  lastMsg?: StoredMessage
  lastTime: number
  unread: number
  readSeq: number
  pinned: boolean
}
export interface ConvsResult { conversations: ConversationView[]; totalUnread: number }

export type ServerFrame =
  | { op: 'res'; rid: number; ok: true; data?: unknown }
  | { op: 'res'; rid: number; ok: false; code: number; message: string }
  | { op: 'ev'; ev: InboxEvent }
  /** Group traffic (see GroupEvent); coalesced events of one room share a frame. */
  | { op: 'gev'; evs: GroupEvent[] }
  | { op: 'pong'; rid?: number; t: number }
  /** Sent just before the server closes the socket with `code`. */
  | { op: 'bye'; code: number; reason: string }

/**
 * WebSocket close codes. 4000–4099: terminal (do not reconnect without new credentials or
 * user action). 4100–4199: transient (reconnect with backoff and catch up).
 */
export const CloseCodes = {
  KICKED_OTHER_LOGIN: 4001,
  KICKED_BY_ADMIN: 4002,
  LOGIN_FAILED: 4003,
  LOGGED_OUT: 4004,
  PROTOCOL_VIOLATION: 4005,
  SLOW_CONSUMER: 4100,
  SHUTTING_DOWN: 4101,
  LOGIN_TIMEOUT: 4102,
  /** The user's session actor failed and restarted: reconnect to re-attach and catch up. */
  SESSION_RESTARTED: 4103,
  /** The connection went on sending while its sends were refused with 9013 (maxRefusedSends). */
  FLOODING: 4104,
} as const
