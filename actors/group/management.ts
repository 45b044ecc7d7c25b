/**
 * The Group actor's management handlers (create, profile, membership, roles, mutes, the
 * apply/approve flow). Each checks its inputs and permissions first (coded errors, nothing
 * changed), then commits once — with the change's tips (tips.ts) — then returns its reply and
 * the notices the coordinator sends.
 */
import { ParleyError } from '../../src/core/errors.js'
import type { GroupCommit } from '../../src/store/GroupStore.js'
import type { GroupRecord, MemberRecord } from '../../src/model/group.js'
import { type GroupCtx, requireGroup } from './context.js'
import { type AddResult, type GroupRequest, type GroupView, type Notices, NoticeTypes, type Operator } from './protocol.js'
import {
  applyOutcome, canApprove, canEditProfile, canKick, canMute, canOwn, canQuit, canSetRole, effectiveApply,
  GroupTypeRules, hasRoom, inviteOutcome, memberCap, Rank,
} from './rules.js'
import { operatorAccount, profileChanges, type TipContent, TipTypes, type TipType } from './tips.js'


/** Tencent's "forever" mute. */
export const MUTE_FOREVER = 4294967295

function newMember(g: GroupCtx, account: string, role: MemberRecord['role'], fields: Record<string, string> = {}, joinTime = g.nowSec()): MemberRecord {
  return {
    account, role, joinTime, joinSeq: g.s.lastSeq, readSeq: g.s.lastSeq, msgFlag: 'AcceptAndNotify',
    lastSendMsgTime: 0, nameCard: '', appMemberDefinedData: fields,
  }
}

/** A tip of `op` by `by` about `members`. */
function memberTip(op: TipType, by: Operator, members: string[]): TipContent {
  return { OpType: op, Operator_Account: operatorAccount(by), MemberList: members }
}

function muteTip(by: Operator, accounts: string[], seconds: number): TipContent {
  return { OpType: TipTypes.memberInfo, Operator_Account: operatorAccount(by), MemberInfoList: accounts.map((a) => ({ Member_Account: a, MuteTime: seconds })) }
}

function profileTip(by: Operator, before: GroupRecord, after: GroupRecord): TipContent[] {
  const changes = profileChanges(before, after)
  return changes ? [{ OpType: TipTypes.profile, Operator_Account: operatorAccount(by), GroupInfo: changes }] : []
}

function invalid(detail: string): never {
  throw new ParleyError('GROUP_INVALID_PARAMS', detail)
}

function requireRoom(g: GroupCtx, group: GroupRecord, adding: number): void {
  if (!hasRoom(group.maxMemberNum, g.s.members.size, adding)) {
    throw new ParleyError('GROUP_FULL', `${g.s.members.size} of ${group.maxMemberNum} members`)
  }
}

export async function onCreate(g: GroupCtx, m: GroupRequest<'create'>): Promise<GroupView & Notices> {
  const rec = m.record
  if (g.s.group) {
    const mine = rec.owner !== '' && rec.owner === g.s.group.owner
    throw new ParleyError(mine ? 'GROUP_ID_YOURS' : 'GROUP_ID_IN_USE', rec.groupId)
  }
  const rules = GroupTypeRules[rec.type]
  // Initial members join when the group was created (now, or an imported group's CreateTime).
  const members: MemberRecord[] = rec.owner ? [newMember(g, rec.owner, 'Owner', {}, rec.createTime)] : []
  for (const x of m.members) {
    if (x.account === rec.owner || members.some((y) => y.account === x.account)) continue
    if (x.role === 'Admin' && !rules.admins) invalid(`${rec.type} groups have no Admin role`)
    if (x.appMemberDefinedData && !rules.memberFields) invalid(`${rec.type} groups have no custom member fields`)
    members.push(newMember(g, x.account, x.role ?? 'Member', x.appMemberDefinedData, rec.createTime))
  }
  if (!hasRoom(rec.maxMemberNum, 0, members.length)) throw new ParleyError('GROUP_FULL', `${members.length} initial members`)
  await g.commit({ group: rec, members })
  const invited = members.filter((x) => x.account !== rec.owner).map((x) => x.account)
  return { ...g.view(rec), notify: invited.length ? [{ to: invited, type: NoticeTypes.created }] : [] }
}

