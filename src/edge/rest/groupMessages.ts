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
import { type GroupMessage, MsgPriorities, RECALLED_FLAG } from '../../model/group.js'
import { ParleyError } from '../../core/errors.js'
import { userIdField } from '../../core/ids.js'
import { Limits } from '../../core/limits.js'
import { F, inputParser, isPlainObject } from '../../core/schema.js'
import { command, type CommandTable } from './context.js'
import { Flag } from './fields.js'
import { GroupCode, GroupIdBody, GroupIdField } from './groupFields.js'
import { ContentFields, contentOf, ControlFlagsField, MsgFields, prepareSender } from './message.js'
import { AT_ALL } from '../../model/message.js'

/** The two steps of a `GroupAtInfo` entry: its flag, then (flag not 1) its account, a UserID or `@ALL` (itself a valid UserID). */
const MentionAll = inputParser(F.object({ GroupAtAllFlag: F.opt(Flag) }), { code: GroupCode })
const MentionOne = inputParser(F.object({ GroupAt_Account: userIdField({ why: 'must be a UserID or @ALL' }) }), { code: GroupCode })

/**
 * A `GroupAtInfo` entry as the account it mentions: `GroupAtAllFlag` 1 mentions everyone
 * (`@ALL`; `GroupAt_Account` is then not read), else `GroupAt_Account` names one member. A
 * `validated` field, since whether `GroupAt_Account` is required depends on the flag.
 */
const Mention = F.validated('GroupAtInfo entry', (raw, path): { account: string } => {
  if (!isPlainObject(raw)) throw new ParleyError(GroupCode, `${path}: must be a map`)
  if (MentionAll(raw, path).GroupAtAllFlag === 1) return { account: AT_ALL }
  return { account: MentionOne(raw, path).GroupAt_Account }
})

const sendGroupMsg = command(F.object({
  GroupId: GroupIdField,
  Random: MsgFields.random,
  ...ContentFields,
  From_Account: F.opt(MsgFields.from),
  MsgPriority: F.opt(F.oneOf(MsgPriorities)),
  OnlineOnlyFlag: F.opt(Flag),
  SendMsgControl: ControlFlagsField,
  ForbidCallbackControl: ControlFlagsField,
  GroupAtInfo: F.opt(F.array(Mention, { max: Limits.groupAccountsPerRequest, sizeCode: 'GROUP_TOO_MANY_ACCOUNTS' })),
  To_Account: F.opt(F.array(userIdField({ why: 'must be a UserID' }), { min: 1, max: Limits.groupTargets, sizeCode: 'GROUP_TOO_MANY_ACCOUNTS' })),
}), GroupCode, async (ctx, b) => {
  const from = b.From_Account
  const content = contentOf(b)
  const priority = b.MsgPriority
  const atAccounts = b.GroupAtInfo?.map((m) => m.account)
  const to = b.To_Account
  const sender = await prepareSender(ctx, from)
  const by: Operator = from === undefined ? { appAdmin: true, adminId: ctx.admin } : { user: from, appAdmin: false }
  const sent = await sendGroupMessage(ctx.router, ctx.app, b.GroupId, {
    kind: 'send', by, from: sender,
    draft: {
      random: b.Random, ...content, ...(priority ? { priority } : {}), onlineOnly: b.OnlineOnlyFlag === 1,
      ...(atAccounts?.length ? { atAccounts } : {}), ...(to ? { to } : {}),
    },
  })
  return { MsgTime: sent.time, MsgSeq: sent.seq }
})

/**
 * Recalls `MsgSeqList` (1–10 seqs) as the App admin, at any age while stored; `Reason` (≤ 100
 * B) is accepted and not kept. `RecallRetList[{MsgSeq, RetCode}]`: 0 recalled (or already),
 * 10030 no such stored message, 10032 a tip. AVChatRoom/BChatRoom (nothing stored): 10033.
 */
