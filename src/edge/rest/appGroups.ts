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
import { Limits } from '../../core/limits.js'
import { F } from '../../core/schema.js'
import { GroupTypes } from '../../model/group.js'
import { command, type CommandTable } from './context.js'
import { GroupCode } from './groupFields.js'

const getAppidGroupList = command(F.object({
  Limit: F.opt(F.int({ min: 1, max: Limits.appGroupPage })),
  Next: F.opt(F.uint()),
  GroupType: F.opt(F.oneOf(GroupTypes)),
}), GroupCode, async (ctx, b) => {
  const type = b.GroupType
  const page = await ctx.groupListing.listGroups(ctx.app, { fromKey: b.Next ?? 0, limit: b.Limit ?? Limits.appGroupPage, ...(type !== undefined ? { type } : {}) })
  return { TotalCount: page.total, GroupIdList: page.groups.map((g) => ({ GroupId: g.groupId })), Next: page.next }
})

export const appGroupCommands: CommandTable = {
  'group_open_http_svc/get_appid_group_list': getAppidGroupList,
}
