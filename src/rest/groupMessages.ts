/**
 * Group messages over REST (reference §2.3): `send_group_msg`, `group_msg_get_simple` and
 * `get_online_member_num`.
 *
 * `send_group_msg` without `From_Account` sends as the App admin (allowed in every group,
 * never muted); with one, the message is that member's: not a member 10007, muted 10017,
 * BChatRoom 10007. A repeat of the same sender's `Random` within 5 minutes is answered with
 * the first message's seq and stores nothing. Targeted sends (`To_Account`) are refused
 * (10004) until they are implemented. Codes for the message fields as for `openim/sendmsg`.
 */
import type { Operator } from '../../actors/group/messages.js'
import { askGroup, sendGroupMessage } from '../messaging/group.js'
import type { GroupMessage } from '../store/GroupStore.js'
import { type CommandTable, type RestCtx } from './context.js'
import { type Body, BodyReader } from './fields.js'
import { GroupCode, readGroupId } from './groupFields.js'
import { prepareSender, readContent } from './message.js'

export const MsgPriorities = ['High', 'Normal', 'Low', 'Lowest'] as const
/** Most messages per `group_msg_get_simple` page (reference §8). */
const HistoryPage = 20

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
  if (r.pick('To_Account') !== undefined) r.fail('To_Account', 'targeted group messages are not supported yet')
  const sender = await prepareSender(ctx, from)
  const by: Operator = from === undefined ? { appAdmin: true } : { user: from, appAdmin: false }
  const sent = await sendGroupMessage(ctx.router, ctx.app, groupId, {
    kind: 'send', by, from: sender, draft: { random, ...content, ...(priority ? { priority } : {}), onlineOnly },
  })
  return { MsgTime: sent.time, MsgSeq: sent.seq }
}

function historyItem(m: GroupMessage): Record<string, unknown> {
  return {
    From_Account: m.from, IsPlaceMsg: m.flags === 8 ? 1 : 0, IsSystemMsg: 0, MsgBody: m.body,
    MsgPriority: m.priority ?? 'Normal', MsgRandom: m.random, MsgSeq: m.seq, MsgTimeStamp: m.time,
    ...(m.cloudCustomData !== undefined ? { CloudCustomData: m.cloudCustomData } : {}),
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
  const page = await askGroup<{ messages: GroupMessage[]; complete: boolean }>(ctx.router, ctx.app, groupId, {
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
  const { online } = await askGroup<{ online: number }>(ctx.router, ctx.app, groupId, { kind: 'online' })
  return { OnlineMemberNum: online }
}

export const groupMessageCommands: CommandTable = {
  'group_open_http_svc/get_online_member_num': getOnlineMemberNum,
  'group_open_http_svc/send_group_msg': sendGroupMsg,
  'group_open_http_svc/group_msg_get_simple': groupMsgGetSimple,
}
