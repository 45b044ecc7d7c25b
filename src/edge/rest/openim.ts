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
import { CodedError, ErrorCatalogue, toWireError } from '../../core/errors.js'
import { F } from '../../core/schema.js'
import { command, type CommandTable, ItemConcurrency, requireImported, type RestCtx } from './context.js'
import { mapLimit } from '../../core/mapLimit.js'
import { strings } from './fields.js'
import { ContentFields, contentOf, MsgCode, MsgFields, msgSeqOf, MsgSeqField, prepareSender, SendOptionFields, sendOptionsOf } from './message.js'

function nowSec(ctx: RestCtx): number {
  return Math.floor(ctx.nowMs / 1000)
}

/**
 * `MsgTimeStamp` forces the message time (unix seconds); 0 or absent means the server clock.
 * Reply: `MsgTime`, `MsgKey`, and `MsgId` (the newer field; Parley's message id is the MsgKey).
 */
const sendMsg = command(F.object({
  From_Account: F.opt(MsgFields.from),
  To_Account: MsgFields.to,
  MsgRandom: MsgFields.random,
  MsgTimeStamp: F.opt(MsgFields.timeStamp),
  MsgSeq: MsgSeqField,
  ...ContentFields,
  ...SendOptionFields,
}), MsgCode, async (ctx, b) => {
  const to = b.To_Account
  const content = contentOf(b)
  await requireImported(ctx, [to], 'ACCOUNT_INVALID')
  const sender = await prepareSender(ctx, b.From_Account)
  const sent = await sendC2C(ctx.router, ctx.app, sender, {
    to, msgSeq: msgSeqOf(b.MsgSeq), random: b.MsgRandom, ...content, ...sendOptionsOf(b), time: b.MsgTimeStamp || undefined,
  }, ctx.nowMs)
  return { MsgTime: sent.msgTime, MsgKey: sent.msgKey, MsgId: sent.msgKey }
})

/**
 * One message to up to 500 targets (duplicates are sent once). Every copy has the same MsgSeq,
 * MsgRandom and time, hence the one `MsgKey` of the reply; `MsgTimeStamp` is not accepted here.
 * A repeated batch (same MsgRandom) is deduped per target, and a target that already had the
 * message keeps its first key: the reply gives the key stored for the first target that
 * succeeded, so a repeat of a whole batch answers with the first batch's key.
 *
 * `To_Account` holds 1..500 strings: empty 90003, above 500 90011 (`contains` makes the empty
 * list a failure of the field's own code, not of its size code); a string that is no UserID is
 * a per-target failure (70107).
 */
const batchSendMsg = command(F.object({
  From_Account: F.opt(MsgFields.from),
  To_Account: strings({
    max: Limits.batchSendTargets, contains: F.unknown(), code: 'BAD_TO_ACCOUNT', sizeCode: 'TOO_MANY_TARGETS',
    why: `must be an array of 1..${Limits.batchSendTargets} UserIDs`,
  }),
  MsgRandom: MsgFields.random,
  MsgSeq: MsgSeqField,
  ...ContentFields,
  ...SendOptionFields,
}), MsgCode, async (ctx, b) => {
  const msgSeq = msgSeqOf(b.MsgSeq)
  const random = b.MsgRandom
  const content = contentOf(b)
  const opts = sendOptionsOf(b)
  const sender = await prepareSender(ctx, b.From_Account)
  const time = nowSec(ctx)
  const unique = [...new Set(b.To_Account)]
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
})

/**
 * Imports a message with its original time. `SyncFromOldSystem` 2 = history (no unread count;
 * Parley has no offline push to suppress), 1 or 5 = realtime (counts as unread). Both views
 * store it. A repeat with the same From_Account, To_Account and MsgRandom (within the 24 h
 * dedupe window), or with the same MsgKey (MsgSeq, MsgRandom, MsgTimeStamp) in either
 * direction, is a duplicate and is acknowledged without storing again (the first import wins).
 */
const importMsg = command(F.object({
  From_Account: MsgFields.from,
  To_Account: MsgFields.to,
  MsgRandom: MsgFields.random,
  MsgTimeStamp: MsgFields.timeStamp,
  MsgSeq: MsgSeqField,
  SyncFromOldSystem: F.oneOf([1, 2, 5]),
  ...ContentFields,
}), MsgCode, async (ctx, b) => {
  const content = contentOf(b)
  await requireImported(ctx, [b.From_Account, b.To_Account], 'ACCOUNT_INVALID')
  await sendC2C(ctx.router, ctx.app, b.From_Account, {
    to: b.To_Account, msgSeq: msgSeqOf(b.MsgSeq), random: b.MsgRandom, ...content, time: b.MsgTimeStamp,
    syncOtherMachine: 1, onlineOnly: false, needReadReceipt: false, noUnread: b.SyncFromOldSystem === 2, noLastMsg: false,
  }, ctx.nowMs)
  return {}
})

export const openimCommands: CommandTable = {
  'openim/sendmsg': sendMsg,
  'openim/batchsendmsg': batchSendMsg,
  'openim/importmsg': importMsg,
}
