/**
 * Admin views of one-to-one conversations (docs/tencent-compat.md §2.5 `openim`): `admin_getroammsg`,
 * `admin_msgwithdraw`, `admin_set_msg_read`, `get_c2c_unread_msg_num`.
 *
 * Codes: a mistyped field → 90010 (90008/90003 for the From/To accounts); an account that is
 * not imported → 70107 (per peer in `ErrorList` for the unread query); a MsgKey that is in
 * neither view → 9010.
 */
import type { UserSessionMsg } from '../../../actors/user/protocol.js'
import type { HistoryResult } from '../../protocol/frames.js'
import { Limits } from '../../core/limits.js'
import type { StoredMessage } from '../../model/message.js'
import { isUserId } from '../../core/ids.js'
import { recallC2C, readC2C } from '../../services/c2c.js'
import { ErrorCatalogue } from '../../core/errors.js'
import { askUser, type CommandTable, isImported, ItemConcurrency, requireImported, type RestCtx } from './context.js'
import { mapLimit } from '../../core/mapLimit.js'
import { type Body, BodyReader } from './fields.js'
import { MsgCode } from './message.js'

/** Longest MsgKey, characters (docs/tencent-compat.md §3.1). */
const MsgKeyMaxChars = 50
/** Peers one unread query may name. */
const MaxUnreadPeers = Limits.accountBatch

type HistoryQuery = Omit<Extract<UserSessionMsg, { kind: 'history' }>, 'kind'>

function history(ctx: RestCtx, owner: string, q: HistoryQuery): Promise<HistoryResult> {
  return askUser(ctx, owner, { kind: 'history', ...q })
}

/** The time part of a MsgKey (`{MsgSeq}_{MsgRandom}_{MsgTime}`), or undefined if it is not one. */
function keyTime(key: string): number | undefined {
  const m = /^[0-9]+_[0-9]+_([0-9]+)$/.exec(key)
  return m ? Number(m[1]) : undefined
}

/**
 * Where the next page starts after `lastKey`: below its seq in `owner`'s view. The key is
 * looked up among the messages of its own second, so the cost is that second's messages, not
 * the history's. If it is gone (cleared), the page continues below its time instead.
 */
async function cursorAfter(ctx: RestCtx, owner: string, peer: string, lastKey: string, t: number): Promise<{ before?: number; maxTime?: number }> {
  let before: number | undefined
  for (;;) {
    const page = await history(ctx, owner, { peer, before, minTime: t, maxTime: t, limit: Limits.maxPageSize })
    const hit = page.messages.find((m) => m.msgKey === lastKey)
    if (hit) return { before: hit.seq }
    if (page.complete || page.messages.length === 0) return { maxTime: t - 1 }
    before = page.messages[page.messages.length - 1].seq
  }
}

function roamItem(m: StoredMessage): Record<string, unknown> {
  return {
    From_Account: m.from, To_Account: m.to, MsgSeq: m.msgSeq, MsgRandom: m.random, MsgTimeStamp: m.time,
    MsgFlagBits: m.flags, IsPeerRead: m.peerRead ? 1 : 0, MsgKey: m.msgKey, MsgBody: m.body,
    CloudCustomData: m.cloudCustomData ?? '',
  }
}

/**
 * History of `Operator_Account` (old: `From_Account`) with `Peer_Account` (old: `To_Account`)
 * as the operator sees it, newest first, at most `MaxCnt` (clamped to 100) per page, within
 * `MinTime..MaxTime` (inclusive, optional). Continue with the reply's `LastMsgKey` until
 * `Complete` is 1.
 */
