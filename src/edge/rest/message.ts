/**
 * The message fields shared by `openim/sendmsg`, `batchsendmsg` and `importmsg` (docs/tencent-compat.md §3.1),
 * read into the C2CSendRequest the socket gateway also builds, and the sender check.
 *
 * Codes: MsgBody 90002 (via validateBody), MsgBody + CloudCustomData above 12 KB 93000
 * (checkBodySize), MsgRandom 90005, MsgTimeStamp 90007, From_Account 90008, To_Account 90003,
 * any other mistyped field 90010.
 */
import { randomInt } from 'node:crypto'
import { checkBodySize, validateBody } from '../../protocol/elements.js'
import { Limits } from '../../core/limits.js'
import type { C2CSendRequest, MsgElement } from '../../model/message.js'
import { askUser, isImported, requireImported, type RestCtx } from './context.js'
import type { BodyReader } from './fields.js'

/** The code for a mistyped field in the one-to-one message commands. */
export const MsgCode = 'BAD_MSG_REQUEST'

/** Most entries accepted in `SendMsgControl` / `ForbidCallbackControl`. */
const MaxControlFlags = 16

export interface MsgContent {
  body: MsgElement[]
  cloudCustomData?: string
}

/** `MsgBody` and `CloudCustomData`, validated, and together within 12 KB. */
export function readContent(r: BodyReader): MsgContent {
  const cloudCustomData = r.optString('CloudCustomData')
  const body = validateBody(r.pick('MsgBody')?.value, 'MsgBody')
  checkBodySize(body, cloudCustomData)
  return { body, cloudCustomData }
}

/** `MsgSeq` if given, else a random u32 (docs/tencent-compat.md §3.1). */
export function readMsgSeq(r: BodyReader): number {
  return r.optU32('MsgSeq') ?? randomInt(0, 0xffffffff)
}

export type SendOptions = Pick<C2CSendRequest,
  'syncOtherMachine' | 'lifeTime' | 'onlineOnly' | 'needReadReceipt' | 'noUnread' | 'noLastMsg'>

/**
 * SyncOtherMachine (1|2, default 1), MsgLifeTime (seconds, clamped to 7 days; 0 = online
 * only), OnlineOnlyFlag, IsNeedReadReceipt (0|1), SendMsgControl (`NoUnread`, `NoLastMsg`;
 * other words, e.g. WithMuteNotifications, are accepted and have no effect yet).
 * ForbidCallbackControl, OfflinePushInfo and SupportMessageExtension are type-checked and
 * otherwise ignored: Parley has no webhooks, offline push or message extensions yet.
 */
export function readSendOptions(r: BodyReader): SendOptions {
  const syncOtherMachine = r.optOneOf('SyncOtherMachine', [1, 2] as const) ?? 1
  const life = r.optUint('MsgLifeTime')
  const control = r.optStrings('SendMsgControl', { min: 0, max: MaxControlFlags }) ?? []
  r.optStrings('ForbidCallbackControl', { min: 0, max: MaxControlFlags })
  r.flag('SupportMessageExtension')
  const push = r.pick('OfflinePushInfo')
  if (push !== undefined && (typeof push.value !== 'object' || Array.isArray(push.value))) r.fail(push.name, 'must be a map')
  return {
    syncOtherMachine,
    lifeTime: life === undefined ? undefined : Math.min(life, Limits.maxLifeTimeSeconds),
    onlineOnly: r.flag('OnlineOnlyFlag'),
    needReadReceipt: r.flag('IsNeedReadReceipt'),
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