export async function onModify(g: GroupCtx, m: GroupRequest<'modify'>): Promise<GroupView> {
  const group = requireGroup(g)
  const rank = g.s.rank(m.by)
  const c = m.changes
  if (!canEditProfile(group.type, rank)) throw new ParleyError('GROUP_NO_PERMISSION', 'edit the group profile')
  if ((c.muteAllMember !== undefined || c.historyMsgBeforeJoin !== undefined) && rank < Rank.admin) {
    throw new ParleyError('GROUP_NO_PERMISSION', 'owner or admin only')
  }
  const rules = GroupTypeRules[group.type]
  let maxMemberNum = group.maxMemberNum
  if (c.maxMemberNum !== undefined) {
    const cap = memberCap(group.type, c.maxMemberNum)
    if (cap === undefined) invalid(`MaxMemberNum must be 1..${rules.maxMembers} for ${group.type}`)
    if (cap !== 0 && cap < g.s.members.size) invalid(`MaxMemberNum ${cap} is below the ${g.s.members.size} members`)
    maxMemberNum = cap
  }
  if (c.applyJoinOption !== undefined && effectiveApply(group.type, c.applyJoinOption) !== c.applyJoinOption) {
    invalid(`${group.type} groups always have ApplyJoinOption ${rules.defaultApply}`)
  }
  if (c.inviteJoinOption !== undefined && rules.inviteRank === undefined) invalid(`${group.type} groups take no invitations`)
  if (c.historyMsgBeforeJoin !== undefined && !rules.storesHistory) invalid(`${group.type} groups keep no history`)
  const appDefinedData = { ...group.appDefinedData }
  for (const [k, v] of Object.entries(c.appDefinedData ?? {})) {
    if (v === '') delete appDefinedData[k]
    else appDefinedData[k] = v
  }
  const { appDefinedData: _a, maxMemberNum: _m, ...plain } = c
  const now = g.nowSec()
  const next: GroupRecord = { ...group, ...plain, maxMemberNum, appDefinedData, infoSeq: group.infoSeq + 1, lastInfoTime: now }
  await g.commit({ group: next }, profileTip(m.by, group, next))
  return g.view(next)
}

/**
 * Invites `accounts` (already checked to be imported). Owners, admins and the App admin add
 * directly; members follow InviteJoinOption. All or nothing against the member cap.
 */
export async function onAddMembers(g: GroupCtx, m: GroupRequest<'addMembers'>): Promise<{ results: AddResult[] } & Notices> {
  const group = requireGroup(g)
  const outcome = inviteOutcome(group.type, g.s.rank(m.by), group.inviteJoinOption)
  if (outcome === 'denied') throw new ParleyError('GROUP_NO_PERMISSION', `invite into this ${group.type} group`)
  const results: AddResult[] = []
  const c: Required<Pick<GroupCommit, 'members' | 'requests'>> = { members: [], requests: [] }
  const seen = new Set<string>()
  for (const account of m.accounts) {
    if (g.s.members.has(account) || seen.has(account)) { results.push(2); continue }
    seen.add(account)
    if (outcome === 'join') {
      c.members.push(newMember(g, account, 'Member'))
      results.push(1)
    } else {
      c.requests.push({ account, time: g.nowSec(), message: '', inviter: m.by.user })
      results.push(3)
    }
  }
  requireRoom(g, group, c.members.length)
  const added = c.members.map((x) => x.account)
  await g.commit({ ...c, removeRequests: added }, added.length ? [memberTip(TipTypes.join, m.by, added)] : [])
  const notify: Notices['notify'] = []
  if (c.members.length) notify.push({ to: c.members.map((x) => x.account), type: NoticeTypes.invited, detail: { by: m.by.user } })
  if (c.requests.length) {
    notify.push({ to: g.s.approvers(), type: NoticeTypes.joinRequest, detail: { accounts: c.requests.map((r) => r.account), by: m.by.user } })
  }
  return { results, notify }
}

export async function onRemoveMembers(g: GroupCtx, m: GroupRequest<'removeMembers'>): Promise<{ removed: string[] } & Notices> {
  const group = requireGroup(g)
  const rank = g.s.rank(m.by)
  const removed = [...new Set(m.accounts)].filter((a) => g.s.members.has(a))
  for (const a of removed) {
    if (!canKick(group.type, rank, g.s.rankOfMember(a))) throw new ParleyError('GROUP_NO_PERMISSION', `remove ${a}`)
  }
  if (removed.length) await g.commit({ removeMembers: removed }, [memberTip(TipTypes.kicked, m.by, removed)])
  return { removed, notify: removed.length ? [{ to: removed, type: NoticeTypes.kicked, detail: { by: m.by.user } }] : [] }
}

