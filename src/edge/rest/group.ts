/**
 * Group management over REST (docs/tencent-compat.md §2.7 `group_open_http_svc`). The caller is the App
 * admin, who acts as owner in every group. Every field is read before any actor is asked
 * (bad field 10004, bad GroupId 10015, too many accounts 10005); the group's own rules then
 * answer 10007 (not allowed for this type), 10010 (no such group), 10014 (full), 10019
 * (account not imported), 10021/10025 (id taken).
 */
import type { GroupView, MembersPage, Operator } from '../../../actors/group/protocol.js'
import { isPlainObject } from '../../core/schema.js'
import { GroupTypeRules } from '../../../actors/group/rules.js'
import { CodedError, ErrorCatalogue, ParleyError } from '../../core/errors.js'
import {
  addGroupMembers, askAndNotify, askGroup, buildGroupRecord, createGroup, isGroupId, joinedGroups, missingAccounts,
} from '../../services/group.js'
import { type CommandTable, ItemConcurrency, type RestCtx } from './context.js'
import { mapLimit } from '../../core/mapLimit.js'
import { type Body, BodyReader } from './fields.js'
import {
  FieldLimits, filteredInfo, GroupCode, memberJson, readCustom, readFilter, readGroupId, readMsgFlag, readProfile,
  readRoles, readType,
} from './groupFields.js'
import { appGroupCommands } from './appGroups.js'
import { groupMessageCommands } from './groupMessages.js'
import { groupNoticeCommands } from './groupNotices.js'
import { groupImportCommands } from './groupImport.js'

/** The calling App admin, who acts as owner in every group (and is named as the operator in tips). */
const admin = (ctx: RestCtx): Operator => ({ appAdmin: true, adminId: ctx.admin })
const Batch = { accounts: 500, createMembers: 100, infoGroups: 50, members: 6000 } as const
const accountList = { min: 1, sizeCode: 'GROUP_TOO_MANY_ACCOUNTS' } as const

const reader = (body: Body): BodyReader => new BodyReader(body, GroupCode)
const nowSec = (ctx: RestCtx): number => Math.floor(ctx.nowMs / 1000)

/** A nested map field as a reader (10004 when not a map); undefined when absent. */
function subMap(r: BodyReader, name: string): BodyReader | undefined {
  const v = r.pick(name)
  if (v === undefined) return undefined
  return isPlainObject(v.value) ? new BodyReader(v.value, GroupCode, `${name}.`) : r.fail(name, 'must be a map')
}

function ids(r: BodyReader, name: string, max: number): string[] {
  return r.strings(name, { ...accountList, max })
}

async function createGroupCmd(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const type = readType(r)
  const name = r.string('Name', { maxBytes: FieldLimits.name, nonEmpty: true })
  const owner = r.optUserId('Owner_Account') ?? ''
  const groupId = r.pick('GroupId') === undefined ? undefined : r.string('GroupId')
  const profile = readProfile(r)
  const members = r.optArray('MemberList', { min: 0, max: Batch.createMembers, sizeCode: 'GROUP_TOO_MANY_ACCOUNTS' }) === undefined
    ? [] : r.items('MemberList', { min: 0, max: Batch.createMembers }).map((m) => ({
      account: m.userId('Member_Account'),
      role: (() => {
        const role = m.optString('Role')
        if (role !== undefined && role !== 'Admin' && role !== 'Member') m.fail('Role', 'must be Admin or Member')
        return role as 'Admin' | 'Member' | undefined
      })(),
      appMemberDefinedData: readCustom(m, 'AppMemberDefinedData', true),
    }))
  const record = buildGroupRecord(type, { ...profile, name }, owner, nowSec(ctx))
  const created = await createGroup(ctx.router, ctx.app, { groupId, record, members })
  return { GroupId: created.groupId }
}

async function getGroupInfo(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const list = r.strings('GroupIdList', { min: 1, max: Batch.infoGroups })
  const filter = subMap(r, 'ResponseFilter')
  const base = filter && readFilter(filter, 'GroupBaseInfoFilter')
  const memberFields = filter && readFilter(filter, 'MemberInfoFilter')
  const appKeys = filter && readFilter(filter, 'AppDefinedDataFilter_Group')
  const memberKeys = filter && readFilter(filter, 'AppDefinedDataFilter_GroupMember')
  const GroupInfo = await mapLimit(list, ItemConcurrency, async (groupId) => {
    if (!isGroupId(groupId)) return { GroupId: groupId, ErrorCode: ErrorCatalogue.GROUP_BAD_ID.code, ErrorInfo: ErrorCatalogue.GROUP_BAD_ID.message }
    try {
      const v = await askGroup(ctx.router, ctx.app, groupId, { kind: 'info', by: admin(ctx) })
      const info = filteredInfo(v, base, appKeys, filter !== undefined)
      if (!filter || memberFields) {
        const page = await askGroup(ctx.router, ctx.app, groupId, { kind: 'members', by: admin(ctx), offset: 0, limit: Batch.members })
        info['MemberList'] = page.members.map((m) => memberJson(m, memberFields, memberKeys))
      }
      return { ...info, ErrorCode: 0, ErrorInfo: '' }
    } catch (e) {
      if (!(e instanceof CodedError)) throw e
      return { GroupId: groupId, ErrorCode: e.code, ErrorInfo: e.message }
    }
  })
  return { GroupInfo }
}

