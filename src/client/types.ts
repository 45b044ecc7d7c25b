/**
 * Public types of the SDK: options, connection states and event payloads. Wire types come
 * from src/protocol (types only, so the browser bundle pulls no server code).
 */
import type { ConvId } from '../protocol/events.js'
import type { Platform } from '../model/platform.js'
import type { SendPayload } from '../protocol/sessionFrames.js'
import type { StoredMessage } from '../model/message.js'
import type { GroupMessage } from '../model/group.js'
import type { ParleyClientError } from './errors.js'
import type { BackoffOptions } from './reconnect.js'
import type { Encoding, WebSocketConstructor } from './transport.js'
import type { SendResult } from './wire.js'

/**
 * The stored cursor (version 2): the highest stream seq surfaced per conversation shard,
 * keyed by the shard's decimal number (`{v: 2, shards: {"7": 12, "40": 3}}`); shards at 0
 * are left out. Version 1 was a bare number, one inbox seq per user.
 */
export interface StoredShardCursor {
  v: 2
  shards: Record<string, number>
}

/**
 * Persists the cursor across app restarts. `load` is called once, on the first `connect()`;
 * it returns the record last saved, or undefined. A number (a version-1 cursor, saved by an
 * SDK of the single-inbox wire) is read as no cursor and reported as CURSOR_RESET (9509):
 * the catch-up replays what the server holds. `save` is called after each batch of surfaced
 * events that moved the cursor (events are emitted before the save, so a crash in between
 * replays them: at-least-once across restarts).
 */
export interface CursorStore {
  load(): StoredShardCursor | number | undefined | Promise<StoredShardCursor | number | undefined>
  save(cursor: StoredShardCursor): void | Promise<void>
}

export interface ParleyClientOptions {
  /**
   * WebSocket URL of the gateway, path `/ws`: `ws://host:8080/ws` or `wss://…/ws`. Several
   * URLs (the nodes of a cluster): the first connection uses the first, and every later
   * attempt moves to the next one, round robin, so a client whose node went away reconnects
   * to another.
   */
  url: string | readonly string[]
  sdkAppId: number
  userId: string
  /** A fixed UserSig. Give this or `getUserSig`. */
  userSig?: string
  /** Called before every connection attempt (so an expiring UserSig can be refreshed). */
  getUserSig?: () => string | Promise<string>
  /** Default 'Web'. With the `perPlatform` multi-login policy a newer login on the same platform kicks this one. */
  platform?: Platform
  /** WebSocket class when there is no global one (Node 20: `import { WebSocket } from 'ws'`). */
  WebSocketImpl?: WebSocketConstructor
  /** 'msgpack' (default, binary frames) or 'json' (text frames, for debugging). */
  encoding?: Encoding
  /** Backoff of automatic reconnects (defaults 500 ms … 30 s), or false: stay offline until `connect()`. */
  reconnect?: Partial<BackoffOptions> | false
  /** Interval of the `ping` op while logged in, ms. Default 30,000 (the server closes sockets silent for 120 s). */
  pingIntervalMs?: number
  /** Deadline of each request, from the call until its response, time offline included, ms. Default 15,000. */
  requestTimeoutMs?: number
  /** The server's maxFrameBytes; larger frames fail locally with 9003. Default 65,536. */
  maxFrameBytes?: number
  /** Events per sync page (1..100). Default 100. */
  syncPageSize?: number
  /** Message keys remembered for dedupe. Default 10,000. */
  dedupeCapacity?: number
  /** Out-of-order live events held while a gap is fetched. Default 1,000. */
  maxBufferedEvents?: number
  cursorStore?: CursorStore
}

/**
 * - `idle`: constructed, `connect()` not called.
 * - `connecting`: opening a socket, logging in, or catching up (sync) — requests queue.
 * - `online`: logged in and caught up; live events flow.
 * - `offline`: the connection dropped; a reconnect is scheduled (unless `reconnect: false`) — requests queue.
 * - `kicked`: terminal; the server ended the session with 4001/4002/4003 (see the `kicked` event).
 * - `closed`: terminal; `close()`, `logout()`, or another terminal close (4004, 4005).
 * From `kicked` and `closed`, `connect()` starts a new session (same cursor).
 */
