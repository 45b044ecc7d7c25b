/**
 * The conversation shard's protocol (docs/one-writer.md): every message a shard takes and the
 * reply each gets. `convShardActor(app, shard)` names a shard with this protocol.
 */
import type { ConnRef } from '../runtime/types.js'
import type { ActorRef, Call, CheckedProtocol, RequestOf } from '../runtime/protocol.js'
import type { C2CSendRequest } from '../../src/model/message.js'
import type { HistoryResult, SendResult, SyncResult } from '../../src/protocol/frames.js'
import type { ConversationRecord } from '../../src/store/MessageStore.js'

/** A send's answer, as the socket gets it (`SendResult`, src/protocol/frames.ts). */
export type ShardSendResult = SendResult

/** One page of a user's stream in one shard (`SyncResult`). */
export type ShardSyncResult = SyncResult

export type ConvShardProtocol = CheckedProtocol<{
  /**
   * A one-to-one send from `from` (validated by the door it came through). `conn`: the sending
   * device, which gets the answer and not the echo; `nowMs`: the door's clock. `startBy`
   * (wall-clock ms): a send the shard takes up later is refused TIMEOUT and changes nothing,
   * so an asker that gave up on it (its ask timed out) knows nothing was stored.
   */
  send: Call<{ kind: 'send'; from: string; req: C2CSendRequest; nowMs: number; conn?: ConnRef; startBy?: number }, ShardSendResult>
  /**
   * A server notice to `to` from SYSTEM_ACCOUNT (group system notices): stored in `to`'s
   * conversation with the system account, numbered by this shard like any message.
   */
  notice: Call<{ kind: 'notice'; to: string; req: C2CSendRequest; nowMs: number }, ShardSendResult>
  /** `user`'s events in this shard with seq above `after`, at most `limit`. */
  sync: Call<{ kind: 'sync'; user: string; after: number; limit: number }, ShardSyncResult>
  /**
   * `user` recalls `msgKey` of the conversation with `peer`: as 'sender' only their own message
   * within the app's window (20016, 20017); as 'admin' any message. MSG_NOT_FOUND when absent.
   */
  recall: Call<{ kind: 'recall'; user: string; peer: string; msgKey: string; as: 'sender' | 'admin' }, void>
  /** `user` read the conversation with `peer` up to `seq` (default all); the peer learns the read time. */
  read: Call<{ kind: 'read'; user: string; peer: string; seq?: number }, { readTime: number }>
  /** Read receipts from `user` for these messages `peer` sent. */
  receipt: Call<{ kind: 'receipt'; user: string; peer: string; msgKeys: string[] }, void>
  pin: Call<{ kind: 'pin'; user: string; peer: string; pinned: boolean }, void>
  deleteConv: Call<{ kind: 'deleteConv'; user: string; peer: string; clearHistory: boolean }, void>
  /** `user`'s view of the conversation's history (newest first), with peer-read flags. */
  history: Call<{ kind: 'history'; user: string; peer: string; before?: number; limit: number; minTime?: number; maxTime?: number }, HistoryResult>
  /** `user`'s view of the conversation with `peer` (undefined: never had one). */
  view: Call<{ kind: 'view'; user: string; peer: string }, ConversationRecord | undefined>
  /** Every view of `user` in this shard (the conversation list is the union over the user's shards). */
  views: Call<{ kind: 'views'; user: string }, ConversationRecord[]>
  /** The shards where `user` has a stream (any shard answers: the listing is per user, ShardLog.shardsOf). */
  shardsOf: Call<{ kind: 'shardsOf'; user: string }, number[]>
}>

export type ConvShardRequest<K extends keyof ConvShardProtocol & string> = RequestOf<ConvShardProtocol, K>

export function convShardActor(app: number, shard: number): ActorRef<ConvShardProtocol> {
  return { kind: 'convs', app, key: String(shard) }
}
