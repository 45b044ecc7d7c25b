/**
 * The group fields of REST bodies, declared once as schema fields, and group records written
 * as Tencent's JSON (docs/tencent-compat.md §4.4). Field limits (src/core/limits.ts): Name ≤30 B,
 * Introduction ≤240 B, Notification ≤300 B, FaceUrl ≤100 B, NameCard ≤50 B; custom fields: ≤20
 * group keys with values ≤512 B, ≤5 member keys with values ≤64 B, keys of 1..15
 * `[A-Za-z0-9_]`. A bad field is 10004, a malformed GroupId 10015.
 */
import type { GroupChanges, GroupView, MembersPage } from '../../../actors/group/protocol.js'
import { groupIdField, userIdField } from '../../core/ids.js'
import { CustomKeyPattern, Limits } from '../../core/limits.js'
import { F, type Static } from '../../core/schema.js'
import { ApplyJoinOptions, AssignableRoles, GroupTypes, InviteJoinOptions } from '../../model/group.js'

export const GroupCode = 'GROUP_INVALID_PARAMS'

/** `GroupId` of a command on one group: malformed (or not a string) 10015, absent 10004. */
export const GroupIdField = groupIdField({ missingCode: GroupCode })
/** The body of a command that names only its group. */
export const GroupIdBody = F.object({ GroupId: GroupIdField })

export const GroupNameField = F.string({ nonEmpty: true, maxBytes: Limits.groupName })

/** The roles an App admin may give: Admin or Member (the owner changes only by change_group_owner). */
export const MemberRoleField = F.oneOf(AssignableRoles)

const OnOff = ['On', 'Off'] as const

/** `[{Key, Value}]` custom fields: at most `maxKeys` entries, keys of CustomKeyPattern, values within `valueBytes`. */
function customFields(maxKeys: number, valueBytes: number) {
  return F.array(F.object({
    Key: F.string({ pattern: CustomKeyPattern, why: 'must be 1..15 characters of [A-Za-z0-9_]' }),
    Value: F.string({ maxBytes: valueBytes }),
  }), { max: maxKeys })
}

/** `AppDefinedData` (group) and `AppMemberDefinedData` (member). */
export const GroupCustomField = customFields(Limits.groupCustomKeys, Limits.groupCustomValueBytes)
export const MemberCustomField = customFields(Limits.memberCustomKeys, Limits.memberCustomValueBytes)

/** A `[{Key, Value}]` list as a map (a repeated key: the last wins); undefined when absent. */
export function customMap(list: readonly { Key: string; Value: string }[] | undefined): Record<string, string> | undefined {
  if (list === undefined) return undefined
  const out: Record<string, string> = {}
  for (const { Key, Value } of list) out[Key] = Value
  return out
}

/**
 * The profile fields after `Name` of create_group, import_group and modify_group_base_info,
 * in the order they are checked; absent = default (create, import) or unchanged (modify).
 */
export const ProfileFields = {
  Introduction: F.opt(F.string({ maxBytes: Limits.groupIntroduction })),
  Notification: F.opt(F.string({ maxBytes: Limits.groupNotification })),
  FaceUrl: F.opt(F.string({ maxBytes: Limits.groupFaceUrl })),
  MaxMemberNum: F.opt(F.uint({ aliases: ['MaxMemberCount'] })),
  ApplyJoinOption: F.opt(F.oneOf(ApplyJoinOptions)),
  InviteJoinOption: F.opt(F.oneOf(InviteJoinOptions)),
  MuteAllMember: F.opt(F.oneOf(OnOff, { aliases: ['ShutUpAllMember'] })),
  HistoryMsgBeforeJoin: F.opt(F.oneOf(OnOff)),
  /** On modify, an empty `Value` deletes the key. */
  AppDefinedData: F.opt(GroupCustomField),
}

/** The fields that make a new group, shared by create_group and import_group. */
export const NewGroupFields = {
  Type: F.oneOf(GroupTypes),
  Name: GroupNameField,
  Owner_Account: F.opt(userIdField()),
  /** A custom id; its form is checked by createGroup (per type). */
  GroupId: F.opt(F.string()),
  ...ProfileFields,
}

const ProfileBody = F.object({ Name: F.opt(GroupNameField), ...ProfileFields })

/** The profile fields given, as the group actor's changes (absent fields are left out). */
export function profileChanges(b: Static<typeof ProfileBody>): GroupChanges {
  const onOff = (v: 'On' | 'Off' | undefined) => (v === undefined ? undefined : v === 'On')
  const changes: GroupChanges = {
    name: b.Name,
    introduction: b.Introduction,
    notification: b.Notification,
    faceUrl: b.FaceUrl,
    maxMemberNum: b.MaxMemberNum,
    applyJoinOption: b.ApplyJoinOption,
    inviteJoinOption: b.InviteJoinOption,
    muteAllMember: onOff(b.MuteAllMember),
    historyMsgBeforeJoin: onOff(b.HistoryMsgBeforeJoin),
    appDefinedData: customMap(b.AppDefinedData),
  }
  for (const k of Object.keys(changes) as (keyof GroupChanges)[]) if (changes[k] === undefined) delete changes[k]
  return changes
}

/** A `…Filter` list of field names or keys; absent = no filter. */
export const FilterField = F.opt(F.array(F.string(), { max: Limits.responseFilterEntries }))

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

