/**
 * What clients see of a group: the shapes the group ops answer with (docs/protocol.md,
 * "Groups"), built on the profiles of src/model/group.ts, apart from the records the stores
 * keep: a field added to a stored record reaches clients only when it is added to a profile and
 * to the edge's mapping (src/edge/gateway/groupViews.ts), so the SDK's types change only when
 * the protocol does.
 */
import type { GroupProfile, MemberProfile } from '../model/group.js'

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

/** One member, as `groupMembers` lists them, with the end of its mute (unix seconds; 0 = not muted). */
export interface GroupMember extends MemberProfile {
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
