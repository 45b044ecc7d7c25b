/**
 * The conversation list over REST (docs/tencent-compat.md §2.6 `recentcontact`): `get_list`, `delete`.
 * Codes: a missing or mistyped field → 50002; `From_Account` not imported → 50001.
 */
import type { ConversationView } from '../../protocol/frames.js'
import { Limits } from '../../core/limits.js'
import { userIdField } from '../../core/ids.js'
import { F } from '../../core/schema.js'
import { convsOfUser, deleteC2C } from '../../services/c2c.js'
import { command, type CommandTable, requireImported } from './context.js'
import { Flag } from './fields.js'

const Code = 'RECENT_BAD_PARAMS'
/** Sessions per `get_list` page. */
const PageSize = Limits.maxPageSize
/** `AssistFlags` bit 0: the caller understands pinned sessions. */
const SupportsPinned = 1

function sessionItem(v: ConversationView, pinnedAware: boolean): Record<string, unknown> {
  const target = v.conv.startsWith('group:') ? { Type: 2, GroupId: v.peer } : { Type: 1, To_Account: v.peer }
  return { ...target, MsgTime: v.lastTime, TopFlag: pinnedAware && v.pinned ? 1 : 0 }
}

/**
 * Sessions of `From_Account`, newest activity first, `PageSize` per page from `StartIndex`.
 * With `AssistFlags` bit 0 pinned sessions come first with `TopFlag` 1; without it pinning is
 * invisible (every TopFlag 0, pure time order). `TimeStamp`, `TopTimeStamp` and
 * `TopStartIndex` are accepted and echoed (pinned sessions are not paged separately); bits 1
 * and 2 of `AssistFlags` have no effect.
 */
const getList = command(F.object({
  From_Account: userIdField(),
  StartIndex: F.opt(F.uint()),
  TimeStamp: F.opt(F.uint()),
  TopTimeStamp: F.opt(F.uint()),
  TopStartIndex: F.opt(F.uint()),
  AssistFlags: F.opt(F.uint()),
}), Code, async (ctx, b) => {
  const user = b.From_Account
  const start = b.StartIndex ?? 0
  const pinnedAware = ((b.AssistFlags ?? 0) & SupportsPinned) !== 0
  await requireImported(ctx, [user], 'RECENT_NOT_IMPORTED')
  const { conversations } = await convsOfUser(ctx.router, ctx.app, user)
  const ordered = pinnedAware ? conversations : [...conversations].sort((a, b) => b.lastTime - a.lastTime)
  const page = ordered.slice(start, start + PageSize)
  const next = Math.min(start, ordered.length) + page.length
  return {
    CompleteFlag: next >= ordered.length ? 1 : 0,
    TimeStamp: b.TimeStamp ?? 0,
    StartIndex: next,
    TopTimeStamp: b.TopTimeStamp ?? 0,
    TopStartIndex: b.TopStartIndex ?? 0,
    SessionItem: page.map((v) => sessionItem(v, pinnedAware)),
  }
})

/**
 * Deletes `From_Account`'s session with `To_Account` (`Type` 1; also spelled `type`); with
 * `ClearRamble` 1 the user's copy of the history goes too. Group sessions (`Type` 2) are not
 * supported yet (50002, like any other `Type`).
 */
const deleteSession = command(F.object({
  From_Account: userIdField(),
  Type: F.oneOf([1], { aliases: ['type'], why: 'must be 1 (group sessions, Type 2, are not supported yet)' }),
  To_Account: userIdField(),
  ClearRamble: F.opt(Flag),
}), Code, async (ctx, b) => {
  await requireImported(ctx, [b.From_Account], 'RECENT_NOT_IMPORTED')
  await deleteC2C(ctx.router, ctx.app, b.From_Account, b.To_Account, b.ClearRamble === 1)
  return {}
})

export const recentContactCommands: CommandTable = {
  'recentcontact/get_list': getList,
  'recentcontact/delete': deleteSession,
}
