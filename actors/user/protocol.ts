/**
 * The UserSession protocol: every message a user's session takes and the reply each gets,
 * in one place. `userActor(app, userId)` names a session with this protocol, so an `ask`
 * to it is typed by the request's kind, and the session's handler table (UserSession.ts) is
 * checked against the same map.
 */
import type { ConnRef } from '../runtime/types.js'
import type { ActorRef, Call, CheckedProtocol, MessageOf, RequestOf } from '../runtime/protocol.js'
import type { ConvsResult, HistoryResult, SyncResult } from '../../src/protocol/frames.js'
import type { Platform } from '../../src/model/platform.js'
import type { StoredMessage } from '../../src/model/message.js'

/** A message as it travels between sessions: everything but the per-view fields. */
export type MessageDraft = Omit<StoredMessage, 'seq' | 'flags' | 'peerRead'>

export interface DeliveryOptions {
  onlineOnly: boolean
  noUnread: boolean
  noLastMsg: boolean
  /** Offline retention, seconds; absent = kept until read from the inbox. */
  lifeTime?: number
}

/** The attach reply: the user's inbox head. */
export interface AttachResult { inboxSeq: number }

/**
 * Reply of deliver / recordSent: the canonical message identity and its seq in this view.
 * `recalled`: a duplicate whose stored copy was recalled since; the pair's other view must
 * not be given the message (src/services/c2c.ts).
 */
export interface DeliverResult { msgKey: string; time: number; seq: number; inboxSeq: number; duplicate: boolean; recalled?: boolean }

export interface StatusResult { online: boolean; devices: { platform: Platform; since: number }[] }

export interface UnreadResult { total: number; peers: { peer: string; unread: number }[] }

export type UserProtocol = CheckedProtocol<{
  attach: Call<{ kind: 'attach'; conn: ConnRef; platform: Platform; sigTime: number }, AttachResult>
  detach: Call<{ kind: 'detach'; conn: ConnRef }, void>
  /** (Un)subscribes every device of this user to group topics (sent by a group on joins and leaves). */
  topics: Call<{ kind: 'topics'; topics: string[]; on: boolean }, void>
  /**
   * Store a message in this user's view: `deliver` as the receiver, `recordSent` as the
   * sender. `seq` absent: this session sequences the conversation and assigns lastSeq+1;
   * present: the pair's sequencer (see src/services/c2c.ts) already assigned it.
   * `startBy` (wall-clock ms): if the session takes the request up later, it refuses it with
   * TIMEOUT and changes nothing, as its asker has given up or is about to.
   */
  deliver: Call<{ kind: 'deliver'; msg: MessageDraft; opts: DeliveryOptions; seq?: number; startBy?: number }, DeliverResult>
  /**
   * recordSent with `reserveOnly`: the sequencer assigns and durably reserves the next seq
   * (the conversation's lastSeq) without keeping a copy (SyncOtherMachine = 2).
   */
  recordSent: Call<{ kind: 'recordSent'; msg: MessageDraft; opts: DeliveryOptions; seq?: number; reserveOnly?: boolean; startBy?: number }, DeliverResult>
  sync: Call<{ kind: 'sync'; after: number; limit: number }, SyncResult>
  history: Call<{ kind: 'history'; peer: string; before?: number; limit: number; minTime?: number; maxTime?: number }, HistoryResult>
  /**
   * `as`: 'sender' — this user recalls their own message, within the app's window;
   * 'peer' — apply the peer's already-checked recall to this view; 'admin' — any message.
   */
  recall: Call<{ kind: 'recall'; peer: string; msgKey: string; as: 'sender' | 'peer' | 'admin' }, { found: boolean }>
  read: Call<{ kind: 'read'; peer: string; seq?: number }, { readTime: number }>
  peerRead: Call<{ kind: 'peerRead'; peer: string; upToTime?: number; msgKeys?: string[] }, void>
  convs: Call<{ kind: 'convs' }, ConvsResult>
  pin: Call<{ kind: 'pin'; peer: string; pinned: boolean }, void>
  deleteConv: Call<{ kind: 'deleteConv'; peer: string; clearHistory: boolean }, void>
  kick: Call<{ kind: 'kick' }, void>
  status: Call<{ kind: 'status' }, StatusResult>
  importAccount: Call<{ kind: 'importAccount'; nick?: string; faceUrl?: string }, void>
  deleteAccount: Call<{ kind: 'deleteAccount' }, { existed: boolean }>
  checkAccount: Call<{ kind: 'checkAccount' }, { imported: boolean }>
  unread: Call<{ kind: 'unread'; peers?: string[] }, UnreadResult>
  /** A conversation shard's event for this user: sent as it is to every device but `except` (the sending one). */
  pushFrame: Call<{ kind: 'pushFrame'; frame: Uint8Array; except?: ConnRef }, void>
}>

export type UserSessionMsg = MessageOf<UserProtocol>

/** The UserSession request of kind `K`, as its handler gets it. */
export type UserRequest<K extends keyof UserProtocol & string> = RequestOf<UserProtocol, K>

/** The session of `userId` in app `app`. */
export function userActor(app: number, userId: string): ActorRef<UserProtocol> {
  return { kind: 'user', app, key: userId }
}
