/**
 * Admin views of one-to-one conversations (docs/tencent-compat.md §2.5 `openim`): `admin_getroammsg`,
 * `admin_msgwithdraw`, `admin_set_msg_read`, `get_c2c_unread_msg_num`.
 *
 * Codes: a mistyped field → 90010 (90008/90003 for the From/To accounts); an account that is
 * not imported → 70107 (per peer in `ErrorList` for the unread query); a MsgKey that is in
 * neither view → 9010.
 */
import type { HistoryResult } from '../../protocol/frames.js'
import { Limits } from '../../core/limits.js'
import type { StoredMessage } from '../../model/message.js'
import { isUserId, userIdField } from '../../core/ids.js'
import { historyC2C, type HistoryQuery as PageQuery, readC2C, recallC2C, unreadOfUser } from '../../services/c2c.js'
import { ErrorCatalogue } from '../../core/errors.js'
import { F } from '../../core/schema.js'
import { command, type CommandTable, isImported, ItemConcurrency, requireImported, type RestCtx } from './context.js'
import { mapLimit } from '../../core/mapLimit.js'
import { strings } from './fields.js'
import { MsgCode, MsgFields } from './message.js'

/** Peers one unread query may name. */
const MaxUnreadPeers = Limits.accountBatch

type HistoryQuery = PageQuery & { peer: string }

function history(ctx: RestCtx, owner: string, q: HistoryQuery): Promise<HistoryResult> {
  const { peer, ...page } = q
  const defined = Object.fromEntries(Object.entries(page).filter(([, v]) => v !== undefined)) as unknown as PageQuery
  return historyC2C(ctx.router, ctx.app, owner, peer, defined)
}

/** The time part of a MsgKey (`{MsgSeq}_{MsgRandom}_{MsgTime}`, docs/tencent-compat.md §3.1). */
function keyTime(key: string): number {
  return Number(key.slice(key.lastIndexOf('_') + 1))
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
const getRoamMsg = command(F.object({
  Operator_Account: userIdField({ code: 'BAD_FROM_ACCOUNT', aliases: ['From_Account'] }),
  Peer_Account: userIdField({ code: 'BAD_TO_ACCOUNT', aliases: ['To_Account'] }),
  MaxCnt: F.int({ min: 1, why: 'must be a positive integer' }),
  MinTime: F.opt(F.uint()),
  MaxTime: F.opt(F.uint()),
  /** A MsgKey; '' reads as absent (the first page). */
  LastMsgKey: F.opt(F.string({
    maxBytes: Limits.msgKeyChars, pattern: '^([0-9]+_[0-9]+_[0-9]+)?$',
    why: `must be a MsgKey ({MsgSeq}_{MsgRandom}_{MsgTime}) of at most ${Limits.msgKeyChars} characters`,
  })),
}), MsgCode, async (ctx, b) => {
  const owner = b.Operator_Account
  const peer = b.Peer_Account
  const { MinTime: minTime, MaxTime: maxTime } = b
  const lastKey = b.LastMsgKey || undefined
  await requireImported(ctx, [owner, peer], 'ACCOUNT_NOT_IMPORTED')
  const limit = Math.min(b.MaxCnt, Limits.maxPageSize)
  const cursor = lastKey !== undefined ? await cursorAfter(ctx, owner, peer, lastKey, keyTime(lastKey)) : {}
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
})

/** Recalls `MsgKey` between `From_Account` and `To_Account` in both views, at any age. */
const msgWithdraw = command(F.object({
  From_Account: MsgFields.from,
  To_Account: MsgFields.to,
  MsgKey: F.string({ nonEmpty: true, maxBytes: Limits.msgKeyChars }),
}), MsgCode, async (ctx, b) => {
  await requireImported(ctx, [b.From_Account, b.To_Account], 'ACCOUNT_NOT_IMPORTED')
  await recallC2C(ctx.router, ctx.app, b.From_Account, b.To_Account, b.MsgKey, true)
  return {}
})

/**
 * `Report_Account` read its conversation with `Peer_Account` up to `MsgReadTime` (unix
 * seconds; absent = everything); the peer sees its messages as read.
 */
const setMsgRead = command(F.object({
  Report_Account: userIdField(),
  Peer_Account: userIdField(),
  MsgReadTime: F.opt(F.uint()),
}), MsgCode, async (ctx, b) => {
  const { Report_Account: user, Peer_Account: peer, MsgReadTime: readTime } = b
  await requireImported(ctx, [user, peer], 'ACCOUNT_NOT_IMPORTED')
  if (readTime === undefined || readTime >= Math.floor(ctx.nowMs / 1000)) {
    await readC2C(ctx.router, ctx.app, user, peer)
    return {}
  }
  const newest = (await history(ctx, user, { peer, maxTime: readTime, limit: 1 })).messages[0]
  if (newest) await readC2C(ctx.router, ctx.app, user, peer, newest.seq)
  return {}
})

/**
 * Unread counts of `To_Account`: the total over all one-to-one conversations, and per peer —
 * the listed `Peer_Account`s, or every conversation when absent or empty. A listed peer that
 * is not imported goes to `ErrorList` (70107).
 */
const unreadNum = command(F.object({
  To_Account: MsgFields.to,
  Peer_Account: F.opt(strings({ max: MaxUnreadPeers, sizeCode: 'BATCH_TOO_LARGE' })),
}), MsgCode, async (ctx, b) => {
  const user = b.To_Account
  const asked = b.Peer_Account
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
  const res = await unreadOfUser(ctx.router, ctx.app, user, peers)
  return {
    AllC2CUnreadMsgNum: res.total,
    C2CUnreadMsgNumList: res.peers.map((p) => ({ Peer_Account: p.peer, C2CUnreadMsgNum: p.unread })),
    ErrorList,
  }
})

export const openimHistoryCommands: CommandTable = {
  'openim/admin_getroammsg': getRoamMsg,
  'openim/admin_msgwithdraw': msgWithdraw,
  'openim/admin_set_msg_read': setMsgRead,
  'openim/get_c2c_unread_msg_num': unreadNum,
}
