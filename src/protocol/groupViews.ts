/**
 * What clients see of a group: the shapes the group ops answer with (docs/protocol.md,
 * "Groups"). They are the wire's own types, apart from the records the stores keep
 * (src/model/group.ts): a field added to a stored record reaches clients only when it is added
 * here and to the edge's mapping (src/edge/gateway/groupViews.ts), so the SDK's types change
 * only when the protocol does.
 */
import type { ApplyJoinOption, GroupRole, GroupType, InviteJoinOption, MsgFlag } from '../model/group.js'

/** A group's profile. Times are unix seconds. */
export interface GroupProfile {
  groupId: string
  type: GroupType
  name: string
  introduction: string
  notification: string
  faceUrl: string
  /** '' when the group has no owner. */
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

/** `groupInfo` and `groupModify`: the profile and the group's counters. */
export interface GroupInfo {
  group: GroupProfile
  memberNum: number
  /** The seq the next stored message will get. */
  nextMsgSeq: number
  /** Unix seconds of the newest message; 0 when none. */
  lastMsgTime: number
  /** Sends refused by the group's rate limit (10023) since its actor last activated. */
  msgRateShed: number
}

/** One member, as `groupMembers` lists them. */
export interface GroupMember {
  account: string
  role: GroupRole
  joinTime: number
  /** Highest seq this member has read. */
  readSeq: number
  msgFlag: MsgFlag
  lastSendMsgTime: number
  nameCard: string
  /** Custom member fields (`AppMemberDefinedData`). */
  appMemberDefinedData: Record<string, string>
  /** Unix seconds until which the member is muted; 0 = not muted. */
  muteUntil: number
}

export interface GroupMembersPage { memberNum: number; members: GroupMember[] }

/** A pending application (or an invitation awaiting approval), as `groupRequests` lists them. */
export interface GroupJoinRequest {
  account: string
  /** Unix seconds. */
  time: number
  message: string
  /** The inviting member, for an invitation; absent for an application. */
  inviter?: string
}

/** A group the user belongs to, as `groupJoined` lists them. */
export interface JoinedGroup {
  groupId: string
  joinTime: number
}
