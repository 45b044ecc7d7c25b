/**
 * The Group actor's message union and its replies. Every request names its operator: a
 * user acting through a socket, or the App admin (REST), who acts as owner in every group.
 */
import type {
  ApplyJoinOption, GroupMessage, GroupRecord, GroupRole, InviteJoinOption, JoinRequest, MemberRecord, MsgFlag,
} from '../../src/store/GroupStore.js'
import type { MsgElement } from '../../src/protocol/message.js'
import type { ImportMember, ImportMessage } from './imports.js'

export interface Operator {
  /** The acting user; absent for the App admin acting without a From_Account. */
  readonly user?: string
  readonly appAdmin: boolean
  /**
   * The App admin's own UserID when it acts without `user` (REST): named as the operator in
   * group tips, never used for permissions.
   */
  readonly adminId?: string
}

export interface MemberInput {
  account: string
  role?: 'Admin' | 'Member'
  appMemberDefinedData?: Record<string, string>
}

/** Profile fields a modify may change; absent = unchanged. */
export interface GroupChanges {
  name?: string
  introduction?: string
  notification?: string
  faceUrl?: string
  maxMemberNum?: number
  applyJoinOption?: ApplyJoinOption
  inviteJoinOption?: InviteJoinOption
  muteAllMember?: boolean
  historyMsgBeforeJoin?: boolean
  appDefinedData?: Record<string, string>
}

export interface MemberChanges {
  role?: 'Admin' | 'Member'
  nameCard?: string
  msgFlag?: MsgFlag
  /** Seconds from now; 0 unmutes, 4294967295 forever. */
  muteTime?: number
  appMemberDefinedData?: Record<string, string>
}

export interface SendDraft {
  random: number
  body: MsgElement[]
  cloudCustomData?: string
  priority?: string
  onlineOnly: boolean
  /** Mentions: UserIDs and `@ALL`; those that are not members are dropped. */
  atAccounts?: string[]
  /**
   * A targeted message: only these members (and the sender's devices) get it; seq 0, never
   * stored. Listed accounts that are not members are dropped; none left is 10004.
   */
  to?: string[]
}

export type GroupMsg =
  /** `record.groupId` is the actor's key; `owner` '' = ownerless. */
  | { kind: 'create'; record: GroupRecord; members: MemberInput[] }
  | { kind: 'info'; by: Operator }
  | { kind: 'members'; by: Operator; offset: number; limit: number; roles?: GroupRole[] }
  | { kind: 'modify'; by: Operator; changes: GroupChanges }
  | { kind: 'addMembers'; by: Operator; accounts: string[] }
  | { kind: 'removeMembers'; by: Operator; accounts: string[] }
  | { kind: 'setMember'; by: Operator; account: string; changes: MemberChanges }
  | { kind: 'destroy'; by: Operator }
  | { kind: 'roles'; accounts: string[] }
  | { kind: 'mute'; by: Operator; accounts: string[]; seconds: number }
  | { kind: 'muted'; by: Operator }
  | { kind: 'changeOwner'; by: Operator; newOwner: string }
  | { kind: 'apply'; user: string; message: string }
  | { kind: 'handleApply'; by: Operator; applicant: string; accept: boolean }
  | { kind: 'requests'; by: Operator }
  | { kind: 'quit'; user: string }
  /**
   * `by` is checked (membership, mute, BChatRoom's admin-only rule); `from` is the sender shown
   * (the operator's own account, or the App admin's UserID when the App admin sends).
   */
  | { kind: 'send'; by: Operator; from: string; draft: SendDraft }
  | { kind: 'history'; by: Operator; before?: number; limit: number }
  /** Recalls stored messages by seq; see actors/group/recall.ts. */
  | { kind: 'recall'; by: Operator; seqs: number[] }
  /** A member's unread count (actors/group/read.ts). */
  | { kind: 'unread'; user: string }
  /** A member read up to `seq` (default everything). */
  | { kind: 'read'; user: string; seq?: number }
  /** REST set_unread_msg_num. */
  | { kind: 'setUnread'; user: string; unread: number }
  /** Members' sockets online now, summed over threads (get_online_member_num). */
  | { kind: 'online' }
  /** REST import_group_member / import_group_msg; see actors/group/imports.ts. */
  | { kind: 'importMembers'; members: ImportMember[] }
  | { kind: 'importMessages'; messages: ImportMessage[] }

/** A group as the info request shows it. */
export interface GroupView {
  group: GroupRecord
  memberNum: number
  /** The seq the next message will get (`NextMsgSeq`). */
  nextMsgSeq: number
  /** Unix seconds of the newest message; 0 when none. */
  lastMsgTime: number
  /** Sends refused by the group's rate limit (10023) since its actor last activated. */
  msgRateShed: number
}

export interface MembersPage { memberNum: number; members: (MemberRecord & { muteUntil: number })[] }

/** Who the coordinator tells about a change (system notices), and what happened. */
export interface Notices {
  notify: { to: string[]; type: NoticeType; detail?: Record<string, unknown> }[]
}

/** Reference §4.6 system-notice types. */
export const NoticeTypes = {
  joinRequest: 1, accepted: 2, refused: 3, kicked: 4, destroyed: 5, created: 6, invited: 7, quit: 8,
  madeAdmin: 9, adminRevoked: 10, custom: 255,
} as const
export type NoticeType = (typeof NoticeTypes)[keyof typeof NoticeTypes]

/** add_group_member per-account results: 0 failed, 1 added, 2 already a member, 3 awaiting approval. */
export type AddResult = 0 | 1 | 2 | 3

export interface SendReply { seq: number; time: number; duplicate: boolean; message: GroupMessage }

/** Per recalled seq: 0 recalled (or already), else the error code (10007, 10030, 10031, 10032). */
export interface RecallReply { results: { seq: number; code: number }[] }

export type { JoinRequest }
