/**
 * The UserSession protocol: every message a user's session takes and the reply each gets,
 * in one place. `userActor(app, userId)` names a session with this protocol, so an `ask`
 * to it is typed by the request's kind, and the session's handler table (UserSession.ts) is
 * checked against the same map.
 */
import type { ConnRef } from '../runtime/types.js'
import type { ActorRef, Call, CheckedProtocol, MessageOf, RequestOf } from '../runtime/protocol.js'
import type { Platform } from '../../src/model/platform.js'

/** The attach reply: the conversation shards where the user has a stream (docs/protocol.md, "Delivery"). */
export interface AttachResult { shards: number[] }

export interface StatusResult { online: boolean; devices: { platform: Platform; since: number }[] }

export type UserProtocol = CheckedProtocol<{
  attach: Call<{ kind: 'attach'; conn: ConnRef; platform: Platform; sigTime: number }, AttachResult>
  detach: Call<{ kind: 'detach'; conn: ConnRef }, void>
  /** (Un)subscribes every device of this user to group topics (sent by a group on joins and leaves). */
  topics: Call<{ kind: 'topics'; topics: string[]; on: boolean }, void>
  kick: Call<{ kind: 'kick' }, void>
  status: Call<{ kind: 'status' }, StatusResult>
  importAccount: Call<{ kind: 'importAccount'; nick?: string; faceUrl?: string }, void>
  deleteAccount: Call<{ kind: 'deleteAccount' }, { existed: boolean }>
  checkAccount: Call<{ kind: 'checkAccount' }, { imported: boolean }>
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
