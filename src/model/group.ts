/**
 * The group vocabulary (docs/tencent-compat.md §4): group types, join options, roles, message flags and
 * the records of a group, a member, a join request and a group message, declared once. The
 * stores persist these records and the socket and REST edges carry them.
 */
import type { MsgElement } from './message.js'

export const GroupTypes = ['Private', 'Public', 'ChatRoom', 'AVChatRoom', 'BChatRoom', 'Community'] as const
export type GroupType = (typeof GroupTypes)[number]
export const ApplyJoinOptions = ['FreeAccess', 'NeedPermission', 'DisableApply'] as const
export type ApplyJoinOption = (typeof ApplyJoinOptions)[number]
export const InviteJoinOptions = ['FreeAccess', 'NeedPermission', 'DisableInvite'] as const
export type InviteJoinOption = (typeof InviteJoinOptions)[number]
export const GroupRoles = ['Owner', 'Admin', 'Member'] as const
export type GroupRole = (typeof GroupRoles)[number]
/** The roles a member may be given; the owner changes only by a change of owner. */
export const AssignableRoles = ['Admin', 'Member'] as const
/** A group message's `MsgPriority` (docs/tencent-compat.md §3.1); absent = Normal. */
export const MsgPriorities = ['High', 'Normal', 'Low', 'Lowest'] as const
export const MsgFlags = ['AcceptAndNotify', 'AcceptNotNotify', 'Discard'] as const
export type MsgFlag = (typeof MsgFlags)[number]

/**
 * A group's profile (docs/tencent-compat.md §4.4), as clients see it (the SDK exports it).
 * Times are unix seconds.
 */
export interface GroupProfile {
  groupId: string
  type: GroupType
  name: string
  introduction: string
  notification: string
  faceUrl: string
  /** '' when the group has no owner (created without one, or a Private owner quit). */
  owner: string
  createTime: number
  /** Bumped by every profile change. */
  infoSeq: number
  lastInfoTime: number
  lastMsgTime: number
  /** 0 = no cap (AVChatRoom, BChatRoom). */
  maxMemberNum: number
  applyJoinOption: ApplyJoinOption
  inviteJoinOption: InviteJoinOption
  muteAllMember: boolean
  /** Whether a new member may read messages from before it joined. */
  historyMsgBeforeJoin: boolean
  /** Custom group fields (`AppDefinedData`). */
  appDefinedData: Record<string, string>
}

/**
 * A group as the stores keep it: its profile, and whatever only the server needs (nothing
 * yet). A field added here reaches clients only if it is added to GroupProfile, and to the
 * edge's mapping (src/edge/gateway/groupViews.ts).
 */
export interface GroupRecord extends GroupProfile {}

/** A member's fields as clients see them (with the mute end, GroupMember in src/protocol/groupViews.ts). */
export interface MemberProfile {
  account: string
  role: GroupRole
  joinTime: number
  /** The group's last message seq when this member joined. */
  joinSeq: number
  /** Highest seq this member has read (Tencent's member `MsgSeq`). */
  readSeq: number
  msgFlag: MsgFlag
  lastSendMsgTime: number
  nameCard: string
  /** Custom member fields (`AppMemberDefinedData`). */
  appMemberDefinedData: Record<string, string>
}

/** A member as the stores keep it: its profile, and whatever only the server needs (nothing yet). */
export interface MemberRecord extends MemberProfile {}

/** A pending application (or a member's invitation awaiting approval). */
export interface JoinRequest {
  account: string
  /** Unix seconds. */
  time: number
  message: string
  /** The inviting member, for an invitation that needs approval; absent for an application. */
  inviter?: string
}

/** One group message, stored once per group. */
export interface GroupMessage {
  /** Server-assigned, from 1, strictly increasing per group (`MsgSeq`). */
  seq: number
  from: string
  random: number
  /** Unix seconds. */
  time: number
  body: MsgElement[]
  cloudCustomData?: string
  priority?: string
  /**
   * Members mentioned (`GroupAtInfo`): UserIDs that were members when it was sent, and
   * `@ALL` for everyone. Absent when nobody is mentioned.
   */
  atAccounts?: string[]
  /** MsgFlagBits: 0 normal, 8 recalled. */
  flags: number
}

/** `GroupMessage.flags` of a recalled message. */
export const RECALLED_FLAG = 8

/**
 * A recalled message as stored: flags 8, body emptied, cloudCustomData and mentions dropped;
 * its seq, sender, Random, time and priority stay (a placeholder in history).
 */
export function recalledGroupMessage(m: GroupMessage): GroupMessage {
  const { cloudCustomData: _c, atAccounts: _a, ...rest } = m
  return { ...rest, body: [], flags: RECALLED_FLAG }
}

/** A row of a user's joined-group index. */
export interface JoinedGroup {
  groupId: string
  joinTime: number
}
