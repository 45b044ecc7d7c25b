/**
 * Group messages over REST (docs/tencent-compat.md §2.8): `send_group_msg`, `group_msg_recall`,
 * `group_msg_get_simple` and `get_online_member_num`.
 *
 * `send_group_msg` without `From_Account` sends as the App admin (allowed in every group,
 * never muted); with one, the message is that member's: not a member 10007, muted 10017,
 * BChatRoom 10007. A repeat of the same sender's `Random` within 5 minutes is answered with
 * the first message's seq and stores nothing. `GroupAtInfo` mentions members (non-members are
 * dropped); `To_Account` (1–50) makes a targeted message: seq 0, not stored, only those
 * members get it (none of them a member: 10004). Over the group's rate: 10023. Codes for the
 * message fields as for `openim/sendmsg`.
 */
import type { Operator } from '../../../actors/group/protocol.js'
import { askGroup, recallGroupMessages, sendGroupMessage, SYSTEM_ACCOUNT } from '../../services/group.js'
import { type GroupMessage, RECALLED_FLAG } from '../../model/group.js'
import { type CommandTable, type RestCtx } from './context.js'
import { type Body, BodyReader } from './fields.js'
import { GroupCode, readGroupId } from './groupFields.js'
import { prepareSender, readContent } from './message.js'
import { AT_ALL } from '../../model/message.js'
import { isUserId } from '../../core/ids.js'

export const MsgPriorities = ['High', 'Normal', 'Low', 'Lowest'] as const
/** Most messages per `group_msg_get_simple` page, and per `group_msg_recall` (docs/tencent-compat.md §8). */
const HistoryPage = 20
const RecallBatch = 10
/** Targets of one targeted message (docs/tencent-compat.md §4.6 `To_Account`), and mentions of one message. */
const MaxTargets = 50
const MaxMentions = 500

/** `GroupAtInfo[{GroupAtAllFlag, GroupAt_Account}]` as mentioned accounts (`@ALL` for everyone). */
function readMentions(r: BodyReader): string[] | undefined {
  if (r.pick('GroupAtInfo') === undefined) return undefined
  return r.items('GroupAtInfo', { min: 0, max: MaxMentions, sizeCode: 'GROUP_TOO_MANY_ACCOUNTS' }).map((it) => {
    if (it.optOneOf('GroupAtAllFlag', [0, 1]) === 1) return AT_ALL
    const who = it.string('GroupAt_Account')
    return who === AT_ALL || isUserId(who) ? who : it.fail('GroupAt_Account', 'must be a UserID or @ALL')
  })
}

async function sendGroupMsg(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, GroupCode)
  const groupId = readGroupId(r)
  const random = r.u32('Random', 'BAD_MSG_RANDOM')
  const content = readContent(r)
  const from = r.optUserId('From_Account', 'BAD_FROM_ACCOUNT')
  const priority = r.optString('MsgPriority')
  if (priority !== undefined && !(MsgPriorities as readonly string[]).includes(priority)) r.fail('MsgPriority', `must be one of ${MsgPriorities.join(', ')}`)
  const onlineOnly = r.flag('OnlineOnlyFlag')
  r.optStrings('SendMsgControl', { min: 0, max: 16 })
  r.optStrings('ForbidCallbackControl', { min: 0, max: 16 })
  const atAccounts = readMentions(r)
  const to = r.pick('To_Account') === undefined ? undefined : r.strings('To_Account', { min: 1, max: MaxTargets, sizeCode: 'GROUP_TOO_MANY_ACCOUNTS' })
  to?.forEach((a, i) => { if (!isUserId(a)) r.fail(`To_Account[${i}]`, 'must be a UserID') })
  const sender = await prepareSender(ctx, from)
  const by: Operator = from === undefined ? { appAdmin: true, adminId: ctx.admin } : { user: from, appAdmin: false }
  const sent = await sendGroupMessage(ctx.router, ctx.app, groupId, {
    kind: 'send', by, from: sender,
    draft: { random, ...content, ...(priority ? { priority } : {}), onlineOnly, ...(atAccounts?.length ? { atAccounts } : {}), ...(to ? { to } : {}) },
  })
  return { MsgTime: sent.time, MsgSeq: sent.seq }
}