export async function onSetMember(g: GroupCtx, m: GroupRequest<'setMember'>): Promise<Notices> {
  const group = requireGroup(g)
  const target = g.s.members.get(m.account)
  if (!target) throw new ParleyError('GROUP_NO_PERMISSION', `${m.account} is not a member`)
  const rank = g.s.rank(m.by)
  const targetRank = g.s.rankOfMember(m.account)
  const self = m.by.user === m.account && !m.by.appAdmin
  const c = m.changes
  const over = rank >= Rank.admin && rank > targetRank
  if (c.role !== undefined && (target.role === 'Owner' || !canSetRole(group.type, rank, c.role))) {
    throw new ParleyError('GROUP_NO_PERMISSION', 'set the role')
  }
  if ((c.nameCard !== undefined || c.appMemberDefinedData !== undefined) && !self && !over) {
    throw new ParleyError('GROUP_NO_PERMISSION', 'edit another member')
  }
  if (c.appMemberDefinedData && !GroupTypeRules[group.type].memberFields) invalid(`${group.type} groups have no custom member fields`)
  if (c.msgFlag !== undefined && !self && !m.by.appAdmin) throw new ParleyError('GROUP_NO_PERMISSION', 'MsgFlag is the member\'s own')
  if (c.muteTime !== undefined && !canMute(rank, targetRank)) throw new ParleyError('GROUP_NO_PERMISSION', 'mute this member')
  const fields = { ...target.appMemberDefinedData }
  for (const [k, v] of Object.entries(c.appMemberDefinedData ?? {})) {
    if (v === '') delete fields[k]
    else fields[k] = v
  }
  const next: MemberRecord = {
    ...target, role: c.role ?? target.role, nameCard: c.nameCard ?? target.nameCard, msgFlag: c.msgFlag ?? target.msgFlag,
    appMemberDefinedData: fields,
  }
  const mutes = c.muteTime !== undefined ? [{ account: m.account, until: muteEnd(g.nowSec(), c.muteTime) }] : undefined
  const changedRole = c.role !== undefined && c.role !== target.role
  const tips: TipContent[] = []
  if (changedRole) tips.push(memberTip(c.role === 'Admin' ? TipTypes.setAdmin : TipTypes.adminRevoked, m.by, [m.account]))
  if (c.muteTime !== undefined) tips.push(muteTip(m.by, [m.account], c.muteTime))
  await g.commit({ members: [next], mutes }, tips)
  return {
    notify: changedRole ? [{ to: [m.account], type: c.role === 'Admin' ? NoticeTypes.madeAdmin : NoticeTypes.adminRevoked }] : [],
  }
}

export async function onDestroy(g: GroupCtx, m: GroupRequest<'destroy'>): Promise<Notices> {
  const group = requireGroup(g)
  if (!canOwn(g.s.rank(m.by))) throw new ParleyError('GROUP_NO_PERMISSION', 'destroy the group')
  const members = [...g.s.members.keys()]
  await g.commit({ destroy: true, removeMembers: members })
  const to = members.filter((a) => a !== m.by.user)
  return { notify: to.length ? [{ to, type: NoticeTypes.destroyed, detail: { name: group.name } }] : [] }
}

/** Mute end for a mute of `seconds` from `now`: 0 unmutes, 4294967295 (or beyond) is forever. */
export function muteEnd(now: number, seconds: number): number {
  if (seconds === 0) return 0
  return Math.min(MUTE_FOREVER, now + seconds)
}

export async function onMute(g: GroupCtx, m: GroupRequest<'mute'>): Promise<void> {
  requireGroup(g)
  const rank = g.s.rank(m.by)
  const accounts = [...new Set(m.accounts)]
  for (const a of accounts) {
    if (!g.s.members.has(a)) throw new ParleyError('GROUP_NO_PERMISSION', `${a} is not a member`)
    if (!canMute(rank, g.s.rankOfMember(a))) throw new ParleyError('GROUP_NO_PERMISSION', `mute ${a}`)
  }
  const until = muteEnd(g.nowSec(), m.seconds)
  await g.commit({ mutes: accounts.map((account) => ({ account, until })) }, [muteTip(m.by, accounts, m.seconds)])
}

export async function onChangeOwner(g: GroupCtx, m: GroupRequest<'changeOwner'>): Promise<void> {
  const group = requireGroup(g)
  if (!canOwn(g.s.rank(m.by))) throw new ParleyError('GROUP_NO_PERMISSION', 'transfer ownership')
  const heir = g.s.members.get(m.newOwner)
  if (!heir) invalid(`NewOwner_Account ${m.newOwner} is not a member`)
  if (group.owner === m.newOwner) return
  const members: MemberRecord[] = [{ ...heir, role: 'Owner' }]
  const old = g.s.members.get(group.owner)
  if (old) members.push({ ...old, role: 'Member' })
  const next = { ...group, owner: m.newOwner, infoSeq: group.infoSeq + 1, lastInfoTime: g.nowSec() }
  await g.commit({ group: next, members }, profileTip(m.by, group, next))
}

