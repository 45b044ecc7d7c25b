/**
 * The app's group listing over REST (docs/tencent-compat.md §2.9 `group_open_http_svc/get_appid_group_list`):
 * every group of the calling app, optionally of one `GroupType`, paged by an integer cursor.
 *
 * Request: `Limit` 1..10000 (absent = 10000), `Next` (absent or 0 = the first page, else the
 * previous reply's `Next`), `GroupType` (one of the group types). A field of the wrong type,
 * a `Limit` of 0 or above 10000, a negative `Next`, or an unknown `GroupType` → 10004, before
 * the store is read.
 *
 * Reply: `TotalCount` (the app's groups, of `GroupType` when given), `GroupIdList[{GroupId}]`
 * (at most `Limit`), `Next` (0 = no more pages). `Next` is a position in the store's listing
 * order (`GroupStore.listGroups`: a 52-bit hash of the GroupId), not an offset: a walk lists
 * every group that exists throughout it, a group at most twice (only when two GroupIds share
 * a hash across a page boundary), and more than `Limit` only when over `Limit` GroupIds share
 * one hash. `TotalCount` is counted on every call, at a cost linear in the app's groups.
 */
import { type GroupType, GroupTypes } from '../../model/group.js'
import type { CommandTable, RestCtx } from './context.js'
import { type Body, BodyReader } from './fields.js'
import { GroupCode } from './groupFields.js'

/** Most GroupIds one page may hold, and the page size when `Limit` is absent. */
export const MaxAppGroupPage = 10000

function readGroupType(r: BodyReader): GroupType | undefined {
  const v = r.optString('GroupType')
  if (v === undefined) return undefined
  return (GroupTypes as readonly string[]).includes(v) ? (v as GroupType) : r.fail('GroupType', `must be one of ${GroupTypes.join(', ')}`)
}

async function getAppidGroupList(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, GroupCode)
  const limit = r.optUint('Limit') ?? MaxAppGroupPage
  if (limit < 1 || limit > MaxAppGroupPage) r.fail('Limit', `must be 1..${MaxAppGroupPage}`)
  const fromKey = r.optUint('Next') ?? 0
  const type = readGroupType(r)
  const page = await ctx.groupListing.listGroups(ctx.app, { fromKey, limit, ...(type !== undefined ? { type } : {}) })
  return { TotalCount: page.total, GroupIdList: page.groups.map((g) => ({ GroupId: g.groupId })), Next: page.next }
}

export const appGroupCommands: CommandTable = {
  'group_open_http_svc/get_appid_group_list': getAppidGroupList,
}
