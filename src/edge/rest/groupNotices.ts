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
import { type GroupView, type MembersPage, NoticeTypes, type Operator } from '../../../actors/group/protocol.js'
import { GroupTypeRules } from '../../../actors/group/rules.js'
import { ParleyError } from '../../core/errors.js'
import { askGroup, sendNotices } from '../../services/group.js'
import type { CommandTable, RestCtx } from './context.js'
import { type Body, BodyReader } from './fields.js'
import { GroupCode, readGroupId } from './groupFields.js'

const Admin: Operator = { appAdmin: true }
/** Tencent's notice type for a custom notification. */
export const CUSTOM_NOTICE = NoticeTypes.custom
const MaxContentBytes = 1024
const MaxTargets = 500
const MemberPage = 6000

async function sendGroupSystemNotification(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = new BodyReader(body, GroupCode)
  const groupId = readGroupId(r)
  const content = r.string('Content', { maxBytes: MaxContentBytes, nonEmpty: true })
  const targets = r.optStrings('ToMembers_Account', { min: 0, max: MaxTargets, sizeCode: 'GROUP_TOO_MANY_ACCOUNTS' })
  const view = await askGroup(ctx.router, ctx.app, groupId, { kind: 'info', by: Admin })
  if (!GroupTypeRules[view.group.type].storesHistory) {
    throw new ParleyError('GROUP_NO_PERMISSION', `${view.group.type} groups take no system notifications`)
  }
  const to = targets?.length ? await membersAmong(ctx, groupId, targets) : await allMembers(ctx, groupId)
  await sendNotices(ctx.router, ctx.app, groupId, { notify: [{ to, type: CUSTOM_NOTICE, detail: { Content: content } }] })
  return {}
}

async function membersAmong(ctx: RestCtx, groupId: string, accounts: string[]): Promise<string[]> {
  const roles = await askGroup(ctx.router, ctx.app, groupId, { kind: 'roles', accounts })
  return roles.filter((x) => x.role !== 'NotMember').map((x) => x.account)
}

async function allMembers(ctx: RestCtx, groupId: string): Promise<string[]> {
  const out: string[] = []
  for (let offset = 0; ; offset += MemberPage) {
    const page = await askGroup(ctx.router, ctx.app, groupId, { kind: 'members', by: Admin, offset, limit: MemberPage })
    out.push(...page.members.map((m) => m.account))
    if (page.members.length < MemberPage) return out
  }
}

export const groupNoticeCommands: CommandTable = {
  'group_open_http_svc/send_group_system_notification': sendGroupSystemNotification,
}
