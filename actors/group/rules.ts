/**
 * The group-type rules (docs/tencent-compat.md §4.1–4.3) as one pure table plus decision functions over
 * it. No I/O; table-tested in test/actors/groupRules.test.ts. Every permission decision of
 * the Group actor goes through these functions.
 *
 * Ranks: the App admin acts as owner in every group, member or not, and outranks everyone;
 * then Owner > Admin > Member > not a member.
 */
import type { ApplyJoinOption, GroupRole, GroupType, InviteJoinOption } from '../../src/model/group.js'

export const Rank = { none: 0, member: 1, admin: 2, owner: 3, appAdmin: 4 } as const
export type Rank = (typeof Rank)[keyof typeof Rank]

export function rankOf(role: GroupRole | undefined, appAdmin = false): Rank {
  if (appAdmin) return Rank.appAdmin
  if (role === 'Owner') return Rank.owner
  if (role === 'Admin') return Rank.admin
  return role === 'Member' ? Rank.member : Rank.none
}

export interface TypeRules {
  /** Whether the type has the Admin role (else only Owner and Member). */
  readonly admins: boolean
  /** The ApplyJoinOption when none is given; `fixedApply` types ignore any other value. */
  readonly defaultApply: ApplyJoinOption
  readonly fixedApply: boolean
  /** Lowest rank that may invite; undefined: nobody (not even the App admin). */
  readonly inviteRank: Rank | undefined
  /** Lowest rank that edits the profile. */
  readonly editRank: Rank
  /** Lowest rank that removes members (always only of a lower rank); undefined: nobody. */
  readonly kickRank: Rank | undefined
  readonly ownerMayQuit: boolean
  /** Default history-before-join, and whether the group keeps message history at all. */
  readonly historyBeforeJoin: boolean
  readonly storesHistory: boolean
  /** Member cap when `MaxMemberCount` is omitted, and the highest allowed; 0 = no cap. */
  readonly defaultMaxMembers: number
  readonly maxMembers: number
  /** Unauthenticated connections may receive this group's messages. */
  readonly guests: boolean
  /** Lowest rank that may send; App admin only for BChatRoom. */
  readonly sendRank: Rank
  /** Custom member fields (`AppMemberDefinedData`) are allowed. */
  readonly memberFields: boolean
  /** Prefix every GroupId of the type has (assigned or custom); Community: `@TGS#_`. */
  readonly idPrefix: string
}

const common = { fixedApply: false, ownerMayQuit: false, storesHistory: true, guests: false, memberFields: true, idPrefix: '' }

export const GroupTypeRules: Readonly<Record<GroupType, TypeRules>> = {
  Private: {
    ...common, admins: false, defaultApply: 'DisableApply', fixedApply: true, inviteRank: Rank.member,
    editRank: Rank.member, kickRank: Rank.owner, ownerMayQuit: true, historyBeforeJoin: false,
    defaultMaxMembers: 200, maxMembers: 6000, sendRank: Rank.member,
  },
  Public: {
    ...common, admins: true, defaultApply: 'NeedPermission', inviteRank: Rank.member, editRank: Rank.admin,
    kickRank: Rank.admin, historyBeforeJoin: false, defaultMaxMembers: 2000, maxMembers: 6000, sendRank: Rank.member,
  },
  ChatRoom: {
    ...common, admins: true, defaultApply: 'FreeAccess', inviteRank: Rank.member, editRank: Rank.admin,
    kickRank: Rank.admin, historyBeforeJoin: true, defaultMaxMembers: 6000, maxMembers: 6000, sendRank: Rank.member,
  },
  AVChatRoom: {
    ...common, admins: false, defaultApply: 'FreeAccess', fixedApply: true, inviteRank: undefined, editRank: Rank.owner,
    kickRank: undefined, historyBeforeJoin: false, storesHistory: false, defaultMaxMembers: 0, maxMembers: 0,
    guests: true, sendRank: Rank.member, memberFields: false,
  },
  BChatRoom: {
    ...common, admins: false, defaultApply: 'FreeAccess', fixedApply: true, inviteRank: undefined, editRank: Rank.owner,
    kickRank: undefined, historyBeforeJoin: false, storesHistory: false, defaultMaxMembers: 0, maxMembers: 0,
    guests: true, sendRank: Rank.appAdmin, memberFields: false,
  },
  Community: {
    ...common, admins: true, defaultApply: 'FreeAccess', inviteRank: Rank.member, editRank: Rank.admin,
    kickRank: Rank.admin, historyBeforeJoin: false, defaultMaxMembers: 100000, maxMembers: 100000,
    sendRank: Rank.member, idPrefix: '@TGS#_',
  },
}

