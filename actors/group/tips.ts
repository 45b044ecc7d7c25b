/**
 * Group tips (docs/tencent-compat.md §4.7): what members see when the group changes — a join, a quit, a
 * removal, an admin appointed or revoked, the profile or a member's mute changed. A tip is a
 * group message from `@TIM#SYSTEM` whose body is one TIMGroupTipElem.
 *
 * A tip is part of the commit that makes its change (Group.commit): in a group that keeps
 * history it is stored in the same atomic commit with the next seq, so the change and its tip
 * are durable together and devices that miss the push fetch it like any message; in an
 * AVChatRoom or BChatRoom it is pushed once with seq 0 after the commit. ChatRoom and
 * BChatRoom send no member-change tips (join, quit, kicked; docs/tencent-compat.md §4.2). An AVChatRoom's
 * member-change tips are capped per group (Group.ts): each goes to every member, so a join
 * storm in a large room would otherwise cost members × joins deliveries.
 */
import { SYSTEM_ACCOUNT } from '../../src/model/message.js'
import type { GroupMessage, GroupRecord, GroupType } from '../../src/model/group.js'
import type { Operator } from './protocol.js'
import { GroupTypeRules } from './rules.js'

/** Tip op types (docs/tencent-compat.md §4.7). */
export const TipTypes = {
  join: 1, quit: 2, kicked: 3, setAdmin: 4, adminRevoked: 5, profile: 6, memberInfo: 7,
} as const
export type TipType = (typeof TipTypes)[keyof typeof TipTypes]

/** The `MsgContent` of a TIMGroupTipElem (docs/protocol.md, "Group tips"). */
export interface TipContent {
  OpType: TipType
  /** Who made the change: the acting member, or the App admin's UserID (REST). */
  Operator_Account: string
  /** 1–5: the members who joined, quit, were removed, or whose role changed. */
  MemberList?: string[]
  /** 6: the profile fields that changed, with their new values, in Tencent's field names. */
  GroupInfo?: Record<string, string>
  /** 7: members whose mute changed, `MuteTime` the mute in seconds (0 unmuted, 4294967295 forever). */
  MemberInfoList?: { Member_Account: string; MuteTime: number }[]
}

const MemberChanges: ReadonlySet<TipType> = new Set([TipTypes.join, TipTypes.quit, TipTypes.kicked])

/** Join, quit, kicked. */
export function isMemberChange(op: TipType): boolean {
  return MemberChanges.has(op)
}

/** How a group of `type` carries a tip of `op`: stored with the next seq, pushed with seq 0, or not at all. */
export function tipDelivery(type: GroupType, op: TipType): 'stored' | 'live' | 'none' {
  if ((type === 'ChatRoom' || type === 'BChatRoom') && isMemberChange(op)) return 'none'
  return GroupTypeRules[type].storesHistory ? 'stored' : 'live'
}

/** The tip as a group message at `seq` (0: not stored), sent at `time` (unix s). */
export function tipMessage(tip: TipContent, seq: number, time: number): GroupMessage {
  return { seq, from: SYSTEM_ACCOUNT, random: 0, time, body: [{ MsgType: 'TIMGroupTipElem', MsgContent: { ...tip } }], flags: 0 }
}

/** The operator as tips name it. */
export function operatorAccount(by: Operator): string {
  return by.user ?? by.adminId ?? ''
}

/**
 * The profile fields members are told of when they change (tip 6), with their new values.
 * Custom fields (per-key read levels), the member cap and the history setting are not told.
 * Undefined when none of them changed.
 */
export function profileChanges(before: GroupRecord, after: GroupRecord): Record<string, string> | undefined {
  const shown: [keyof GroupRecord, string][] = [
    ['name', 'Name'], ['introduction', 'Introduction'], ['notification', 'Notification'], ['faceUrl', 'FaceUrl'],
    ['owner', 'Owner_Account'], ['applyJoinOption', 'ApplyJoinOption'], ['inviteJoinOption', 'InviteJoinOption'],
  ]
  const out: Record<string, string> = {}
  for (const [field, name] of shown) if (before[field] !== after[field]) out[name] = String(after[field])
  if (before.muteAllMember !== after.muteAllMember) out['MuteAllMember'] = after.muteAllMember ? 'On' : 'Off'
  return Object.keys(out).length ? out : undefined
}
