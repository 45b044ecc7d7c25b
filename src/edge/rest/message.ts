/**
 * The message fields shared by `openim/sendmsg`, `batchsendmsg`, `importmsg` and
 * `send_group_msg` (docs/tencent-compat.md §3.1), declared once as schema fields, their reading
 * into the C2CSendRequest the socket gateway also builds, and the sender check.
 *
 * Codes: MsgBody 90002 (MsgBodyField), MsgBody + CloudCustomData above 12 KB 93000 (checked by
 * `contentOf` once the body is parsed), MsgRandom 90005, MsgTimeStamp 90007, From_Account
 * 90008, To_Account 90003, any other mistyped field 90010 in the one-to-one commands.
 */
import { randomInt } from 'node:crypto'
import { checkBodySize, MsgBodyField } from '../../protocol/elements.js'
import { Limits } from '../../core/limits.js'
import type { C2CSendRequest, MsgElement } from '../../model/message.js'
import { F, type Static } from '../../core/schema.js'
import { userIdField } from '../../core/ids.js'
import { askUser, isImported, requireImported, type RestCtx } from './context.js'
import { Flag, strings } from './fields.js'

/** The code for a mistyped field in the one-to-one message commands. */
export const MsgCode = 'BAD_MSG_REQUEST'

/** The sender, receiver, `MsgRandom` and `MsgTimeStamp` fields with their own codes. */
export const MsgFields = {
  from: userIdField({ code: 'BAD_FROM_ACCOUNT' }),
  to: userIdField({ code: 'BAD_TO_ACCOUNT' }),
  random: F.u32({ code: 'BAD_MSG_RANDOM' }),
  timeStamp: F.u32({ code: 'BAD_MSG_TIMESTAMP' }),
}

/** `MsgSeq`: any u32; absent = a random one (docs/tencent-compat.md §3.1). */
export const MsgSeqField = F.opt(F.u32())

/** `MsgSeq` if given, else a random u32. */
export function msgSeqOf(given: number | undefined): number {
  return given ?? randomInt(0, 0xffffffff)
}

/** `CloudCustomData` and `MsgBody`, in that order; together within 12 KB (`contentOf`). */
export const ContentFields = {
  CloudCustomData: F.opt(F.string()),
  MsgBody: MsgBodyField,
}

export interface MsgContent {
  body: MsgElement[]
  cloudCustomData?: string
}

/** The parsed content, checked against the 12 KB limit (93000). */
export function contentOf(b: { MsgBody: MsgElement[]; CloudCustomData?: string }): MsgContent {
  checkBodySize(b.MsgBody, b.CloudCustomData)
  return { body: b.MsgBody, cloudCustomData: b.CloudCustomData }
}

/** `SendMsgControl` / `ForbidCallbackControl`: at most 16 words each. */
export const ControlFlagsField = F.opt(strings({ max: Limits.sendControlFlags }))

/**
 * SyncOtherMachine (1|2, default 1), MsgLifeTime (seconds, clamped to 7 days; 0 = online
 * only), SendMsgControl (`NoUnread`, `NoLastMsg`; other words, e.g. WithMuteNotifications,
 * are accepted and have no effect yet), OnlineOnlyFlag, IsNeedReadReceipt (0|1).
 * ForbidCallbackControl, SupportMessageExtension and OfflinePushInfo (a map) are type-checked
 * and otherwise ignored: Parley has no webhooks, message extensions or offline push yet.
 */
export const SendOptionFields = {
  SyncOtherMachine: F.opt(F.oneOf([1, 2])),
  MsgLifeTime: F.opt(F.uint()),
  SendMsgControl: ControlFlagsField,
  ForbidCallbackControl: ControlFlagsField,
  SupportMessageExtension: F.opt(Flag),
  OfflinePushInfo: F.opt(F.object({})),
  OnlineOnlyFlag: F.opt(Flag),
  IsNeedReadReceipt: F.opt(Flag),
}

const SendOptionsBody = F.object(SendOptionFields)

export type SendOptions = Pick<C2CSendRequest,
  'syncOtherMachine' | 'lifeTime' | 'onlineOnly' | 'needReadReceipt' | 'noUnread' | 'noLastMsg'>

/** The send options of a parsed body, defaults applied. */
export function sendOptionsOf(b: Static<typeof SendOptionsBody>): SendOptions {
  const control = b.SendMsgControl ?? []
  return {
    syncOtherMachine: b.SyncOtherMachine ?? 1,
    lifeTime: b.MsgLifeTime === undefined ? undefined : Math.min(b.MsgLifeTime, Limits.maxLifeTimeSeconds),
    onlineOnly: b.OnlineOnlyFlag === 1,
    needReadReceipt: b.IsNeedReadReceipt === 1,
    noUnread: control.includes('NoUnread'),
    noLastMsg: control.includes('NoLastMsg'),
  }
}

/**
 * Checks the sender before anything is stored. An explicit `From_Account` must be imported
 * (20003). Without one the message is sent as the calling admin, whose account is imported
 * on first use, as Tencent pre-creates App admin accounts.
 */
export async function prepareSender(ctx: RestCtx, explicitFrom: string | undefined): Promise<string> {
  if (explicitFrom !== undefined) {
    await requireImported(ctx, [explicitFrom], 'ACCOUNT_INVALID')
    return explicitFrom
  }
  if (!(await isImported(ctx, ctx.admin))) await askUser(ctx, ctx.admin, { kind: 'importAccount' })
  return ctx.admin
}
