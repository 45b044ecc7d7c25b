/**
 * One-to-one coordination, shared by the socket gateway and the REST API: every operation on a
 * conversation is one ask to the conversation's shard (docs/one-writer.md), its one writer,
 * which answers after its one durable append and pushes the events itself. Reads that span the
 * user's conversations (the list, unread counts) ask each shard where the user has a stream.
 */
import { convShardActor, type ShardSendResult, type ShardSyncResult } from '../../actors/conv/protocol.js'
import { convShard, DEFAULT_CONV_SHARDS } from '../../actors/conv/shardOfPair.js'
import { sortedViews } from '../../actors/user/conversations.js'
import type { ConnRef, Router } from '../../actors/runtime/types.js'
import { DEFAULT_ASK_TIMEOUT_MS } from '../../actors/runtime/MeshRouter.js'
import { mapLimit } from '../core/mapLimit.js'
import type { C2CSendRequest } from '../model/message.js'
import type { ConvsResult, HistoryResult } from '../protocol/frames.js'
import type { ConversationRecord } from '../store/MessageStore.js'

const shards = DEFAULT_CONV_SHARDS

function shardOf(app: number, x: string, y: string) {
  return convShardActor(app, convShard(app, x, y, shards))
}

/**
 * How long a send may wait in the shard's mailbox before the shard refuses it unstarted (half
 * the ask timeout): a send answered TIMEOUT by the router was then either refused unstarted
 * or is being completed within the other half.
 */
const START_WITHIN_MS = DEFAULT_ASK_TIMEOUT_MS / 2

/**
 * For asks that may be handled twice without harm (a send is answered from its first copy; a
 * read changes nothing): sent again by the new membership snapshot if the node they went to
 * fails before answering, instead of failing with TIMEOUT (MeshRouter, resendIfNodeLeaves). A
 * resent send keeps its `startBy`, which matches the ask's deadline, shared by both copies.
 */
const SAFE_TO_REPEAT = { resendIfNodeLeaves: true } as const

/**
 * Sends `req` from `from`; resolves once it is durable, with the first copy's identity (a retry
 * gets the first). A retryable refusal stored and delivered nothing: BUSY is refused before the
 * shard's mailbox takes it, TIMEOUT by the shard if it could not start in time. (A TIMEOUT of an
 * ask whose send did start may still store it: a retry with the same MsgRandom is then answered
 * with that copy.)
 */
export function sendC2C(router: Router, app: number, from: string, req: C2CSendRequest, nowMs: number, conn?: ConnRef): Promise<ShardSendResult> {
  return router.ask(shardOf(app, from, req.to), { kind: 'send', from, req, nowMs, startBy: Date.now() + START_WITHIN_MS, ...(conn ? { conn } : {}) }, SAFE_TO_REPEAT)
}

/** A server notice to `to` in its conversation with SYSTEM_ACCOUNT. */
export function sendNotice(router: Router, app: number, to: string, req: C2CSendRequest, nowMs: number): Promise<ShardSendResult> {
  return router.ask(shardOf(app, to, '@TIM#SYSTEM'), { kind: 'notice', to, req, nowMs })
}

/**
 * Recalls `msgKey` between `user` and `peer`. As a user: only their own message, within the
 * app's window (20016). As an admin (REST admin_msgwithdraw): any age, sent by either.
 */
export function recallC2C(router: Router, app: number, user: string, peer: string, msgKey: string, asAdmin: boolean): Promise<void> {
  return router.ask(shardOf(app, user, peer), { kind: 'recall', user, peer, msgKey, as: asAdmin ? 'admin' : 'sender' })
}

/** `user` read the conversation with `peer` up to `seq` (default all); the peer learns it. */
export async function readC2C(router: Router, app: number, user: string, peer: string, seq?: number): Promise<void> {
  await router.ask(shardOf(app, user, peer), { kind: 'read', user, peer, ...(seq !== undefined ? { seq } : {}) })
}

/** Per-message read receipts from `user` for messages `peer` sent. */
export function receiptC2C(router: Router, app: number, user: string, peer: string, msgKeys: string[]): Promise<void> {
  return router.ask(shardOf(app, user, peer), { kind: 'receipt', user, peer, msgKeys })
}

export function pinC2C(router: Router, app: number, user: string, peer: string, pinned: boolean): Promise<void> {
  return router.ask(shardOf(app, user, peer), { kind: 'pin', user, peer, pinned })
}

export function deleteC2C(router: Router, app: number, user: string, peer: string, clearHistory: boolean): Promise<void> {
  return router.ask(shardOf(app, user, peer), { kind: 'deleteConv', user, peer, clearHistory })
}

export interface HistoryQuery { before?: number; limit: number; minTime?: number; maxTime?: number }

/** `user`'s history with `peer`, newest first. */
export function historyC2C(router: Router, app: number, user: string, peer: string, q: HistoryQuery): Promise<HistoryResult> {
  return router.ask(shardOf(app, user, peer), { kind: 'history', user, peer, ...q }, SAFE_TO_REPEAT)
}

/** One page of `user`'s stream in shard `sh`. */
export function syncShard(router: Router, app: number, user: string, sh: number, after: number, limit: number): Promise<ShardSyncResult> {
  return router.ask(convShardActor(app, sh), { kind: 'sync', user, after, limit }, SAFE_TO_REPEAT)
}

/** The shards where `user` has a stream (exact). */
export function shardsOfUser(router: Router, app: number, user: string): Promise<number[]> {
  return router.ask(convShardActor(app, 0), { kind: 'shardsOf', user }, SAFE_TO_REPEAT)
}

/** Every one-to-one view of `user`, from each shard where the user has a stream. */
export async function viewsOfUser(router: Router, app: number, user: string): Promise<ConversationRecord[]> {
  const list = await shardsOfUser(router, app, user)
  const parts = await mapLimit(list, 16, (sh) => router.ask(convShardActor(app, sh), { kind: 'views', user }, SAFE_TO_REPEAT))
  return parts.flat()
}

/** The conversation list (pinned first, then newest), with the total unread. */
export async function convsOfUser(router: Router, app: number, user: string): Promise<ConvsResult> {
  const conversations = sortedViews(await viewsOfUser(router, app, user), user)
  return { conversations, totalUnread: conversations.reduce((n, c) => n + c.unread, 0) }
}

export interface UnreadResult { total: number; peers: { peer: string; unread: number }[] }

/** Unread counts: the total over visible one-to-one conversations, and per peer asked (default: every visible one). */
export async function unreadOfUser(router: Router, app: number, user: string, peers?: string[]): Promise<UnreadResult> {
  const visible = (await viewsOfUser(router, app, user)).filter((r) => !r.deleted && r.conv.startsWith('c2c:'))
  const total = visible.reduce((n, r) => n + r.unread, 0)
  const byPeer = new Map(visible.map((r) => [r.conv.slice(4), r.unread]))
  return { total, peers: (peers ?? [...byPeer.keys()]).map((peer) => ({ peer, unread: byPeer.get(peer) ?? 0 })) }
}
