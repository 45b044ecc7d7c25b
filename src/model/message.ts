/**
 * The message model of docs/tencent-compat.md §3. Elements cross every boundary unchanged; the server
 * only validates them (see elements.ts) and never rewrites their content.
 */

export const ElementTypes = [
  'TIMTextElem', 'TIMFaceElem', 'TIMLocationElem', 'TIMCustomElem', 'TIMSoundElem',
  'TIMImageElem', 'TIMFileElem', 'TIMVideoFileElem', 'TIMRelayElem',
] as const
export type ElementType = (typeof ElementTypes)[number]

/**
 * Elements only the server writes (docs/tencent-compat.md §3.2): a group
 * tip (docs/protocol.md, "Group tips"). Never accepted in a client's body.
 */
export type ServerElementType = 'TIMGroupTipElem'

export interface MsgElement {
  MsgType: ElementType | ServerElementType
  MsgContent: Record<string, unknown>
}

/** The sender of server-generated messages: group system notices and group tips. */
export const SYSTEM_ACCOUNT = '@TIM#SYSTEM'

/**
 * UserIDs starting `@TIM#` belong to the server (SYSTEM_ACCOUNT): no account may be created
 * under one and no one-to-one message goes to or from one. A user's conversation with
 * SYSTEM_ACCOUNT is numbered by that user's own session alone (notices are delivered without
 * a seq), so a second sequencer there would overwrite notices.
 */
export function isReservedUserId(id: string): boolean {
  return id.startsWith('@TIM#')
}

/** A group mention of every member (`GroupAtInfo` with `GroupAtAllFlag` 1), as stored in `atAccounts`. */
export const AT_ALL = '@ALL'

/** `MsgFlagBits` values in history. */
export const MsgFlags = { normal: 0, recalled: 8 } as const

/** What the sender asked for, validated; the input of a C2C send from any door (socket or REST). */
export interface C2CSendRequest {
  to: string
  /** Sender-chosen u32; random if the client omitted it. */
  msgSeq: number
  /** Sender-chosen u32 used for dedupe. */
  random: number
  body: MsgElement[]
  cloudCustomData?: string
  /** 1 = also to the sender's other devices and roaming (default), 2 = neither. */
  syncOtherMachine: 1 | 2
  /** Offline retention in seconds, clamped to 7 days; 0 = online only. */
  lifeTime?: number
  onlineOnly: boolean
  needReadReceipt: boolean
  /** `SendMsgControl` flags. */
  noUnread: boolean
  noLastMsg: boolean
  /** Unix seconds forced by an admin REST send (`MsgTimeStamp`); otherwise the server clock. */
  time?: number
}

/** One C2C message as stored in one owner's view of one conversation. */
export interface StoredMessage {
  /** `"{MsgSeq}_{MsgRandom}_{MsgTime}"`, identical in both participants' views. */
  msgKey: string
  from: string
  to: string
  msgSeq: number
  random: number
  /** Unix seconds. */
  time: number
  body: MsgElement[]
  cloudCustomData?: string
  needReadReceipt?: boolean
  /** Server-assigned sequence within the owner's view of the conversation, from 1. */
  seq: number
  /** MsgFlagBits: 0 normal, 8 recalled. */
  flags: number
  /** The peer has read this message (read receipt or conversation read report). */
  peerRead?: boolean
}

export function makeMsgKey(msgSeq: number, random: number, time: number): string {
  return `${msgSeq}_${random}_${time}`
}
