/**
 * The conversation list over REST (docs/tencent-compat.md §2.6 `recentcontact`): `get_list`, `delete`.
 * Codes: a missing or mistyped field → 50002; `From_Account` not imported → 50001.
 */
import type { ConversationView, ConvsResult } from '../../protocol/frames.js'
import { Limits } from '../../core/limits.js'
import { askUser, type CommandTable, requireImported, type RestCtx } from './context.js'
import { type Body, BodyReader } from './fields.js'

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
async function getList(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, Code)
  const user = r.userId('From_Account')
  const start = r.optUint('StartIndex') ?? 0
  const timeStamp = r.optUint('TimeStamp') ?? 0
  const topTimeStamp = r.optUint('TopTimeStamp') ?? 0
  const topStartIndex = r.optUint('TopStartIndex') ?? 0
  const pinnedAware = ((r.optUint('AssistFlags') ?? 0) & SupportsPinned) !== 0
  await requireImported(ctx, [user], 'RECENT_NOT_IMPORTED')
  const { conversations } = await askUser(ctx, user, { kind: 'convs' })
  const ordered = pinnedAware ? conversations : [...conversations].sort((a, b) => b.lastTime - a.lastTime)
  const page = ordered.slice(start, start + PageSize)
  const next = Math.min(start, ordered.length) + page.length
  return {
    CompleteFlag: next >= ordered.length ? 1 : 0,
    TimeStamp: timeStamp,
    StartIndex: next,
    TopTimeStamp: topTimeStamp,
    TopStartIndex: topStartIndex,
    SessionItem: page.map((v) => sessionItem(v, pinnedAware)),
  }
}

/**
 * Deletes `From_Account`'s session with `To_Account` (`Type` 1; also spelled `type`); with
 * `ClearRamble` 1 the user's copy of the history goes too. Group sessions (`Type` 2) are not
 * supported yet (50002).
 */
async function deleteSession(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, Code)
  const user = r.userId('From_Account')
  const type = r.oneOf(['Type', 'type'], [1, 2] as const)
  if (type === 2) r.fail('Type', 'group sessions are not supported yet')
  const peer = r.userId('To_Account')
  const clearHistory = r.flag('ClearRamble')
  await requireImported(ctx, [user], 'RECENT_NOT_IMPORTED')
  await askUser(ctx, user, { kind: 'deleteConv', peer, clearHistory })
  return {}
}

export const recentContactCommands: CommandTable = {
  'recentcontact/get_list': getList,
  'recentcontact/delete': deleteSession,
}
