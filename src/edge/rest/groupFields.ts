/**
 * Reading group fields from REST bodies and writing group records as Tencent's JSON
 * (docs/tencent-compat.md §4.4). Field limits: Name ≤30 B, Introduction ≤240 B, Notification ≤300 B,
 * FaceUrl ≤100 B, NameCard ≤50 B; custom fields: ≤20 group keys with values ≤512 B, ≤5
 * member keys with values ≤64 B, keys of 1..15 `[A-Za-z0-9_]`. A bad field is 10004.
 */
import type { GroupChanges, GroupView, MembersPage } from '../../../actors/group/protocol.js'
import { ApplyJoinOptions, type ApplyJoinOption, type GroupRole, GroupRoles, GroupTypes, type GroupType, InviteJoinOptions, type InviteJoinOption, MsgFlags, type MsgFlag } from '../../model/group.js'
import { isGroupId } from '../../services/group.js'
import type { BodyReader } from './fields.js'

export const GroupCode = 'GROUP_INVALID_PARAMS'
export const FieldLimits = { name: 30, introduction: 240, notification: 300, faceUrl: 100, nameCard: 50 } as const
const GroupKeys = { max: 20, valueBytes: 512 }
const MemberKeys = { max: 5, valueBytes: 64 }

function oneOfStrings<T extends string>(r: BodyReader, names: string | string[], allowed: readonly T[]): T | undefined {
  const v = r.optString(names)
  if (v === undefined) return undefined
  return (allowed as readonly string[]).includes(v) ? (v as T) : r.fail(String(names), `must be one of ${allowed.join(', ')}`)
}

export function readType(r: BodyReader): GroupType {
  return oneOfStrings(r, 'Type', GroupTypes) ?? r.fail('Type', 'required')
}

/** `GroupId` as given for lookups: present and well-formed (10015), else 10004 when absent. */
export function readGroupId(r: BodyReader): string {
  const v = r.pick('GroupId')
  if (v === undefined) return r.fail('GroupId', 'required')
  return isGroupId(v.value) ? v.value : r.fail('GroupId', 'not a valid GroupId', 'GROUP_BAD_ID')
}

export const readApply = (r: BodyReader): ApplyJoinOption | undefined => oneOfStrings(r, 'ApplyJoinOption', ApplyJoinOptions)
export const readInvite = (r: BodyReader): InviteJoinOption | undefined => oneOfStrings(r, 'InviteJoinOption', InviteJoinOptions)
export const readMsgFlag = (r: BodyReader): MsgFlag | undefined => oneOfStrings(r, 'MsgFlag', MsgFlags)

export function readOnOff(r: BodyReader, names: string | string[]): boolean | undefined {
  const v = oneOfStrings(r, names, ['On', 'Off'] as const)
  return v === undefined ? undefined : v === 'On'
}

/** `[{Key, Value}]` custom fields within the group or member limits. */
export function readCustom(r: BodyReader, name: string, member: boolean): Record<string, string> | undefined {
  const limits = member ? MemberKeys : GroupKeys
  const items = r.pick(name) === undefined ? undefined : r.items(name, { min: 0, max: limits.max })
  if (!items) return undefined
  const out: Record<string, string> = {}
  for (const it of items) {
    const key = it.string('Key')
    if (!/^[A-Za-z0-9_]{1,15}$/.test(key)) it.fail('Key', 'must be 1..15 characters of [A-Za-z0-9_]')
    out[key] = it.string('Value', { maxBytes: limits.valueBytes })
  }
  return out
}

