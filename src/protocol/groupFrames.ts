/**
 * Socket frames of the group ops (documented in docs/protocol.md, "Groups") and their
 * validation. Part of the ClientFrame union (frames.ts) and of the parser table
 * (validate.ts). A bad field is GROUP_INVALID_PARAMS (10004); a malformed `groupId`
 * GROUP_BAD_ID (10015); a bad message body 90002/93000 and a bad `random` 90005, as for `send`.
 */
import { ParleyError, type ErrorName } from '../core/errors.js'
import { checkBodySize, isPlainObject, validateBody } from './elements.js'
import { AT_ALL, type MsgElement } from '../model/message.js'
import { isUserId } from '../core/ids.js'

export type GroupTypeName = 'Private' | 'Public' | 'ChatRoom' | 'AVChatRoom' | 'BChatRoom' | 'Community'
type ApplyOption = 'FreeAccess' | 'NeedPermission' | 'DisableApply'
type InviteOption = 'FreeAccess' | 'NeedPermission' | 'DisableInvite'

/** Profile fields of groupCreate / groupModify; absent = default / unchanged. */
export interface GroupProfileFields {
  introduction?: string
  notification?: string
  faceUrl?: string
  maxMemberCount?: number
  applyJoinOption?: ApplyOption
  inviteJoinOption?: InviteOption
  muteAllMember?: boolean
  historyMsgBeforeJoin?: boolean
  /** Custom group fields; on modify, '' deletes a key. */
  appDefinedData?: Record<string, string>
}

export type GroupFrame =
  | ({ op: 'groupCreate'; rid: number; type: GroupTypeName; name: string; groupId?: string; members?: string[] } & GroupProfileFields)
  | { op: 'groupInfo'; rid: number; groupId: string }
  | { op: 'groupMembers'; rid: number; groupId: string; offset?: number; limit?: number }
  | ({ op: 'groupModify'; rid: number; groupId: string; name?: string } & GroupProfileFields)
  | { op: 'groupInvite'; rid: number; groupId: string; members: string[] }
  | { op: 'groupKick'; rid: number; groupId: string; members: string[] }
  | {
    op: 'groupSetMember'; rid: number; groupId: string; member: string; role?: 'Admin' | 'Member'; nameCard?: string
    msgFlag?: 'AcceptAndNotify' | 'AcceptNotNotify' | 'Discard'; muteTime?: number; appMemberDefinedData?: Record<string, string>
  }
  | { op: 'groupMute'; rid: number; groupId: string; members: string[]; muteTime: number }
  | { op: 'groupChangeOwner'; rid: number; groupId: string; newOwner: string }
  | { op: 'groupDestroy'; rid: number; groupId: string }
  | { op: 'groupJoined'; rid: number; withUnread?: boolean }
  | { op: 'groupRead'; rid: number; groupId: string; seq?: number }
  | { op: 'groupApply'; rid: number; groupId: string; message?: string }
  | { op: 'groupRequests'; rid: number; groupId: string }
  | { op: 'groupHandleApply'; rid: number; groupId: string; applicant: string; accept: boolean }
  | { op: 'groupQuit'; rid: number; groupId: string }
  | {
    op: 'groupSend'; rid: number; groupId: string; body: MsgElement[]; random?: number; cloudCustomData?: string
    priority?: 'High' | 'Normal' | 'Low' | 'Lowest'; onlineOnly?: boolean
    /** Mentions: UserIDs, or `@ALL` for everyone (≤ 500). */
    atAccounts?: string[]
    /** A targeted message: only these members get it (1–50 UserIDs); seq 0, not stored. */
    toAccounts?: string[]
  }
  | { op: 'groupHistory'; rid: number; groupId: string; before?: number; limit?: number }
  | { op: 'groupRecall'; rid: number; groupId: string; seq: number }

export type GroupOp = GroupFrame['op']

type Raw = Record<string, unknown>
const CODE: ErrorName = 'GROUP_INVALID_PARAMS'
/** Byte limits of docs/tencent-compat.md §4.4, and list sizes per frame. */
const Max = {
  name: 30, introduction: 240, notification: 300, faceUrl: 100, nameCard: 50, message: 300, members: 500, page: 100, targets: 50,
} as const

function fail(field: string, why: string, code: ErrorName = CODE): never {
  throw new ParleyError(code, `${field}: ${why}`)
}

