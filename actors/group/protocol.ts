/**
 * The Group protocol: every message a group actor takes and the reply each gets, in one
 * place (and the GroupIndex's, beside it). Every request names its operator: a user acting
 * through a socket, or the App admin (REST), who acts as owner in every group.
 * `groupActor(app, groupId)` names a group with this protocol, so an `ask` to it is typed by
 * the request's kind, and Group.ts's handler table is checked against the same map.
 */
import type { ApplyJoinOption, GroupMessage, GroupRecord, GroupRole, InviteJoinOption, JoinedGroup, JoinRequest, MemberRecord, MsgFlag } from '../../src/model/group.js'
import type { ActorRef, Call, CheckedProtocol, MessageOf, RequestOf } from '../runtime/protocol.js'
import type { TopicInterest } from '../runtime/types.js'
import type { MsgElement } from '../../src/model/message.js'

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

export interface ImportMember {
  account: string
  role?: 'Admin' | 'Member'
  /** Unix seconds; default now. Must lie between the group's CreateTime and now. */
  joinTime?: number
  /** Unread messages this member has; default 0. */
  unread?: number
}

/** import_group_member per-account results: 0 failed (bad role or JoinTime), 1 imported, 2 already a member. */
export type ImportMemberResult = 0 | 1 | 2

export interface ImportMessage {
  from: string
  /** `SendTime`, unix seconds. */
  time: number
  random: number
  body: MsgElement[]
  cloudCustomData?: string
}

/** Per message: its seq and time when stored (or already stored), else seq 0 and code 10004. */
export interface ImportMessageResult { seq: number; time: number; code: 0 | 10004 }

export type GroupProtocol = CheckedProtocol<{
  /** A thread's subscriber count for the group's topic (sent by the runtime's threads). */
  interest: Call<TopicInterest, void>
  /** `record.groupId` is the actor's key; `owner` '' = ownerless. */
  create: Call<{ kind: 'create'; record: GroupRecord; members: MemberInput[] }, GroupView & Notices>
  info: Call<{ kind: 'info'; by: Operator }, GroupView>
  members: Call<{ kind: 'members'; by: Operator; offset: number; limit: number; roles?: GroupRole[] }, MembersPage>
  modify: Call<{ kind: 'modify'; by: Operator; changes: GroupChanges }, GroupView>
  addMembers: Call<{ kind: 'addMembers'; by: Operator; accounts: string[] }, { results: AddResult[] } & Notices>
  removeMembers: Call<{ kind: 'removeMembers'; by: Operator; accounts: string[] }, { removed: string[] } & Notices>
  setMember: Call<{ kind: 'setMember'; by: Operator; account: string; changes: MemberChanges }, Notices>
  destroy: Call<{ kind: 'destroy'; by: Operator }, Notices>
  roles: Call<{ kind: 'roles'; accounts: string[] }, { account: string; role: string }[]>
  mute: Call<{ kind: 'mute'; by: Operator; accounts: string[]; seconds: number }, void>
  muted: Call<{ kind: 'muted'; by: Operator }, { account: string; until: number }[]>
  changeOwner: Call<{ kind: 'changeOwner'; by: Operator; newOwner: string }, void>
  apply: Call<{ kind: 'apply'; user: string; message: string }, { result: 'joined' | 'pending' } & Notices>
  handleApply: Call<{ kind: 'handleApply'; by: Operator; applicant: string; accept: boolean }, Notices>
  requests: Call<{ kind: 'requests'; by: Operator }, JoinRequest[]>
  quit: Call<{ kind: 'quit'; user: string }, Notices>
  /**
   * `by` is checked (membership, mute, BChatRoom's admin-only rule); `from` is the sender shown
   * (the operator's own account, or the App admin's UserID when the App admin sends).
   */
  send: Call<{ kind: 'send'; by: Operator; from: string; draft: SendDraft }, SendReply>
  history: Call<{ kind: 'history'; by: Operator; before?: number; limit: number }, { messages: GroupMessage[]; complete: boolean }>
  /** Recalls stored messages by seq; see actors/group/recall.ts. */
  recall: Call<{ kind: 'recall'; by: Operator; seqs: number[] }, RecallReply>
  /** A member's unread count (actors/group/read.ts). */
  unread: Call<{ kind: 'unread'; user: string }, UnreadView>
  /** A member read up to `seq` (default everything). */
  read: Call<{ kind: 'read'; user: string; seq?: number }, UnreadView>
  /** REST set_unread_msg_num. */
  setUnread: Call<{ kind: 'setUnread'; user: string; unread: number }, UnreadView>
  /** Members' sockets online now, summed over threads (get_online_member_num). */
  online: Call<{ kind: 'online' }, { online: number }>
  /** REST import_group_member / import_group_msg; see actors/group/imports.ts. */
  importMembers: Call<{ kind: 'importMembers'; members: ImportMember[] }, { results: ImportMemberResult[] }>
  importMessages: Call<{ kind: 'importMessages'; messages: ImportMessage[] }, { results: ImportMessageResult[] }>
}>

export type GroupMsg = MessageOf<GroupProtocol>

/** The Group request of kind `K`, as its handler gets it. */
export type GroupRequest<K extends keyof GroupProtocol & string> = RequestOf<GroupProtocol, K>

/** The group `groupId` of app `app`. */
export function groupActor(app: number, groupId: string): ActorRef<GroupProtocol> {
  return { kind: 'group', app, key: groupId }
}

/** The reader of one user's joined-group index (GroupIndex.ts). */
export type GroupIndexProtocol = CheckedProtocol<{
  /** The user's groups, ordered by GroupId. */
  joined: Call<{ kind: 'joined' }, JoinedGroup[]>
}>

export function groupIndexActor(app: number, userId: string): ActorRef<GroupIndexProtocol> {
  return { kind: 'groupIndex', app, key: userId }
}

/** A member's read position and unread count. */
export interface UnreadView { lastSeq: number; readSeq: number; unread: number }

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

/** System-notice types (docs/tencent-compat.md §4.7). */
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