export async function onApply(g: GroupCtx, m: GroupRequest<'apply'>): Promise<{ result: 'joined' | 'pending' } & Notices> {
  const group = requireGroup(g)
  if (g.s.members.has(m.user)) throw new ParleyError('GROUP_ALREADY_MEMBER', m.user)
  const outcome = applyOutcome(group.type, group.applyJoinOption)
  if (outcome === 'denied') throw new ParleyError('GROUP_NO_PERMISSION', `${group.type} group ${group.groupId} takes no applications`)
  if (outcome === 'join') {
    requireRoom(g, group, 1)
    const tip = memberTip(TipTypes.join, { user: m.user, appAdmin: false }, [m.user])
    await g.commit({ members: [newMember(g, m.user, 'Member')], removeRequests: [m.user] }, [tip])
    return { result: 'joined', notify: [] }
  }
  await g.commit({ requests: [{ account: m.user, time: g.nowSec(), message: m.message }] })
  return { result: 'pending', notify: [{ to: g.s.approvers(), type: NoticeTypes.joinRequest, detail: { accounts: [m.user], message: m.message } }] }
}

/** One request's outcome in a batch: its reply, or its coded failure. */
export type Outcome<T> = { value: T } | { error: ParleyError }

/**
 * Applications to a group that admits at once (ApplyJoinOption FreeAccess), served together:
 * the joins commit once, each with its own join tip, in the order asked. Each application
 * gets what it would have got alone: 10013 when already a member (or listed earlier in the
 * batch), 10014 once the cap is reached.
 */
export async function onApplies(g: GroupCtx, ms: readonly GroupRequest<'apply'>[]): Promise<Outcome<{ result: 'joined' } & Notices>[]> {
  const group = requireGroup(g)
  const joiners = new Set<string>()
  const outcomes = ms.map((m): Outcome<{ result: 'joined' } & Notices> => {
    if (g.s.members.has(m.user) || joiners.has(m.user)) return { error: new ParleyError('GROUP_ALREADY_MEMBER', m.user) }
    if (!hasRoom(group.maxMemberNum, g.s.members.size, joiners.size + 1)) {
      return { error: new ParleyError('GROUP_FULL', `${g.s.members.size + joiners.size} of ${group.maxMemberNum} members`) }
    }
    joiners.add(m.user)
    return { value: { result: 'joined', notify: [] } }
  })
  const users = [...joiners]
  if (users.length) {
    const tips = users.map((u) => memberTip(TipTypes.join, { user: u, appAdmin: false }, [u]))
    await g.commit({ members: users.map((u) => newMember(g, u, 'Member')), removeRequests: users }, tips)
  }
  return outcomes
}

export async function onHandleApply(g: GroupCtx, m: GroupRequest<'handleApply'>): Promise<Notices> {
  const group = requireGroup(g)
  if (!canApprove(group.type, g.s.rank(m.by))) throw new ParleyError('GROUP_NO_PERMISSION', 'handle join requests')
  if (!g.s.requests.has(m.applicant)) throw new ParleyError('GROUP_REQUEST_HANDLED', m.applicant)
  const joining = m.accept && !g.s.members.has(m.applicant)
  if (joining) requireRoom(g, group, 1)
  const tips = joining ? [memberTip(TipTypes.join, m.by, [m.applicant])] : []
  await g.commit({ removeRequests: [m.applicant], members: joining ? [newMember(g, m.applicant, 'Member')] : [] }, tips)
  return { notify: [{ to: [m.applicant], type: m.accept ? NoticeTypes.accepted : NoticeTypes.refused, detail: { by: m.by.user } }] }
}

export async function onQuit(g: GroupCtx, m: GroupRequest<'quit'>): Promise<Notices> {
  const group = requireGroup(g)
  const me = g.s.members.get(m.user)
  if (!me) throw new ParleyError('GROUP_NO_PERMISSION', `${m.user} is not a member`)
  if (!canQuit(group.type, me.role)) throw new ParleyError('GROUP_OWNER_CANNOT_QUIT', group.type)
  const ownerless = me.role === 'Owner' ? { group: { ...group, owner: '', infoSeq: group.infoSeq + 1, lastInfoTime: g.nowSec() } } : {}
  await g.commit({ removeMembers: [m.user], ...ownerless }, [memberTip(TipTypes.quit, { user: m.user, appAdmin: false }, [m.user])])
  return { notify: [] }
}