/**
 * Recalls `MsgSeqList` (1–10 seqs) as the App admin, at any age while stored; `Reason` (≤ 100
 * B) is accepted and not kept. `RecallRetList[{MsgSeq, RetCode}]`: 0 recalled (or already),
 * 10030 no such stored message, 10032 a tip. AVChatRoom/BChatRoom (nothing stored): 10033.
 */
async function groupMsgRecall(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, GroupCode)
  const groupId = readGroupId(r)
  const seqs = r.items('MsgSeqList', { min: 1, max: RecallBatch }).map((it) => {
    const seq = it.uint('MsgSeq')
    return seq > 0 ? seq : it.fail('MsgSeq', 'must be a positive integer')
  })
  r.optString('Reason', { maxBytes: 100 })
  const { results } = await recallGroupMessages(ctx.router, ctx.app, { appAdmin: true, adminId: ctx.admin }, groupId, seqs)
  return { RecallRetList: results.map((x) => ({ MsgSeq: x.seq, RetCode: x.code })) }
}

/** A stored message as `RspMsgList` shows it; a recalled one is a placeholder (`IsPlaceMsg` 1, empty body), a tip a system message. */
function historyItem(m: GroupMessage): Record<string, unknown> {
  return {
    From_Account: m.from, IsPlaceMsg: m.flags === RECALLED_FLAG ? 1 : 0, IsSystemMsg: m.from === SYSTEM_ACCOUNT ? 1 : 0, MsgBody: m.body,
    MsgPriority: m.priority ?? 'Normal', MsgRandom: m.random, MsgSeq: m.seq, MsgTimeStamp: m.time,
    ...(m.cloudCustomData !== undefined ? { CloudCustomData: m.cloudCustomData } : {}),
    ...(m.atAccounts ? { GroupAtInfo: m.atAccounts.map((a) => ({ GroupAtAllFlag: a === AT_ALL ? 1 : 0, GroupAt_Account: a })) } : {}),
  }
}

/** Newest first from `ReqMsgSeq` (inclusive; default the newest), at most 20; page on with the lowest seq − 1. */
async function groupMsgGetSimple(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, GroupCode)
  const groupId = readGroupId(r)
  const reqSeq = r.optUint('ReqMsgSeq')
  const limit = r.uint('ReqMsgNumber')
  if (limit < 1 || limit > HistoryPage) r.fail('ReqMsgNumber', `must be 1..${HistoryPage}`)
  r.flag('WithRecalledMsg')
  const page = await askGroup(ctx.router, ctx.app, groupId, {
    kind: 'history', by: { appAdmin: true }, ...(reqSeq !== undefined ? { before: reqSeq + 1 } : {}), limit,
  })
  return { GroupId: groupId, IsFinished: page.complete ? 1 : 0, RspMsgList: page.messages.map(historyItem) }
}

/**
 * `OnlineMemberNum`: members' connections subscribed to the group's live traffic now, summed
 * over the threads (and nodes) that report them. Answered for every group type, not only
 * AVChatRoom; a user online on two devices counts twice.
 */
async function getOnlineMemberNum(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, GroupCode)
  const groupId = readGroupId(r)
  const { online } = await askGroup(ctx.router, ctx.app, groupId, { kind: 'online' })
  return { OnlineMemberNum: online }
}

/** Sets a member's unread count by moving its read position (actors/group/read.ts); members only (10007). */
async function setUnreadMsgNum(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, GroupCode)
  const groupId = readGroupId(r)
  const user = r.userId('Member_Account')
  const unread = r.uint('UnreadMsgNum')
  await askGroup(ctx.router, ctx.app, groupId, { kind: 'setUnread', user, unread })
  return {}
}

export const groupMessageCommands: CommandTable = {
  'group_open_http_svc/set_unread_msg_num': setUnreadMsgNum,
  'group_open_http_svc/get_online_member_num': getOnlineMemberNum,
  'group_open_http_svc/send_group_msg': sendGroupMsg,
  'group_open_http_svc/group_msg_recall': groupMsgRecall,
  'group_open_http_svc/group_msg_get_simple': groupMsgGetSimple,
}
