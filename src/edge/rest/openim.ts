/**
 * One-to-one sends over REST (docs/tencent-compat.md §2.4 `openim`): `sendmsg`, `batchsendmsg`, `importmsg`.
 * All go through sendC2C, the coordinator the socket gateway uses, so a REST message is stored,
 * deduplicated (MsgRandom) and delivered exactly like a client's.
 *
 * Codes: fields as in message.ts; a sender or receiver that is not imported → 20003 for
 * `sendmsg`/`importmsg` (the whole call fails, nothing is stored); `batchsendmsg` reports each
 * failed target in `ErrorList` (70107 not imported) and more than 500 targets → 90011.
 */
import { sendC2C } from '../../services/c2c.js'
import { Limits } from '../../core/limits.js'
import { makeMsgKey } from '../../model/message.js'
import { isUserId } from '../../core/ids.js'
import { CodedError, ErrorCatalogue, ParleyError, toWireError } from '../../core/errors.js'
import { type CommandTable, ItemConcurrency, requireImported, type RestCtx } from './context.js'
import { mapLimit } from '../../core/mapLimit.js'
import { type Body, BodyReader } from './fields.js'
import { MsgCode, prepareSender, readContent, readMsgSeq, readSendOptions } from './message.js'

function nowSec(ctx: RestCtx): number {
  return Math.floor(ctx.nowMs / 1000)
}

/**
 * `MsgTimeStamp` forces the message time (unix seconds); 0 or absent means the server clock.
 * Reply: `MsgTime`, `MsgKey`, and `MsgId` (the newer field; Parley's message id is the MsgKey).
 */
async function sendMsg(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, MsgCode)
  const from = r.optUserId('From_Account', 'BAD_FROM_ACCOUNT')
  const to = r.userId('To_Account', 'BAD_TO_ACCOUNT')
  const random = r.u32('MsgRandom', 'BAD_MSG_RANDOM')
  const time = r.optU32('MsgTimeStamp', 'BAD_MSG_TIMESTAMP') || undefined
  const msgSeq = readMsgSeq(r)
  const content = readContent(r)
  const opts = readSendOptions(r)
  await requireImported(ctx, [to], 'ACCOUNT_INVALID')
  const sender = await prepareSender(ctx, from)
  const sent = await sendC2C(ctx.router, ctx.app, sender, { to, msgSeq, random, ...content, ...opts, time }, ctx.nowMs)
  return { MsgTime: sent.msgTime, MsgKey: sent.msgKey, MsgId: sent.msgKey }
}

/**
 * One message to up to 500 targets (duplicates are sent once). Every copy has the same MsgSeq,
 * MsgRandom and time, hence the one `MsgKey` of the reply; `MsgTimeStamp` is not accepted here.
 * A repeated batch (same MsgRandom) is deduped per target, and a target that already had the
 * message keeps its first key: the reply gives the key stored for the first target that
 * succeeded, so a repeat of a whole batch answers with the first batch's key.
 */
async function batchSendMsg(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, MsgCode)
  const from = r.optUserId('From_Account', 'BAD_FROM_ACCOUNT')
  const targets = r.strings('To_Account', {
    min: 0, max: Limits.batchSendTargets, code: 'BAD_TO_ACCOUNT', sizeCode: 'TOO_MANY_TARGETS',
  })
  if (targets.length === 0) r.fail('To_Account', 'must hold at least one UserID', 'BAD_TO_ACCOUNT')
  const random = r.u32('MsgRandom', 'BAD_MSG_RANDOM')
  const msgSeq = readMsgSeq(r)
  const content = readContent(r)
  const opts = readSendOptions(r)
  const sender = await prepareSender(ctx, from)
  const time = nowSec(ctx)
  const unique = [...new Set(targets)]
  const keys: (string | undefined)[] = []
  const codes = await mapLimit(unique, ItemConcurrency, async (to, i) => {
    if (!isUserId(to)) return ErrorCatalogue.ACCOUNT_NOT_IMPORTED.code
    try {
      keys[i] = (await sendC2C(ctx.router, ctx.app, sender, { to, msgSeq, random, ...content, ...opts, time }, ctx.nowMs)).msgKey
      return 0
    } catch (e) {
      if (!(e instanceof CodedError)) ctx.log.error('batchsendmsg target failed', { to, error: String(e) })
      const code = toWireError(e).code
      return code === ErrorCatalogue.ACCOUNT_INVALID.code ? ErrorCatalogue.ACCOUNT_NOT_IMPORTED.code : code
    }
  })
  const ErrorList = unique.flatMap((to, i) => (codes[i] === 0 ? [] : [{ To_Account: to, ErrorCode: codes[i] }]))
  return { MsgKey: keys.find((k) => k !== undefined) ?? makeMsgKey(msgSeq, random, time), ErrorList }
}

/**
 * Imports a message with its original time. `SyncFromOldSystem` 2 = history (no unread count;
 * Parley has no offline push to suppress), 1 or 5 = realtime (counts as unread). Both views
 * store it. A repeat with the same From_Account, To_Account and MsgRandom (within the 24 h
 * dedupe window), or with the same MsgKey (MsgSeq, MsgRandom, MsgTimeStamp) in either
 * direction, is a duplicate and is acknowledged without storing again (the first import wins).
 */
async function importMsg(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, MsgCode)
  const from = r.userId('From_Account', 'BAD_FROM_ACCOUNT')
  const to = r.userId('To_Account', 'BAD_TO_ACCOUNT')
  const random = r.u32('MsgRandom', 'BAD_MSG_RANDOM')
  const time = r.u32('MsgTimeStamp', 'BAD_MSG_TIMESTAMP')
  const msgSeq = readMsgSeq(r)
  const mode = r.oneOf('SyncFromOldSystem', [1, 2, 5] as const)
  const content = readContent(r)
  await requireImported(ctx, [from, to], 'ACCOUNT_INVALID')
  await sendC2C(ctx.router, ctx.app, from, {
    to, msgSeq, random, ...content, time,
    syncOtherMachine: 1, onlineOnly: false, needReadReceipt: false, noUnread: mode === 2, noLastMsg: false,
  }, ctx.nowMs)
  return {}
}

export const openimCommands: CommandTable = {
  'openim/sendmsg': sendMsg,
  'openim/batchsendmsg': batchSendMsg,
  'openim/importmsg': importMsg,
}