async function getRoamMsg(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, MsgCode)
  const owner = r.userId(['Operator_Account', 'From_Account'], 'BAD_FROM_ACCOUNT')
  const peer = r.userId(['Peer_Account', 'To_Account'], 'BAD_TO_ACCOUNT')
  const maxCnt = r.uint('MaxCnt')
  if (maxCnt === 0) r.fail('MaxCnt', 'must be at least 1')
  const minTime = r.optUint('MinTime')
  const maxTime = r.optUint('MaxTime')
  const lastKey = r.optString('LastMsgKey', { maxBytes: MsgKeyMaxChars }) || undefined
  const lastTime = lastKey === undefined ? undefined : keyTime(lastKey) ?? r.fail('LastMsgKey', 'not a MsgKey')
  await requireImported(ctx, [owner, peer], 'ACCOUNT_NOT_IMPORTED')
  const limit = Math.min(maxCnt, Limits.maxPageSize)
  const cursor = lastKey !== undefined && lastTime !== undefined ? await cursorAfter(ctx, owner, peer, lastKey, lastTime) : {}
  const upper = cursor.maxTime === undefined ? maxTime : Math.min(cursor.maxTime, maxTime ?? Infinity)
  const page = await history(ctx, owner, { peer, before: cursor.before, minTime, maxTime: upper, limit: limit + 1 })
  const list = page.messages.slice(0, limit)
  const last = list.at(-1)
  return {
    Complete: page.messages.length <= limit ? 1 : 0,
    MsgCnt: list.length,
    LastMsgTime: last?.time ?? 0,
    LastMsgKey: last?.msgKey ?? '',
    MsgList: list.map(roamItem),
  }
}

/** Recalls `MsgKey` between `From_Account` and `To_Account` in both views, at any age. */
async function msgWithdraw(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, MsgCode)
  const from = r.userId('From_Account', 'BAD_FROM_ACCOUNT')
  const to = r.userId('To_Account', 'BAD_TO_ACCOUNT')
  const key = r.string('MsgKey', { nonEmpty: true, maxBytes: MsgKeyMaxChars })
  await requireImported(ctx, [from, to], 'ACCOUNT_NOT_IMPORTED')
  await recallC2C(ctx.router, ctx.app, from, to, key, true)
  return {}
}

/**
 * `Report_Account` read its conversation with `Peer_Account` up to `MsgReadTime` (unix
 * seconds; absent = everything); the peer sees its messages as read.
 */
async function setMsgRead(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, MsgCode)
  const user = r.userId('Report_Account')
  const peer = r.userId('Peer_Account')
  const readTime = r.optUint('MsgReadTime')
  await requireImported(ctx, [user, peer], 'ACCOUNT_NOT_IMPORTED')
  if (readTime === undefined || readTime >= Math.floor(ctx.nowMs / 1000)) {
    await readC2C(ctx.router, ctx.app, user, peer)
    return {}
  }
  const newest = (await history(ctx, user, { peer, maxTime: readTime, limit: 1 })).messages[0]
  if (newest) await readC2C(ctx.router, ctx.app, user, peer, newest.seq)
  return {}
}

interface UnreadReply { total: number; peers: { peer: string; unread: number }[] }

/**
 * Unread counts of `To_Account`: the total over all one-to-one conversations, and per peer —
 * the listed `Peer_Account`s, or every conversation when absent or empty. A listed peer that
 * is not imported goes to `ErrorList` (70107).
 */
async function unreadNum(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, MsgCode)
  const user = r.userId('To_Account', 'BAD_TO_ACCOUNT')
  const asked = r.optStrings('Peer_Account', { min: 0, max: MaxUnreadPeers, sizeCode: 'BATCH_TOO_LARGE' })
  await requireImported(ctx, [user], 'ACCOUNT_NOT_IMPORTED')
  let peers: string[] | undefined
  const ErrorList: { Peer_Account: string; ErrorCode: number }[] = []
  if (asked !== undefined && asked.length > 0) {
    const known = await mapLimit(asked, ItemConcurrency, async (p) => isUserId(p) && await isImported(ctx, p))
    peers = asked.filter((_, i) => known[i])
    for (const [i, p] of asked.entries()) {
      if (!known[i]) ErrorList.push({ Peer_Account: p, ErrorCode: ErrorCatalogue.ACCOUNT_NOT_IMPORTED.code })
    }
  }
  const res = await askUser(ctx, user, { kind: 'unread', peers })
  return {
    AllC2CUnreadMsgNum: res.total,
    C2CUnreadMsgNumList: res.peers.map((p) => ({ Peer_Account: p.peer, C2CUnreadMsgNum: p.unread })),
    ErrorList,
  }
}

export const openimHistoryCommands: CommandTable = {
  'openim/admin_getroammsg': getRoamMsg,
  'openim/admin_msgwithdraw': msgWithdraw,
  'openim/admin_set_msg_read': setMsgRead,
  'openim/get_c2c_unread_msg_num': unreadNum,
}
