/**
 * Group management over REST (docs/tencent-compat.md §2.7 `group_open_http_svc`). The caller is the App
 * admin, who acts as owner in every group. Every field is read before any actor is asked
 * (bad field 10004, bad GroupId 10015, too many accounts 10005); the group's own rules then
 * answer 10007 (not allowed for this type), 10010 (no such group), 10014 (full), 10019
 * (account not imported), 10021/10025 (id taken).
 */
import type { GroupView, Operator } from '../../../actors/group/protocol.js'
import { CodedError, ErrorCatalogue, ParleyError } from '../../core/errors.js'
import { isGroupId, userIdField } from '../../core/ids.js'
import { Limits } from '../../core/limits.js'
import { F } from '../../core/schema.js'
import { GroupRoles, GroupTypes, MsgFlags } from '../../model/group.js'
import {
  addGroupMembers, askAndNotify, askGroup, buildGroupRecord, createGroup, joinedGroups, missingAccounts,
} from '../../services/group.js'
import { command, type CommandTable, ItemConcurrency, type RestCtx } from './context.js'
import { mapLimit } from '../../core/mapLimit.js'
import { Flag, strings } from './fields.js'
import {
  customMap, FilterField, filteredInfo, GroupCode, GroupIdBody, GroupIdField, GroupNameField, memberJson, MemberCustomField,
  MemberRoleField, NewGroupFields, profileChanges, ProfileFields,
} from './groupFields.js'
import { appGroupCommands } from './appGroups.js'
import { groupMessageCommands } from './groupMessages.js'
import { groupNoticeCommands } from './groupNotices.js'
import { groupImportCommands } from './groupImport.js'

/** The calling App admin, who acts as owner in every group (and is named as the operator in tips). */
const admin = (ctx: RestCtx): Operator => ({ appAdmin: true, adminId: ctx.admin })
const nowSec = (ctx: RestCtx): number => Math.floor(ctx.nowMs / 1000)

/** 1..500 account strings (10005 outside); a string that is no UserID is the group's per-account rule. */
const Accounts = strings({ min: 1, max: Limits.groupAccountsPerRequest, sizeCode: 'GROUP_TOO_MANY_ACCOUNTS' })
const MuteTime = F.u32({ aliases: ['ShutUpTime'] })

const createGroupCmd = command(F.object({
  ...NewGroupFields,
  MemberList: F.opt(F.array(F.object({
    Member_Account: userIdField(),
    Role: F.opt(MemberRoleField),
    AppMemberDefinedData: F.opt(MemberCustomField),
  }), { max: Limits.groupCreateMembers, sizeCode: 'GROUP_TOO_MANY_ACCOUNTS' })),
}), GroupCode, async (ctx, b) => {
  const members = (b.MemberList ?? []).map((m) => ({
    account: m.Member_Account, role: m.Role, appMemberDefinedData: customMap(m.AppMemberDefinedData),
  }))
  const record = buildGroupRecord(b.Type, { ...profileChanges(b), name: b.Name }, b.Owner_Account ?? '', nowSec(ctx))
  const created = await createGroup(ctx.router, ctx.app, { groupId: b.GroupId, record, members })
  return { GroupId: created.groupId }
})

const getGroupInfo = command(F.object({
  GroupIdList: strings({ min: 1, max: Limits.groupInfoBatch }),
  ResponseFilter: F.opt(F.object({
    GroupBaseInfoFilter: FilterField,
    MemberInfoFilter: FilterField,
    AppDefinedDataFilter_Group: FilterField,
    AppDefinedDataFilter_GroupMember: FilterField,
  })),
}), GroupCode, async (ctx, b) => {
  const filter = b.ResponseFilter
  const memberFields = filter?.MemberInfoFilter
  const GroupInfo = await mapLimit(b.GroupIdList, ItemConcurrency, async (groupId) => {
    if (!isGroupId(groupId)) return { GroupId: groupId, ErrorCode: ErrorCatalogue.GROUP_BAD_ID.code, ErrorInfo: ErrorCatalogue.GROUP_BAD_ID.message }
    try {
      const v = await askGroup(ctx.router, ctx.app, groupId, { kind: 'info', by: admin(ctx) })
      const info = filteredInfo(v, filter?.GroupBaseInfoFilter, filter?.AppDefinedDataFilter_Group, filter !== undefined)
      if (!filter || memberFields) {
        const page = await askGroup(ctx.router, ctx.app, groupId, { kind: 'members', by: admin(ctx), offset: 0, limit: Limits.groupMemberPage })
        info['MemberList'] = page.members.map((m) => memberJson(m, memberFields, filter?.AppDefinedDataFilter_GroupMember))
      }
      return { ...info, ErrorCode: 0, ErrorInfo: '' }
    } catch (e) {
      if (!(e instanceof CodedError)) throw e
      return { GroupId: groupId, ErrorCode: e.code, ErrorInfo: e.message }
    }
  })
  return { GroupInfo }
})