export type ConnectionState = 'idle' | 'connecting' | 'online' | 'offline' | 'kicked' | 'closed'

/** A sender-side option of `send` (every field of the `send` op except `to`, `body` and `rid`). */
export type SendOptions = Omit<SendPayload, 'to' | 'body'>

/** What `send` resolves with: the server's result and the message as stored in this user's view. */
export interface SentMessage extends SendResult {
  message: StoredMessage
}

interface ConvRef {
  /** `c2c:<peer>`. */
  conv: ConvId
  /** The conversation id without its `c2c:` prefix: the other user. */
  peer: string
  /** The event's seq in this user's stream of its conversation shard (0 for online-only messages). */
  inboxSeq: number
}

/** A message new to this client: incoming, or sent by this user from another device (or before a restart). */
export interface NewMessageEvent extends ConvRef {
  message: StoredMessage
  /** Pushed to online devices only, never stored (inboxSeq 0, message.seq 0). */
  onlineOnly: boolean
  /** Unix seconds after which the server stops offering it to devices that were offline. */
  expireAt?: number
}

export interface RecallEvent extends ConvRef { msgKey: string; convSeq: number }
/** This user read `peer`'s conversation up to `readSeq` (on any device, this one included). */
export interface ReadEvent extends ConvRef { readSeq: number }
/** The peer read this user's messages: the listed keys (receipts), or all sent up to `upToTime` (unix s). */
export interface PeerReadEvent extends ConvRef { msgKeys?: string[]; upToTime?: number }
/** The conversation was pinned/unpinned or deleted on some device. */
export interface ConversationEvent extends ConvRef { pinned?: boolean; deleted?: boolean }
/** A group message new to this device (see `groupMessage`). */
export interface GroupMessageEvent {
  groupId: string
  /**
   * `message.seq` is the group's seq; 0 for online-only and targeted messages and rooms without
   * history. A tip has `from` `@TIM#SYSTEM` and one TIMGroupTipElem; `message.atAccounts`
   * lists mentions (this user's ID, or `@ALL`, means this user is mentioned).
   */
  message: GroupMessage
  /** A targeted message: the members it was sent to (only they and the sender got it). */
  to?: string[]
}
/** The group message at `seq` was recalled (history now shows it with flags 8 and no content). */
export interface GroupRecallEvent {
  groupId: string
  seq: number
}
export interface StateEvent { state: ConnectionState; previous: ConnectionState }
/** The server ended the session: `code` 4001 (newer login), 4002 (kicked/account deleted) or 4003 (login refused, `error` says why). */
export interface KickedEvent { code: number; reason: string; error?: ParleyClientError }

export interface ParleyClientEvents {
  /**
   * Each stored message once per msgKey, in stream order per conversation shard (hence in seq
   * order per conversation; no order across shards). Not for this client's own sends.
   */
  message: NewMessageEvent
  recall: RecallEvent
  read: ReadEvent
  peerRead: PeerReadEvent
  conversation: ConversationEvent
  state: StateEvent
  kicked: KickedEvent
  /**
   * A catch-up finished: the login's (every shard of the user) or a later re-sync of one
   * shard (a gap, or a shard first seen live). `cursor` is the whole cursor, as `cursor`
   * returns it: every event of shard `sh` up to `cursor[sh]` has been surfaced.
   */
  synced: { cursor: Record<number, number> }
  /**
   * Each stored group message once per device, in seq order per group, from the group's start
   * on this device (the newest message when the device first learns of the group: no history
   * is replayed); online-only ones (seq 0) as pushed. Not this device's own group sends.
   * Group delivery (pushes, catch-up at each login) runs only while this event has a listener.
   */
  groupMessage: GroupMessageEvent
  /** A group message was recalled; live only (see GroupRecallEvent). */
  groupRecall: GroupRecallEvent
  /** A login's group catch-up finished: each of the `groups` joined groups got what it missed. */
  groupsSynced: { groups: number }
  /** A failure not tied to a request the app awaits (bad server frame, unaddressed error response, failed cursor save, …). */
  error: ParleyClientError
}