function get(f: Raw, key: string): unknown {
  const v = Object.hasOwn(f, key) ? f[key] : undefined
  return v === null ? undefined : v
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

function int(f: Raw, key: string, max = Number.MAX_SAFE_INTEGER, code: ErrorName = CODE): number | undefined {
  const v = get(f, key)
  if (v === undefined) return undefined
  return isInt(v) && v <= max ? v : fail(key, `must be an integer in 0..${max}`, code)
}

function str(f: Raw, key: string, maxBytes?: number): string | undefined {
  const v = get(f, key)
  if (v === undefined) return undefined
  if (typeof v !== 'string') return fail(key, 'must be a string')
  if (maxBytes !== undefined && Buffer.byteLength(v, 'utf8') > maxBytes) fail(key, `longer than ${maxBytes} bytes`)
  return v
}

function bool(f: Raw, key: string): boolean | undefined {
  const v = get(f, key)
  if (v === undefined) return undefined
  return typeof v === 'boolean' ? v : fail(key, 'must be a boolean')
}

function oneOf<T extends string>(f: Raw, key: string, allowed: readonly T[]): T | undefined {
  const v = get(f, key)
  if (v === undefined) return undefined
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : fail(key, `must be one of ${allowed.join(', ')}`)
}

function required<T>(key: string, v: T | undefined): T {
  return v === undefined ? fail(key, 'required') : v
}

/** The request id, checked like every op's (INVALID_PACKET, 20001). */
function rid(f: Raw): number {
  return int(f, 'rid', Number.MAX_SAFE_INTEGER, 'INVALID_PACKET') ?? fail('rid', 'required', 'INVALID_PACKET')
}

/** 1..47 printable ASCII characters; else 10015. */
export function groupId(f: Raw): string {
  const v = get(f, 'groupId')
  if (v === undefined) return fail('groupId', 'required')
  return typeof v === 'string' && v.length > 0 && v.length <= 47 && /^[\x20-\x7e]+$/.test(v) ? v : fail('groupId', 'not a valid GroupId', 'GROUP_BAD_ID')
}

function user(f: Raw, key: string): string {
  const v = get(f, key)
  return isUserId(v) ? v : fail(key, v === undefined ? 'required' : 'must be a UserID')
}

function users(f: Raw, key: string, min: number, max: number = Max.members, allowed?: string): string[] {
  const v = get(f, key)
  if (!Array.isArray(v)) return fail(key, v === undefined ? 'required' : 'must be an array')
  if (v.length < min || v.length > max) fail(key, `must hold ${min}..${max} UserIDs`, 'GROUP_TOO_MANY_ACCOUNTS')
  return v.map((x, i) => (isUserId(x) || (allowed !== undefined && x === allowed) ? x : fail(`${key}[${i}]`, 'must be a UserID')))
}

/** A map of custom fields: keys of 1..15 `[A-Za-z0-9_]`, string values within `valueBytes`. */
function custom(f: Raw, key: string, maxKeys: number, valueBytes: number): Record<string, string> | undefined {
  const v = get(f, key)
  if (v === undefined) return undefined
  if (!isPlainObject(v)) return fail(key, 'must be a map')
  const entries = Object.entries(v)
  if (entries.length > maxKeys) fail(key, `at most ${maxKeys} keys`)
  const out: Record<string, string> = {}
  for (const [k, val] of entries) {
    if (!/^[A-Za-z0-9_]{1,15}$/.test(k)) fail(`${key}.${k}`, 'keys are 1..15 characters of [A-Za-z0-9_]')
    if (typeof val !== 'string' || Buffer.byteLength(val, 'utf8') > valueBytes) fail(`${key}.${k}`, `must be a string of at most ${valueBytes} bytes`)
    out[k] = val
  }
  return out
}

function profile(f: Raw): GroupProfileFields {
  return {
    introduction: str(f, 'introduction', Max.introduction),
    notification: str(f, 'notification', Max.notification),
    faceUrl: str(f, 'faceUrl', Max.faceUrl),
    maxMemberCount: int(f, 'maxMemberCount'),
    applyJoinOption: oneOf(f, 'applyJoinOption', ['FreeAccess', 'NeedPermission', 'DisableApply'] as const),
    inviteJoinOption: oneOf(f, 'inviteJoinOption', ['FreeAccess', 'NeedPermission', 'DisableInvite'] as const),
    muteAllMember: bool(f, 'muteAllMember'),
    historyMsgBeforeJoin: bool(f, 'historyMsgBeforeJoin'),
    appDefinedData: custom(f, 'appDefinedData', 20, 512),
  }
}

function name(f: Raw): string | undefined {
  const v = str(f, 'name', Max.name)
  if (v === '') fail('name', 'must not be empty')
  return v
}

function groupSend(f: Raw): Extract<GroupFrame, { op: 'groupSend' }> {
  const body = validateBody(get(f, 'body'), 'body')
  const cloudCustomData = str(f, 'cloudCustomData')
  checkBodySize(body, cloudCustomData)
  return {
    op: 'groupSend', rid: rid(f), groupId: groupId(f), body, cloudCustomData,
    random: int(f, 'random', 0xffffffff, 'BAD_MSG_RANDOM'),
    priority: oneOf(f, 'priority', ['High', 'Normal', 'Low', 'Lowest'] as const),
    onlineOnly: bool(f, 'onlineOnly'),
    atAccounts: get(f, 'atAccounts') === undefined ? undefined : users(f, 'atAccounts', 0, Max.members, AT_ALL),
    toAccounts: get(f, 'toAccounts') === undefined ? undefined : users(f, 'toAccounts', 1, Max.targets),
  }
}

type GroupParsers = { [K in GroupOp]: (f: Raw) => Extract<GroupFrame, { op: K }> }

/** One parser per group op; spread into validate.ts's table. */
export const groupParsers: GroupParsers = {
  groupCreate: (f) => ({
    op: 'groupCreate', rid: rid(f), type: required('type', oneOf(f, 'type', ['Private', 'Public', 'ChatRoom', 'AVChatRoom', 'BChatRoom', 'Community'] as const)),
    name: required('name', name(f)), groupId: str(f, 'groupId'),
    members: get(f, 'members') === undefined ? undefined : users(f, 'members', 0), ...profile(f),
  }),
  groupInfo: (f) => ({ op: 'groupInfo', rid: rid(f), groupId: groupId(f) }),
  groupMembers: (f) => ({ op: 'groupMembers', rid: rid(f), groupId: groupId(f), offset: int(f, 'offset'), limit: int(f, 'limit', Max.page) }),
  groupModify: (f) => ({ op: 'groupModify', rid: rid(f), groupId: groupId(f), name: name(f), ...profile(f) }),
  groupInvite: (f) => ({ op: 'groupInvite', rid: rid(f), groupId: groupId(f), members: users(f, 'members', 1) }),
  groupKick: (f) => ({ op: 'groupKick', rid: rid(f), groupId: groupId(f), members: users(f, 'members', 1) }),
  groupSetMember: (f) => ({
    op: 'groupSetMember', rid: rid(f), groupId: groupId(f), member: user(f, 'member'),
    role: oneOf(f, 'role', ['Admin', 'Member'] as const), nameCard: str(f, 'nameCard', Max.nameCard),
    msgFlag: oneOf(f, 'msgFlag', ['AcceptAndNotify', 'AcceptNotNotify', 'Discard'] as const),
    muteTime: int(f, 'muteTime', 0xffffffff), appMemberDefinedData: custom(f, 'appMemberDefinedData', 5, 64),
  }),
  groupMute: (f) => ({
    op: 'groupMute', rid: rid(f), groupId: groupId(f), members: users(f, 'members', 1),
    muteTime: required('muteTime', int(f, 'muteTime', 0xffffffff)),
  }),
  groupChangeOwner: (f) => ({ op: 'groupChangeOwner', rid: rid(f), groupId: groupId(f), newOwner: user(f, 'newOwner') }),
  groupDestroy: (f) => ({ op: 'groupDestroy', rid: rid(f), groupId: groupId(f) }),
  groupJoined: (f) => ({ op: 'groupJoined', rid: rid(f), withUnread: bool(f, 'withUnread') }),
  groupRead: (f) => ({ op: 'groupRead', rid: rid(f), groupId: groupId(f), seq: int(f, 'seq') }),
  groupApply: (f) => ({ op: 'groupApply', rid: rid(f), groupId: groupId(f), message: str(f, 'message', Max.message) }),
  groupRequests: (f) => ({ op: 'groupRequests', rid: rid(f), groupId: groupId(f) }),
  groupHandleApply: (f) => ({
    op: 'groupHandleApply', rid: rid(f), groupId: groupId(f), applicant: user(f, 'applicant'), accept: required('accept', bool(f, 'accept')),
  }),
  groupQuit: (f) => ({ op: 'groupQuit', rid: rid(f), groupId: groupId(f) }),
  groupSend,
  groupHistory: (f) => ({ op: 'groupHistory', rid: rid(f), groupId: groupId(f), before: int(f, 'before'), limit: int(f, 'limit', Max.page) }),
  groupRecall: (f) => {
    const seq = required('seq', int(f, 'seq'))
    return { op: 'groupRecall', rid: rid(f), groupId: groupId(f), seq: seq > 0 ? seq : fail('seq', 'must be a positive integer') }
  },
}

/** Whether a validated frame is a group op. */
export function isGroupFrame(f: { op: string }): f is GroupFrame {
  return Object.hasOwn(groupParsers, f.op)
}