async function getGroupMemberInfo(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const groupId = readGroupId(r)
  const limit = r.optUint('Limit') ?? Batch.members
  if (limit > Batch.members) r.fail('Limit', `at most ${Batch.members}`)
  const offset = r.optUint('Offset') ?? 0
  const fields = readFilter(r, 'MemberInfoFilter')
  const roles = readRoles(r, 'MemberRoleFilter')
  const appKeys = readFilter(r, 'AppDefinedDataFilter_GroupMember')
  const page = await askGroup(ctx.router, ctx.app, groupId, {
    kind: 'members', by: admin(ctx), offset, limit: limit || Batch.members, ...(roles?.length ? { roles } : {}),
  })
  return { MemberNum: page.memberNum, MemberList: page.members.map((m) => memberJson(m, fields, appKeys)) }
}

async function modifyGroupBaseInfo(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const groupId = readGroupId(r)
  r.optUserId('From_Account')
  const changes = readProfile(r)
  await askGroup(ctx.router, ctx.app, groupId, { kind: 'modify', by: admin(ctx), changes })
  return {}
}

async function addGroupMember(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const groupId = readGroupId(r)
  const silence = r.flag('Silence')
  const accounts = r.items('MemberList', { ...accountList, max: Batch.accounts }).map((m) => m.string('Member_Account'))
  const results = await addGroupMembers(ctx.router, ctx.app, admin(ctx), groupId, accounts, silence)
  return { MemberList: results.map((x) => ({ Member_Account: x.account, Result: x.result })) }
}

async function deleteGroupMember(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const groupId = readGroupId(r)
  r.flag('Silence')
  r.optString('Reason', { maxBytes: 256 })
  const accounts = ids(r, 'MemberToDel_Account', Batch.accounts)
  await askAndNotify(ctx.router, ctx.app, groupId, { kind: 'removeMembers', by: admin(ctx), accounts })
  return {}
}

async function modifyGroupMemberInfo(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const groupId = readGroupId(r)
  const account = r.userId('Member_Account')
  const role = r.optString('Role')
  if (role !== undefined && role !== 'Admin' && role !== 'Member') r.fail('Role', 'must be Admin or Member')
  const changes = {
    role: role as 'Admin' | 'Member' | undefined,
    nameCard: r.optString('NameCard', { maxBytes: FieldLimits.nameCard }),
    msgFlag: readMsgFlag(r),
    muteTime: r.optU32(['MuteTime', 'ShutUpTime']),
    appMemberDefinedData: readCustom(r, 'AppMemberDefinedData', true),
  }
  await askAndNotify(ctx.router, ctx.app, groupId, { kind: 'setMember', by: admin(ctx), account, changes })
  return {}
}

async function destroyGroup(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const groupId = readGroupId(reader(body))
  await askAndNotify(ctx.router, ctx.app, groupId, { kind: 'destroy', by: admin(ctx) })
  return {}
}

/**
 * The groups of `Member_Account`, ordered by GroupId: AVChatRoom only with `WithHugeGroups`
 * 1, filtered by `GroupType`; paged by `Offset`/`Limit` (default all); with
 * `ResponseFilter.GroupBaseInfoFilter` each item carries those base fields, with
 * `SelfInfoFilter` a `SelfInfo` (Role, JoinTime).
 */
async function getJoinedGroupList(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const user = r.userId('Member_Account')
  const limit = r.optUint('Limit')
  const offset = r.optUint('Offset') ?? 0
  const typeName = r.optString(['GroupType', 'Type'])
  if (typeName !== undefined && !(Object.keys(GroupTypeRules) as string[]).includes(typeName)) r.fail('GroupType', 'not a group type')
  const huge = r.flag('WithHugeGroups')
  r.flag('WithNoActiveGroups')
  const filter = subMap(r, 'ResponseFilter')
  const base = filter && readFilter(filter, 'GroupBaseInfoFilter')
  const self = filter && readFilter(filter, 'SelfInfoFilter')
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
}

async function getRoleInGroup(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const groupId = readGroupId(r)
  const accounts = ids(r, 'User_Account', Batch.accounts)
  const roles = await askGroup(ctx.router, ctx.app, groupId, { kind: 'roles', accounts })
  return { UserIdList: roles.map((x) => ({ Member_Account: x.account, Role: x.role })) }
}

async function forbidSendMsg(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const groupId = readGroupId(r)
  const accounts = ids(r, 'Members_Account', Batch.accounts)
  const seconds = r.u32(['MuteTime', 'ShutUpTime'])
  await askGroup(ctx.router, ctx.app, groupId, { kind: 'mute', by: admin(ctx), accounts, seconds })
  return {}
}

async function getGroupMutedAccount(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const groupId = readGroupId(reader(body))
  const muted = await askGroup(ctx.router, ctx.app, groupId, { kind: 'muted', by: admin(ctx) })
  return { MutedAccountList: muted.map((m) => ({ Member_Account: m.account, MutedUntil: m.until })) }
}

async function changeGroupOwner(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const groupId = readGroupId(r)
  const newOwner = r.userId('NewOwner_Account')
  await askGroup(ctx.router, ctx.app, groupId, { kind: 'changeOwner', by: admin(ctx), newOwner })
  return {}
}

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
