/**
 * GroupStore: every group's durable state — its profile, members, mutes, pending join
 * requests, message history and Random dedupe — plus the per-user index of joined groups.
 * One implementation per backend (LmdbGroupStore, CassandraGroupStore); the conformance
 * suite in test/store/groupStoreConformance.ts runs against each.
 *
 * Ownership: every record belongs to one group (app, groupId), including the index rows
 * `(app, user) → groupId`, which are written only in that group's commits. Only the group's
 * actor writes them, so a membership change and its index rows commit atomically and can
 * never disagree; implementations need no cross-writer locking, and the message sequence is
 * fenced (a seq is never stored twice, also across restarts and after a destroy).
 */
import type { MsgElement } from '../protocol/message.js'

export const GroupTypes = ['Private', 'Public', 'ChatRoom', 'AVChatRoom', 'BChatRoom', 'Community'] as const
export type GroupType = (typeof GroupTypes)[number]
export const ApplyJoinOptions = ['FreeAccess', 'NeedPermission', 'DisableApply'] as const
export type ApplyJoinOption = (typeof ApplyJoinOptions)[number]
export const InviteJoinOptions = ['FreeAccess', 'NeedPermission', 'DisableInvite'] as const
export type InviteJoinOption = (typeof InviteJoinOptions)[number]
export const GroupRoles = ['Owner', 'Admin', 'Member'] as const
export type GroupRole = (typeof GroupRoles)[number]
export const MsgFlags = ['AcceptAndNotify', 'AcceptNotNotify', 'Discard'] as const
export type MsgFlag = (typeof MsgFlags)[number]

export interface GroupRef {
  readonly app: number
  readonly groupId: string
}

/** A group's profile (reference §4.4). Times are unix seconds. */
export interface GroupRecord {
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

export interface MemberRecord {
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

export interface GroupDedupeRecord {
  seq: number
  /** Unix seconds when first stored; records older than the dedupe window are ignored. */
  time: number
}

/** A row of a user's joined-group index. */
export interface JoinedGroup {
  groupId: string
  joinTime: number
}

/**
 * The writes of one group actor step, applied atomically; `commit` resolves once durable.
 * A rejected commit has applied nothing. Order of application: `destroy`, then removals,
 * then upserts, then `recall`.
 */
export interface GroupCommit {
  /**
   * Deletes the group's record, members, mutes, requests, messages and dedupe records. The
   * message sequence is kept, so a later group with the same id continues above it. The
   * caller lists every current member in `removeMembers`, which removes their index rows.
   */
  destroy?: boolean
  /** Upserted. */
  group?: GroupRecord
  /** Upserted by account; each also writes the member's index row. */
  members?: MemberRecord[]
  /** Deleted by account, with the members' index rows. */
  removeMembers?: string[]
  /** Upserted by account; `until` 0 deletes. Unix seconds (4294967295 = forever). */
  mutes?: { account: string; until: number }[]
  requests?: JoinRequest[]
  removeRequests?: string[]
  /** Appended; the first seq must be exactly one above the group's last stored seq. */
  messages?: GroupMessage[]
  /** Upserted by (sender, random). */
  dedupe?: { from: string; random: number; record: GroupDedupeRecord }[]
  /**
   * Seqs of stored messages to mark recalled (rewritten as `recalledGroupMessage`). A seq
   * with no stored message (never stored, or destroyed) is skipped; recalling a recalled
   * message changes nothing, so applying the same commit twice is harmless.
   */
  recall?: number[]
}

/** Everything a group actor loads on activation. */
export interface GroupSnapshot {
  /** Absent when no group with this id exists (never created, or destroyed). */
  group?: GroupRecord
  members: MemberRecord[]
  mutes: { account: string; until: number }[]
  requests: JoinRequest[]
  /** Highest message seq ever stored under this id (kept across destroy); 0 when none. */
  lastSeq: number
}

export interface GroupStore {
  commit(g: GroupRef, c: GroupCommit): Promise<void>
  /** The group's whole state. Cost is linear in members, mutes and requests. */
  load(g: GroupRef): Promise<GroupSnapshot>
  /** Messages with seq strictly below `beforeSeq` (default: newest), newest first, at most `limit`. O(limit). */
  readMessages(g: GroupRef, q: { beforeSeq?: number; limit: number }): Promise<GroupMessage[]>
  /** The dedupe record of `from`'s message with `random`, if one was stored. */
  getDedupe(g: GroupRef, from: string, random: number): Promise<GroupDedupeRecord | undefined>
  /** The groups `user` is a member of, ordered by GroupId. Cost is linear in their number. */
  joinedGroups(app: number, user: string): Promise<JoinedGroup[]>
  close(): Promise<void>
}