/** `Limit` absent or 0: a whole page of 6000. */
const getGroupMemberInfo = command(F.object({
  GroupId: GroupIdField,
  Limit: F.opt(F.uint({ max: Limits.groupMemberPage })),
  Offset: F.opt(F.uint()),
  MemberInfoFilter: FilterField,
  MemberRoleFilter: F.opt(F.array(F.oneOf(GroupRoles), { max: GroupRoles.length })),
  AppDefinedDataFilter_GroupMember: FilterField,
}), GroupCode, async (ctx, b) => {
  const roles = b.MemberRoleFilter
  const page = await askGroup(ctx.router, ctx.app, b.GroupId, {
    kind: 'members', by: admin(ctx), offset: b.Offset ?? 0, limit: b.Limit || Limits.groupMemberPage, ...(roles?.length ? { roles } : {}),
  })
  return { MemberNum: page.memberNum, MemberList: page.members.map((m) => memberJson(m, b.MemberInfoFilter, b.AppDefinedDataFilter_GroupMember)) }
})

/** `From_Account` is checked and not used: the App admin makes the change. */
const modifyGroupBaseInfo = command(F.object({
  GroupId: GroupIdField,
  From_Account: F.opt(userIdField()),
  Name: F.opt(GroupNameField),
  ...ProfileFields,
}), GroupCode, async (ctx, b) => {
  await askGroup(ctx.router, ctx.app, b.GroupId, { kind: 'modify', by: admin(ctx), changes: profileChanges(b) })
  return {}
})

const addGroupMember = command(F.object({
  GroupId: GroupIdField,
  Silence: F.opt(Flag),
  MemberList: F.array(F.object({ Member_Account: F.string() }), {
    min: 1, max: Limits.groupAccountsPerRequest, sizeCode: 'GROUP_TOO_MANY_ACCOUNTS',
  }),
}), GroupCode, async (ctx, b) => {
  const accounts = b.MemberList.map((m) => m.Member_Account)
  const results = await addGroupMembers(ctx.router, ctx.app, admin(ctx), b.GroupId, accounts, b.Silence === 1)
  return { MemberList: results.map((x) => ({ Member_Account: x.account, Result: x.result })) }
})

/** `Silence` and `Reason` are checked and not used. */
const deleteGroupMember = command(F.object({
  GroupId: GroupIdField,
  Silence: F.opt(Flag),
  Reason: F.opt(F.string({ maxBytes: Limits.memberRemoveReasonBytes })),
  MemberToDel_Account: Accounts,
}), GroupCode, async (ctx, b) => {
  await askAndNotify(ctx.router, ctx.app, b.GroupId, { kind: 'removeMembers', by: admin(ctx), accounts: b.MemberToDel_Account })
  return {}
})

const modifyGroupMemberInfo = command(F.object({
  GroupId: GroupIdField,
  Member_Account: userIdField(),
  Role: F.opt(MemberRoleField),
  NameCard: F.opt(F.string({ maxBytes: Limits.memberNameCard })),
  MsgFlag: F.opt(F.oneOf(MsgFlags)),
  MuteTime: F.opt(MuteTime),
  AppMemberDefinedData: F.opt(MemberCustomField),
}), GroupCode, async (ctx, b) => {
  const changes = {
    role: b.Role, nameCard: b.NameCard, msgFlag: b.MsgFlag, muteTime: b.MuteTime, appMemberDefinedData: customMap(b.AppMemberDefinedData),
  }
  await askAndNotify(ctx.router, ctx.app, b.GroupId, { kind: 'setMember', by: admin(ctx), account: b.Member_Account, changes })
  return {}
})

const destroyGroup = command(GroupIdBody, GroupCode, async (ctx, b) => {
  await askAndNotify(ctx.router, ctx.app, b.GroupId, { kind: 'destroy', by: admin(ctx) })
  return {}
})

/**
 * The groups of `Member_Account`, ordered by GroupId: AVChatRoom only with `WithHugeGroups`
 * 1, filtered by `GroupType`; paged by `Offset`/`Limit` (default all); with
 * `ResponseFilter.GroupBaseInfoFilter` each item carries those base fields, with
 * `SelfInfoFilter` a `SelfInfo` (Role, JoinTime). `WithNoActiveGroups` is checked and not used.
 */