/** The ApplyJoinOption a group of `type` gets when `asked` (possibly absent) is requested. */
export function effectiveApply(type: GroupType, asked: ApplyJoinOption | undefined): ApplyJoinOption {
  const r = GroupTypeRules[type]
  return r.fixedApply || asked === undefined ? r.defaultApply : asked
}

/** What an application by a non-member leads to. */
export function applyOutcome(type: GroupType, option: ApplyJoinOption): 'join' | 'request' | 'denied' {
  const o = effectiveApply(type, option)
  return o === 'FreeAccess' ? 'join' : o === 'NeedPermission' ? 'request' : 'denied'
}

/**
 * What an invitation by an actor of `rank` leads to: owners, admins and the App admin add
 * directly; members follow InviteJoinOption (NeedPermission: a request an admin approves).
 */
export function inviteOutcome(type: GroupType, rank: Rank, option: InviteJoinOption): 'join' | 'request' | 'denied' {
  const min = GroupTypeRules[type].inviteRank
  if (min === undefined || rank < min) return 'denied'
  if (rank >= Rank.admin) return 'join'
  return option === 'FreeAccess' ? 'join' : option === 'NeedPermission' ? 'request' : 'denied'
}

export function canEditProfile(type: GroupType, rank: Rank): boolean {
  return rank >= GroupTypeRules[type].editRank
}

/** Removing `target` (a member's rank) from the group; nobody removes an equal or higher rank. */
export function canKick(type: GroupType, rank: Rank, target: Rank): boolean {
  const min = GroupTypeRules[type].kickRank
  return min !== undefined && rank >= min && rank > target
}

/** Muting `target`: owners and admins (and the App admin) mute lower ranks. */
export function canMute(rank: Rank, target: Rank): boolean {
  return rank >= Rank.admin && rank > target
}

/** Approving or refusing join requests. */
export function canApprove(type: GroupType, rank: Rank): boolean {
  return rank >= (GroupTypeRules[type].admins ? Rank.admin : Rank.owner)
}

/** Appointing or revoking admins: the owner (or App admin), in types that have admins. */
export function canSetRole(type: GroupType, rank: Rank, role: GroupRole): boolean {
  return GroupTypeRules[type].admins && role !== 'Owner' && rank >= Rank.owner
}

export function canQuit(type: GroupType, role: GroupRole): boolean {
  return role !== 'Owner' || GroupTypeRules[type].ownerMayQuit
}

/** Destroying the group or transferring ownership. */
export function canOwn(rank: Rank): boolean {
  return rank >= Rank.owner
}

/**
 * Whether an actor may send now. `mutedUntil` is the sender's mute end (unix seconds, 0 none).
 * Mute-all silences everyone below admin; BChatRoom lets only the App admin send.
 */
export function sendCheck(type: GroupType, rank: Rank, mutedUntil: number, muteAll: boolean, nowSec: number): 'ok' | 'muted' | 'denied' {
  if (rank < GroupTypeRules[type].sendRank) return 'denied'
  if (rank === Rank.appAdmin) return 'ok'
  if (mutedUntil > nowSec) return 'muted'
  return muteAll && rank < Rank.admin ? 'muted' : 'ok'
}

/** The member cap for `asked` (absent: the type's default); undefined when out of range. */
export function memberCap(type: GroupType, asked: number | undefined): number | undefined {
  const r = GroupTypeRules[type]
  if (asked === undefined) return r.defaultMaxMembers
  if (r.maxMembers === 0) return 0
  return asked >= 1 && asked <= r.maxMembers ? asked : undefined
}

/** Whether a group with `count` members and cap `cap` can take `adding` more. */
export function hasRoom(cap: number, count: number, adding: number): boolean {
  return cap === 0 || count + adding <= cap
}

/** Whether a member that joined after `joinSeq` may read the message at `seq`. */
export function mayReadSeq(historyBeforeJoin: boolean, joinSeq: number, seq: number): boolean {
  return historyBeforeJoin || seq > joinSeq
}
