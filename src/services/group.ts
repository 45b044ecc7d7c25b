/**
 * Group coordination, shared by the socket gateway and the REST API. Not an actor: it checks
 * accounts with the users' sessions, asks the group's actor, then sends the system notices
 * the group's reply lists — so no actor ever waits on another.
 *
 * System notices (docs/tencent-compat.md §4.7) reach users as messages in their `@TIM#SYSTEM`
 * conversation, delivered by their UserSession (stored, pushed to every device, caught up
 * after reconnect): one TIMCustomElem whose `Data` is the JSON notice
 * `{GroupId, NoticeType, …}` and whose `Ext` is `TIMGroupSystemNoticeElem`. They are sent
 * after the change is durable, best-effort: a failed notice never undoes the change.
 */
import { randomBytes, randomInt } from 'node:crypto'
import { groupActor, type GroupChanges, groupIndexActor, type GroupProtocol, type MemberInput, type Notices, type Operator, type RecallReply, type SendReply } from '../../actors/group/protocol.js'
import { userActor } from '../../actors/user/protocol.js'
import { sendNotice } from './c2c.js'
import type { ReplyOf, RequestOf } from '../../actors/runtime/protocol.js'
import { effectiveApply, GroupTypeRules, memberCap } from '../../actors/group/rules.js'
import type { Router } from '../../actors/runtime/types.js'
import { CodedError, ErrorCatalogue, errorOfCode, ParleyError } from '../core/errors.js'
import { makeMsgKey, SYSTEM_ACCOUNT } from '../model/message.js'
import { isGroupId, isUserId } from '../core/ids.js'
import { Limits } from '../core/limits.js'
import type { GroupRecord, GroupType, JoinedGroup } from '../model/group.js'

export { SYSTEM_ACCOUNT }
/** Prefix of every assigned GroupId; custom ids may not use it (except Community's `@TGS#_`). */
export const ASSIGNED_PREFIX = '@TGS#'
/**
 * Checks a custom GroupId for `type` (docs/tencent-compat.md §4.5): printable ASCII, under 48 bytes, not
 * `@TGS#`-prefixed — except Community ids, which must start `@TGS#_`. Else GROUP_BAD_ID (10015).
 */
export function checkCustomGroupId(type: GroupType, id: string): void {
  if (!isGroupId(id)) throw new ParleyError('GROUP_BAD_ID', `GroupId must be 1..${Limits.groupIdChars} printable ASCII characters`)
  const prefix = GroupTypeRules[type].idPrefix
  if (prefix && !id.startsWith(prefix)) throw new ParleyError('GROUP_BAD_ID', `${type} GroupIds start with ${prefix}`)
  if (!prefix && id.startsWith(ASSIGNED_PREFIX)) throw new ParleyError('GROUP_BAD_ID', `custom GroupIds may not start with ${ASSIGNED_PREFIX}`)
}

/** A fresh assigned id: `@TGS#` (Community `@TGS#_`) and 10 random base-32 characters. */
export function assignGroupId(type: GroupType): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  const tail = [...randomBytes(10)].map((b) => alphabet[b & 31]).join('')
  return `${GroupTypeRules[type].idPrefix || ASSIGNED_PREFIX}${tail}`
}

export function askGroup<K extends keyof GroupProtocol & string>(router: Router, app: number, groupId: string, msg: RequestOf<GroupProtocol, K>): Promise<ReplyOf<GroupProtocol, K>> {
  return router.ask(groupActor(app, groupId), msg)
}

/** The accounts among `users` that are not imported, in input order. */
export async function missingAccounts(router: Router, app: number, users: readonly string[]): Promise<string[]> {
  const found = await Promise.all(users.map((u) =>
    router.ask(userActor(app, u), { kind: 'checkAccount' })))
  return users.filter((_, i) => !found[i]!.imported)
}

/** GROUP_ACCOUNT_MISSING (10019) naming every one of `users` that is not imported; each asked once. */
export async function requireGroupAccounts(router: Router, app: number, users: readonly string[]): Promise<void> {
  const missing = await missingAccounts(router, app, [...new Set(users)])
  if (missing.length) throw new ParleyError('GROUP_ACCOUNT_MISSING', missing.join(','))
}

/**
 * A new group's record from the requested profile, with the type's defaults: member cap
 * (`MaxMemberCount` out of the type's range → 10004), ApplyJoinOption (a fixed type given
 * another option → 10004), InviteJoinOption (DisableInvite where nobody invites),
 * HistoryMsgBeforeJoin (never for types that keep no history).
 */
export function buildGroupRecord(type: GroupType, p: GroupChanges & { name: string }, owner: string, now: number): Omit<GroupRecord, 'groupId'> {
  const rules = GroupTypeRules[type]
  const cap = memberCap(type, p.maxMemberNum)
  if (cap === undefined) throw new ParleyError('GROUP_INVALID_PARAMS', `MaxMemberCount: must be 1..${rules.maxMembers} for ${type}`)
  const apply = effectiveApply(type, p.applyJoinOption)
  if (p.applyJoinOption !== undefined && apply !== p.applyJoinOption) {
    throw new ParleyError('GROUP_INVALID_PARAMS', `ApplyJoinOption: ${type} groups always use ${apply}`)
  }
  return {
    type, name: p.name, owner, introduction: p.introduction ?? '', notification: p.notification ?? '', faceUrl: p.faceUrl ?? '',
    createTime: now, infoSeq: 1, lastInfoTime: now, lastMsgTime: 0, maxMemberNum: cap, applyJoinOption: apply,
    inviteJoinOption: rules.inviteRank === undefined ? 'DisableInvite' : p.inviteJoinOption ?? 'FreeAccess',
    muteAllMember: p.muteAllMember ?? false,
    historyMsgBeforeJoin: rules.storesHistory && (p.historyMsgBeforeJoin ?? rules.historyBeforeJoin),
    appDefinedData: p.appDefinedData ?? {},
  }
}