const groupMsgRecall = command(F.object({
  GroupId: GroupIdField,
  MsgSeqList: F.array(F.object({ MsgSeq: F.int({ min: 1, why: 'must be a positive integer' }) }), { min: 1, max: Limits.groupRecallBatch }),
  Reason: F.opt(F.string({ maxBytes: Limits.recallReasonBytes })),
}), GroupCode, async (ctx, b) => {
  const seqs = b.MsgSeqList.map((it) => it.MsgSeq)
  const { results } = await recallGroupMessages(ctx.router, ctx.app, { appAdmin: true, adminId: ctx.admin }, b.GroupId, seqs)
  return { RecallRetList: results.map((x) => ({ MsgSeq: x.seq, RetCode: x.code })) }
})

/** A stored message as `RspMsgList` shows it; a recalled one is a placeholder (`IsPlaceMsg` 1, empty body), a tip a system message. */
function historyItem(m: GroupMessage): Record<string, unknown> {
  return {
    From_Account: m.from, IsPlaceMsg: m.flags === RECALLED_FLAG ? 1 : 0, IsSystemMsg: m.from === SYSTEM_ACCOUNT ? 1 : 0, MsgBody: m.body,
    MsgPriority: m.priority ?? 'Normal', MsgRandom: m.random, MsgSeq: m.seq, MsgTimeStamp: m.time,
    ...(m.cloudCustomData !== undefined ? { CloudCustomData: m.cloudCustomData } : {}),
    ...(m.atAccounts ? { GroupAtInfo: m.atAccounts.map((a) => ({ GroupAtAllFlag: a === AT_ALL ? 1 : 0, GroupAt_Account: a })) } : {}),
  }
}

/**
 * Newest first from `ReqMsgSeq` (inclusive; default the newest), at most 20; page on with the
 * lowest seq − 1. `WithRecalledMsg` is checked and not used: recalled messages are always listed.
 */
const groupMsgGetSimple = command(F.object({
  GroupId: GroupIdField,
  ReqMsgSeq: F.opt(F.uint()),
  ReqMsgNumber: F.int({ min: 1, max: Limits.groupMsgPage }),
  WithRecalledMsg: F.opt(Flag),
}), GroupCode, async (ctx, b) => {
  const reqSeq = b.ReqMsgSeq
  const page = await askGroup(ctx.router, ctx.app, b.GroupId, {
    kind: 'history', by: { appAdmin: true }, ...(reqSeq !== undefined ? { before: reqSeq + 1 } : {}), limit: b.ReqMsgNumber,
  })
  return { GroupId: b.GroupId, IsFinished: page.complete ? 1 : 0, RspMsgList: page.messages.map(historyItem) }
})

/**
 * `OnlineMemberNum`: members' connections subscribed to the group's live traffic now, summed
 * over the threads (and nodes) that report them. Answered for every group type, not only
 * AVChatRoom; a user online on two devices counts twice.
 */
const getOnlineMemberNum = command(GroupIdBody, GroupCode, async (ctx, b) => {
  const { online } = await askGroup(ctx.router, ctx.app, b.GroupId, { kind: 'online' })
  return { OnlineMemberNum: online }
})

/** Sets a member's unread count by moving its read position (actors/group/read.ts); members only (10007). */
const setUnreadMsgNum = command(F.object({
  GroupId: GroupIdField,
  Member_Account: userIdField(),
  UnreadMsgNum: F.uint(),
}), GroupCode, async (ctx, b) => {
  await askGroup(ctx.router, ctx.app, b.GroupId, { kind: 'setUnread', user: b.Member_Account, unread: b.UnreadMsgNum })
  return {}
})

export const groupMessageCommands: CommandTable = {
  'group_open_http_svc/set_unread_msg_num': setUnreadMsgNum,
  'group_open_http_svc/get_online_member_num': getOnlineMemberNum,
  'group_open_http_svc/send_group_msg': sendGroupMsg,
  'group_open_http_svc/group_msg_recall': groupMsgRecall,
  'group_open_http_svc/group_msg_get_simple': groupMsgGetSimple,
}
