/**
 * `group_open_http_svc/send_group_system_notification` (docs/tencent-compat.md §2.8, §4.7): the App admin
 * sends a custom system notice (type 255, `Content`) to some members of a group, or to all
 * of them when `ToMembers_Account` is absent or empty. It reaches each user as a notice in
 * their `@TIM#SYSTEM` conversation, like every group system notice (src/services/group.ts):
 * stored, pushed to every device, caught up after reconnect.
 *
 * Decisions where Tencent documents nothing: accounts in `ToMembers_Account` that are not
 * members are skipped (not an error); live rooms (AVChatRoom, BChatRoom) refuse with 10007,
 * since their audiences are unbounded and their notices would be stored per viewer;
 * `Content` is 1..1024 bytes.
 */
import { NoticeTypes, type Operator } from '../../../actors/group/protocol.js'
import { GroupTypeRules } from '../../../actors/group/rules.js'
import { ParleyError } from '../../core/errors.js'
import { askGroup, sendNotices } from '../../services/group.js'
import { Limits } from '../../core/limits.js'
import { F } from '../../core/schema.js'
import { command, type CommandTable, type RestCtx } from './context.js'
import { strings } from './fields.js'
import { GroupCode, GroupIdField } from './groupFields.js'

const Admin: Operator = { appAdmin: true }
/** Tencent's notice type for a custom notification. */
export const CUSTOM_NOTICE = NoticeTypes.custom

const sendGroupSystemNotification = command(F.object({
  GroupId: GroupIdField,
  Content: F.string({ nonEmpty: true, maxBytes: Limits.groupNoticeBytes }),
  ToMembers_Account: F.opt(strings({ max: Limits.groupAccountsPerRequest, sizeCode: 'GROUP_TOO_MANY_ACCOUNTS' })),
}), GroupCode, async (ctx, b) => {
  const { GroupId: groupId, Content: content, ToMembers_Account: targets } = b
  const view = await askGroup(ctx.router, ctx.app, groupId, { kind: 'info', by: Admin })
  if (!GroupTypeRules[view.group.type].storesHistory) {
    throw new ParleyError('GROUP_NO_PERMISSION', `${view.group.type} groups take no system notifications`)
  }
  const to = targets?.length ? await membersAmong(ctx, groupId, targets) : await allMembers(ctx, groupId)
  await sendNotices(ctx.router, ctx.app, groupId, { notify: [{ to, type: CUSTOM_NOTICE, detail: { Content: content } }] })
  return {}
})

async function membersAmong(ctx: RestCtx, groupId: string, accounts: string[]): Promise<string[]> {
  const roles = await askGroup(ctx.router, ctx.app, groupId, { kind: 'roles', accounts })
  return roles.filter((x) => x.role !== 'NotMember').map((x) => x.account)
}

async function allMembers(ctx: RestCtx, groupId: string): Promise<string[]> {
  const out: string[] = []
  for (let offset = 0; ; offset += Limits.groupMemberPage) {
    const page = await askGroup(ctx.router, ctx.app, groupId, { kind: 'members', by: Admin, offset, limit: Limits.groupMemberPage })
    out.push(...page.members.map((m) => m.account))
    if (page.members.length < Limits.groupMemberPage) return out
  }
}

export const groupNoticeCommands: CommandTable = {
  'group_open_http_svc/send_group_system_notification': sendGroupSystemNotification,
}