export interface CreateRequest {
  /** Absent: assigned. */
  groupId?: string
  record: Omit<GroupRecord, 'groupId'>
  members: MemberInput[]
}

/**
 * Creates a group. The owner and every initial member must be imported (10019). An assigned
 * id that happens to be taken is replaced by another; a taken custom id is 10021 (10025
 * when the same owner already has it).
 */
export async function createGroup(router: Router, app: number, req: CreateRequest): Promise<{ groupId: string }> {
  await requireGroupAccounts(router, app, [...(req.record.owner ? [req.record.owner] : []), ...req.members.map((m) => m.account)])
  if (req.groupId !== undefined) checkCustomGroupId(req.record.type, req.groupId)
  for (let attempt = 0; ; attempt++) {
    const groupId = req.groupId ?? assignGroupId(req.record.type)
    try {
      const r = await askGroup(router, app, groupId, { kind: 'create', record: { ...req.record, groupId }, members: req.members })
      await sendNotices(router, app, groupId, r)
      return { groupId }
    } catch (e) {
      const taken = e instanceof CodedError && (e.code === ErrorCatalogue.GROUP_ID_IN_USE.code || e.code === ErrorCatalogue.GROUP_ID_YOURS.code)
      if (!taken || req.groupId !== undefined || attempt >= 3) throw e
    }
  }
}

/**
 * Adds `accounts` (each once); those not imported (or not UserIDs) get result 0 and are not sent to the
 * group. `silent` (REST `Silence` 1) sends no invitation notices. Returns add_group_member results in input order (0 failed, 1 added, 2 already a
 * member, 3 awaiting approval).
 */
export async function addGroupMembers(router: Router, app: number, by: Operator, groupId: string, accounts: string[], silent = false): Promise<{ account: string; result: number }[]> {
  const unique = [...new Set(accounts)]
  const valid = unique.filter((a) => isUserId(a))
  const missing = new Set([...unique.filter((a) => !isUserId(a)), ...await missingAccounts(router, app, valid)])
  const asked = unique.filter((a) => !missing.has(a))
  const r = asked.length
    ? await askGroup(router, app, groupId, { kind: 'addMembers', by, accounts: asked })
    : { results: [], notify: [] }
  if (!asked.length) await askGroup(router, app, groupId, { kind: 'info', by })
  if (!silent) await sendNotices(router, app, groupId, r)
  const byAccount = new Map(asked.map((a, i) => [a, r.results[i] ?? 0]))
  return unique.map((account) => ({ account, result: byAccount.get(account) ?? 0 }))
}

/** Runs a group request whose reply lists notices, sends them, and returns the reply. */
export async function askAndNotify<K extends NoticeKind>(router: Router, app: number, groupId: string, msg: RequestOf<GroupProtocol, K>, silent = false): Promise<ReplyOf<GroupProtocol, K>> {
  const r = await askGroup(router, app, groupId, msg)
  // K is a kind whose reply is Notices (NoticeKind), which TypeScript cannot see through the generic.
  if (!silent) await sendNotices(router, app, groupId, r as Notices)
  return r
}

/** The group requests whose reply lists system notices to send. */
export type NoticeKind = { [K in keyof GroupProtocol]: GroupProtocol[K]['reply'] extends Notices ? K : never }[keyof GroupProtocol] & string

/** The groups `user` belongs to, ordered by GroupId. */
export function joinedGroups(router: Router, app: number, user: string): Promise<JoinedGroup[]> {
  return router.ask(groupIndexActor(app, user), { kind: 'joined' })
}

/** Sends a group message; see actors/group/messaging.ts for seq, dedupe and mute rules. */
export function sendGroupMessage(router: Router, app: number, groupId: string, msg: RequestOf<GroupProtocol, 'send'>): Promise<SendReply> {
  return askGroup(router, app, groupId, msg)
}

/** Recalls stored messages of a group; see actors/group/recall.ts for who may and the per-seq codes. */
export function recallGroupMessages(router: Router, app: number, by: Operator, groupId: string, seqs: number[]): Promise<RecallReply> {
  return askGroup(router, app, groupId, { kind: 'recall', by, seqs })
}

/** Recalls one message: resolves once recalled (or already), else rejects with its code. */
export async function recallGroupMessage(router: Router, app: number, by: Operator, groupId: string, seq: number): Promise<void> {
  const [r] = (await recallGroupMessages(router, app, by, groupId, [seq])).results
  if (r && r.code !== 0) throw errorOfCode(r.code, `seq ${seq}`)
}

/** Delivers each notice to its users' `@TIM#SYSTEM` conversation; failures are ignored (see the file comment). */
export async function sendNotices(router: Router, app: number, groupId: string, n: Notices): Promise<void> {
  const time = Math.floor(Date.now() / 1000)
  const sends: Promise<unknown>[] = []
  for (const { to, type, detail } of n.notify) {
    const data = JSON.stringify({ GroupId: groupId, NoticeType: type, ...detail })
    for (const user of new Set(to)) {
      const random = randomInt(0, 0xffffffff)
      const msgSeq = randomInt(0, 0xffffffff)
      sends.push(sendNotice(router, app, user, {
        to: user, msgSeq, random, time, syncOtherMachine: 2, onlineOnly: false, needReadReceipt: false, noUnread: false, noLastMsg: false,
        body: [{ MsgType: 'TIMCustomElem', MsgContent: { Data: data, Desc: 'group system notice', Ext: 'TIMGroupSystemNoticeElem' } }],
      }, Date.now()))
    }
  }
  await Promise.allSettled(sends)
}