const getJoinedGroupList = command(F.object({
  Member_Account: userIdField(),
  Limit: F.opt(F.uint()),
  Offset: F.opt(F.uint()),
  GroupType: F.opt(F.oneOf(GroupTypes, { aliases: ['Type'] })),
  WithHugeGroups: F.opt(Flag),
  WithNoActiveGroups: F.opt(Flag),
  ResponseFilter: F.opt(F.object({ GroupBaseInfoFilter: FilterField, SelfInfoFilter: FilterField })),
}), GroupCode, async (ctx, b) => {
  const user = b.Member_Account
  const { Limit: limit, GroupType: typeName } = b
  const offset = b.Offset ?? 0
  const huge = b.WithHugeGroups === 1
  const base = b.ResponseFilter?.GroupBaseInfoFilter
  const self = b.ResponseFilter?.SelfInfoFilter
  if ((await missingAccounts(ctx.router, ctx.app, [user])).length) throw new ParleyError('GROUP_ACCOUNT_MISSING', user)
  const joined = await joinedGroups(ctx.router, ctx.app, user)
  const infos = await mapLimit(joined, ItemConcurrency, (j) =>
    askGroup(ctx.router, ctx.app, j.groupId, { kind: 'info', by: admin(ctx) }).catch(() => undefined))
  const rows = joined.map((j, i) => ({ j, v: infos[i] })).filter((x): x is { j: typeof x.j; v: GroupView } =>
    x.v !== undefined && (typeName === undefined || x.v.group.type === typeName) && (huge || x.v.group.type !== 'AVChatRoom'))
  const page = rows.slice(offset, limit === undefined ? undefined : offset + limit)
  const roles = await mapLimit(page, ItemConcurrency, (x) => self
    ? askGroup(ctx.router, ctx.app, x.j.groupId, { kind: 'roles', accounts: [user] }).then((a) => a[0]?.role)
    : Promise.resolve(undefined))
  const GroupIdList = page.map((x, i) => ({
    ...(base ? filteredInfo(x.v, base, undefined, true) : { GroupId: x.j.groupId }),
    ...(self ? { SelfInfo: { Role: roles[i], JoinTime: x.j.joinTime } } : {}),
  }))
  return { TotalCount: rows.length, GroupIdList }
})

const getRoleInGroup = command(F.object({ GroupId: GroupIdField, User_Account: Accounts }), GroupCode, async (ctx, b) => {
  const roles = await askGroup(ctx.router, ctx.app, b.GroupId, { kind: 'roles', accounts: b.User_Account })
  return { UserIdList: roles.map((x) => ({ Member_Account: x.account, Role: x.role })) }
})

const forbidSendMsg = command(F.object({
  GroupId: GroupIdField,
  Members_Account: Accounts,
  MuteTime,
}), GroupCode, async (ctx, b) => {
  await askGroup(ctx.router, ctx.app, b.GroupId, { kind: 'mute', by: admin(ctx), accounts: b.Members_Account, seconds: b.MuteTime })
  return {}
})

const getGroupMutedAccount = command(GroupIdBody, GroupCode, async (ctx, b) => {
  const muted = await askGroup(ctx.router, ctx.app, b.GroupId, { kind: 'muted', by: admin(ctx) })
  return { MutedAccountList: muted.map((m) => ({ Member_Account: m.account, MutedUntil: m.until })) }
})

const changeGroupOwner = command(F.object({ GroupId: GroupIdField, NewOwner_Account: userIdField() }), GroupCode, async (ctx, b) => {
  await askGroup(ctx.router, ctx.app, b.GroupId, { kind: 'changeOwner', by: admin(ctx), newOwner: b.NewOwner_Account })
  return {}
})

export const groupCommands: CommandTable = {
  'group_open_http_svc/create_group': createGroupCmd,
  'group_open_http_svc/get_group_info': getGroupInfo,
  'group_open_http_svc/get_group_member_info': getGroupMemberInfo,
  'group_open_http_svc/modify_group_base_info': modifyGroupBaseInfo,
  'group_open_http_svc/add_group_member': addGroupMember,
  'group_open_http_svc/delete_group_member': deleteGroupMember,
  'group_open_http_svc/modify_group_member_info': modifyGroupMemberInfo,
  'group_open_http_svc/destroy_group': destroyGroup,
  'group_open_http_svc/get_joined_group_list': getJoinedGroupList,
  'group_open_http_svc/get_role_in_group': getRoleInGroup,
  'group_open_http_svc/forbid_send_msg': forbidSendMsg,
  'group_open_http_svc/get_group_muted_account': getGroupMutedAccount,
  'group_open_http_svc/change_group_owner': changeGroupOwner,
  ...appGroupCommands,
  ...groupMessageCommands,
  ...groupNoticeCommands,
  ...groupImportCommands,
}
