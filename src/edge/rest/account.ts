/**
 * Accounts (docs/tencent-compat.md §2.3): `im_open_login_svc/*` and the online-status queries of `openim`.
 *
 * Codes: a missing or mistyped field → 70402; a batch outside its size (empty, or above 100
 * accounts / 500 status targets) → 70206; an account that is not imported → 70107, per item
 * in batch replies. A string that cannot be a UserID is reported like an account that does
 * not exist (it cannot be one; for imports it is listed in FailAccounts) and never reaches an
 * actor.
 */
import type { Platform } from '../../model/platform.js'
import { Limits } from '../../core/limits.js'
import { isUserId, userIdField } from '../../core/ids.js'
import { CodedError, ErrorCatalogue, toWireError } from '../../core/errors.js'
import { askUser, command, type CommandTable, isImported, ItemConcurrency, requireImported, type RestCtx } from './context.js'
import { mapLimit } from '../../core/mapLimit.js'
import { F, type TSchema } from '../../core/schema.js'
import type { StatusResult } from '../../../actors/user/protocol.js'
import { Flag } from './fields.js'

const Code = 'INVALID_PARAMS'
const NotImported = ErrorCatalogue.ACCOUNT_NOT_IMPORTED

interface ItemResult { ResultCode: number; ResultInfo: string }

const itemOk: ItemResult = { ResultCode: 0, ResultInfo: '' }
const itemNotImported: ItemResult = { ResultCode: NotImported.code, ResultInfo: NotImported.message }

/** Runs one item's request; a failure becomes that item's result instead of the call's. */
async function perItem<T extends ItemResult>(ctx: RestCtx, run: () => Promise<T>): Promise<T | ItemResult> {
  try {
    return await run()
  } catch (e) {
    if (!(e instanceof CodedError)) ctx.log.error('REST item failed', { error: String(e) })
    const w = toWireError(e)
    return { ResultCode: w.code, ResultInfo: w.message }
  }
}

/** A UserID given as `UserID` or, in old clients, `Identifier`. */
const UserIdFields = { UserID: userIdField({ aliases: ['Identifier'] }) }
/** A batch of account items: 1..100, else 70206. */
const batch = <T extends TSchema>(item: T) => F.array(item, { min: 1, max: Limits.accountBatch, sizeCode: 'BATCH_TOO_LARGE' })
/** `DeleteItem` / `CheckItem` entries: maps of `{UserID}` (or the old `Identifier`); a string that is no UserID is reported per item. */
const AccountItems = batch(F.object({ UserID: F.string({ aliases: ['Identifier'] }) }))

const accountImport = command(F.object({
  ...UserIdFields,
  Nick: F.opt(F.string({ maxBytes: Limits.accountProfileBytes })),
  FaceUrl: F.opt(F.string({ maxBytes: Limits.accountProfileBytes })),
}), Code, async (ctx, b) => {
  await askUser(ctx, b.UserID, { kind: 'importAccount', nick: b.Nick, faceUrl: b.FaceUrl })
  return {}
})

const multiAccountImport = command(F.object({ Accounts: batch(F.string()) }), Code, async (ctx, b) => {
  const ids = b.Accounts
  const results = await mapLimit(ids, ItemConcurrency, (id) => perItem(ctx, async () => {
    if (!isUserId(id)) return { ResultCode: ErrorCatalogue.INVALID_PARAMS.code, ResultInfo: 'not a valid UserID' }
    await askUser(ctx, id, { kind: 'importAccount' })
    return itemOk
  }))
  return { FailAccounts: ids.filter((_, i) => results[i].ResultCode !== 0) }
})

const accountDelete = command(F.object({ DeleteItem: AccountItems }), Code, async (ctx, b) => {
  const ids = b.DeleteItem.map((x) => x.UserID)
  const results = await mapLimit(ids, ItemConcurrency, (id) => perItem(ctx, async () => {
    if (!isUserId(id)) return itemNotImported
    const { existed } = await askUser(ctx, id, { kind: 'deleteAccount' })
    return existed ? itemOk : itemNotImported
  }))
  return { ResultItem: ids.map((id, i) => ({ ...results[i], UserID: id })) }
})

const accountCheck = command(F.object({ CheckItem: AccountItems }), Code, async (ctx, b) => {
  const ids = b.CheckItem.map((x) => x.UserID)
  const results = await mapLimit(ids, ItemConcurrency, (id) => perItem(ctx, async () => ({
    ...itemOk, AccountStatus: isUserId(id) && await isImported(ctx, id) ? 'Imported' : 'NotImported',
  })))
  return { ResultItem: ids.map((id, i) => ({ UserID: id, AccountStatus: 'NotImported', ...results[i] })) }
})

const kick = command(F.object(UserIdFields), Code, async (ctx, b) => {
  await requireImported(ctx, [b.UserID], 'ACCOUNT_NOT_IMPORTED')
  await askUser(ctx, b.UserID, { kind: 'kick' })
  return {}
})

/** Tencent's platform names in `Detail` (iPhone, Android, Web, PC, iPad, Mac). */
const PlatformNames: Record<Platform, string> = {
  Web: 'Web', Android: 'Android', iOS: 'iPhone', Windows: 'PC', Mac: 'Mac', iPad: 'iPad', Linux: 'PC',
}

type StatusRow = { id: string; status: StatusResult } | { id: string; error: number }

async function statusOf(ctx: RestCtx, id: string): Promise<StatusRow> {
  if (!isUserId(id)) return { id, error: NotImported.code }
  try {
    const status = await askUser(ctx, id, { kind: 'status' })
    // An online user is imported (login imports); only offline ones need the check.
    if (!status.online && !(await isImported(ctx, id))) return { id, error: NotImported.code }
    return { id, status }
  } catch (e) {
    return { id, error: toWireError(e).code }
  }
}

/**
 * `openim/query_online_status` (new: item field `Status`) and `openim/querystate` (old: item
 * field `State`; the reply carries both spellings so old and new clients each find theirs).
 */
const OnlineStatusBody = F.object({
  To_Account: F.array(F.string(), { min: 1, max: Limits.queryOnlineStatusBatch, sizeCode: 'BATCH_TOO_LARGE' }),
  IsNeedDetail: F.opt(Flag),
})

function onlineStatus(legacy: boolean) {
  return command(OnlineStatusBody, Code, async (ctx, b) => {
    const detail = b.IsNeedDetail === 1
    const rows = await mapLimit(b.To_Account, ItemConcurrency, (id) => statusOf(ctx, id))
    const QueryResult: Record<string, unknown>[] = []
    const ErrorList: { To_Account: string; ErrorCode: number }[] = []
    for (const row of rows) {
      if ('error' in row) {
        ErrorList.push({ To_Account: row.id, ErrorCode: row.error })
        continue
      }
      const word = row.status.online ? 'Online' : 'Offline'
      const item: Record<string, unknown> = legacy ? { To_Account: row.id, State: word, Status: word } : { To_Account: row.id, Status: word }
      if (detail) item.Detail = row.status.devices.map((d) => ({ Platform: PlatformNames[d.platform], Status: 'Online' }))
      QueryResult.push(item)
    }
    return { QueryResult, ErrorList }
  })
}

export const accountCommands: CommandTable = {
  'im_open_login_svc/account_import': accountImport,
  'im_open_login_svc/multiaccount_import': multiAccountImport,
  'im_open_login_svc/account_delete': accountDelete,
  'im_open_login_svc/account_check': accountCheck,
  'im_open_login_svc/kick': kick,
  'openim/query_online_status': onlineStatus(false),
  'openim/querystate': onlineStatus(true),
}