/** The profile fields of create_group / modify_group_base_info. */
export function readProfile(r: BodyReader): GroupChanges {
  const changes: GroupChanges = {
    name: r.optString('Name', { maxBytes: FieldLimits.name, nonEmpty: true }),
    introduction: r.optString('Introduction', { maxBytes: FieldLimits.introduction }),
    notification: r.optString('Notification', { maxBytes: FieldLimits.notification }),
    faceUrl: r.optString('FaceUrl', { maxBytes: FieldLimits.faceUrl }),
    maxMemberNum: r.optUint(['MaxMemberNum', 'MaxMemberCount']),
    applyJoinOption: readApply(r),
    inviteJoinOption: readInvite(r),
    muteAllMember: readOnOff(r, ['MuteAllMember', 'ShutUpAllMember']),
    historyMsgBeforeJoin: readOnOff(r, 'HistoryMsgBeforeJoin'),
    appDefinedData: readCustom(r, 'AppDefinedData', false),
  }
  for (const k of Object.keys(changes) as (keyof GroupChanges)[]) if (changes[k] === undefined) delete changes[k]
  return changes
}

export function readRoles(r: BodyReader, name: string): GroupRole[] | undefined {
  const list = r.optStrings(name, { min: 0, max: 3 })
  return list?.map((x, i) => ((GroupRoles as readonly string[]).includes(x) ? (x as GroupRole) : r.fail(`${name}[${i}]`, 'not a role')))
}

/** Optional string list filter (`…Filter` fields); absent = undefined. */
export function readFilter(r: BodyReader, name: string): string[] | undefined {
  return r.optStrings(name, { min: 0, max: 64 })
}

const customList = (o: Record<string, string>, keys?: string[]) =>
  Object.entries(o).filter(([k]) => !keys || keys.includes(k)).map(([Key, Value]) => ({ Key, Value }))

/** Tencent's base-info object of a group. */
export function groupInfoJson(v: GroupView): Record<string, unknown> {
  const g = v.group
  return {
    GroupId: g.groupId, Type: g.type, Name: g.name, Introduction: g.introduction, Notification: g.notification,
    FaceUrl: g.faceUrl, Owner_Account: g.owner, CreateTime: g.createTime, InfoSeq: g.infoSeq,
    LastInfoTime: g.lastInfoTime, LastMsgTime: v.lastMsgTime, NextMsgSeq: v.nextMsgSeq, MemberNum: v.memberNum,
    MaxMemberNum: g.maxMemberNum, ApplyJoinOption: g.applyJoinOption, InviteJoinOption: g.inviteJoinOption,
    MuteAllMember: g.muteAllMember ? 'On' : 'Off', HistoryMsgBeforeJoin: g.historyMsgBeforeJoin ? 'On' : 'Off',
  }
}

/** Base info restricted to `fields` (absent: all), with `AppDefinedData` when `appKeys` is given or no filter was. */
export function filteredInfo(v: GroupView, fields: string[] | undefined, appKeys: string[] | undefined, filtered: boolean): Record<string, unknown> {
  const all = groupInfoJson(v)
  const out: Record<string, unknown> = { GroupId: all['GroupId'] }
  for (const [k, val] of Object.entries(all)) if (!fields || fields.includes(k)) out[k] = val
  if (!filtered || appKeys) out['AppDefinedData'] = customList(v.group.appDefinedData, appKeys?.length ? appKeys : undefined)
  return out
}

/** Tencent's member object, restricted to `fields` (absent: all). */
export function memberJson(m: MembersPage['members'][number], fields?: string[], appKeys?: string[]): Record<string, unknown> {
  const all: Record<string, unknown> = {
    Member_Account: m.account, Role: m.role, JoinTime: m.joinTime, MsgSeq: m.readSeq, MsgFlag: m.msgFlag,
    LastSendMsgTime: m.lastSendMsgTime, NameCard: m.nameCard, MuteUntil: m.muteUntil,
  }
  const out: Record<string, unknown> = { Member_Account: m.account }
  for (const [k, val] of Object.entries(all)) if (!fields || fields.includes(k)) out[k] = val
  if (!fields || appKeys) out['AppMemberDefinedData'] = customList(m.appMemberDefinedData, appKeys?.length ? appKeys : undefined)
  return out
}

