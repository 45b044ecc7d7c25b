/**
 * Group: one virtual actor per (app, GroupId). Owns the group's profile, members with roles
 * and custom fields, mutes, pending join requests and the group's message sequence. It is
 * the single writer of all of the group's GroupStore records (and of its rows in the
 * per-user joined-group index), so it assigns message seqs without locks. Every change is
 * committed durably before it is applied in memory and answered. It never awaits another
 * actor: notices to users are sent by the coordinator outside actors
 * (src/messaging/group.ts), which also checks accounts before asking here.
 *
 * Live traffic goes out through RoomFanout (once per thread with members online). After a
 * commit that adds or removes members, the group tells each one's UserSession to
 * (un)subscribe their devices to the group's topic. A change's tip (actors/group/tips.ts)
 * goes into the change's own commit; sends are rate-limited per group (actors/group/rate.ts).
 *
 * Permission decisions all go through the pure rule table in actors/group/rules.ts.
 */
import { ParleyError } from '../src/errors.js'
import type { GroupCommit, GroupMessage, GroupRecord, JoinRequest, MemberRecord } from '../src/store/GroupStore.js'
import type { ActorDeps } from './deps.js'
import type { GroupMsg, GroupView, MembersPage } from './group/messages.js'
import { onHistory, onSend } from './group/messaging.js'
import { onRecall } from './group/recall.js'
import { MessageRate } from './group/rate.js'
import { isMemberChange, type TipContent, tipDelivery, tipMessage } from './group/tips.js'
import {
  onAddMembers, onApplies, onApply, onChangeOwner, onCreate, onDestroy, onHandleApply, onModify, onMute, onQuit,
  onRemoveMembers, onSetMember,
} from './group/management.js'
import { GroupState } from './group/state.js'
import { applyOutcome, Rank } from './group/rules.js'
import type { Actor, ActorContext, DeactivationReason, TopicInterest } from './runtime/types.js'
import { userActor } from './ActorId.js'
import { RoomFanout } from './group/fanout.js'
import { onRead, onSetUnread, onUnread } from './group/read.js'
import { onImportMembers, onImportMessages } from './group/imports.js'
import type { UserSessionMsg } from './UserSession.js'

/** What the handler modules get: the state, the clock, and the one way to change state. */
export interface GroupCtx {
  readonly s: GroupState
  readonly actor: ActorContext<ActorDeps>
  /** The group's live fan-out to members' online sockets. */
  readonly fanout: RoomFanout
  /** The group's message rate limit. */
  readonly rate: MessageRate
  nowSec(): number
  view(group: GroupRecord): GroupView
  /**
   * Commits durably, then applies to `s` and publishes: `tips` (stored ones are appended to
   * `c.messages` with the next seqs, so the change and its tips commit atomically; live ones
   * are pushed with seq 0; see tipDelivery), then a `groupLeave` for members that left.
   * A failed commit marks the actor broken.
   */
  commit(c: GroupCommit, tips?: readonly TipContent[]): Promise<void>
}

/** Most applications one commit serves (a join storm's batch). */
export const MAX_JOIN_BATCH = 100

export class Group implements Actor, GroupCtx {
  s!: GroupState
  fanout!: RoomFanout
  rate!: MessageRate
  /**
   * Live member-change tips (AVChatRoom joins and quits) per second, at most the message rate:
   * beyond it the tip is dropped (the change itself goes through), bounding a join storm.
   */
  private memberTips!: MessageRate
  private broken = false

  constructor(readonly actor: ActorContext<ActorDeps>) {}

  private get ref() {
    return { app: this.actor.self.app, groupId: this.actor.self.key }
  }

  async onActivate(): Promise<void> {
    const { groups } = this.actor.deps
    this.s = new GroupState(await groups.load(this.ref))
    this.fanout = new RoomFanout(this.actor)
    this.rate = new MessageRate(this.actor.deps.groupMsgRate, this.actor.now())
    this.memberTips = new MessageRate(this.actor.deps.groupMsgRate, this.actor.now())
    const [newest] = await groups.readMessages(this.ref, { limit: 1 })
    if (newest) this.s.lastMsgTime = newest.time
  }

  async onDeactivate(_reason: DeactivationReason): Promise<void> {}

  async handle(raw: { kind: string }): Promise<unknown> {
    if (this.broken) throw new Error('group state is stale after a failed commit; restarting')
    const msg = raw as GroupMsg | TopicInterest
    switch (msg.kind) {
      case 'interest': return this.fanout.onInterest(msg)
      case 'online': return requireGroup(this) && { online: this.fanout.online() }
      case 'create': return onCreate(this, msg)
      case 'info': return this.onInfo()
      case 'members': return this.onMembers(msg)
      case 'modify': return onModify(this, msg)
      case 'addMembers': return onAddMembers(this, msg)
      case 'removeMembers': return onRemoveMembers(this, msg)
      case 'setMember': return onSetMember(this, msg)
      case 'destroy': return onDestroy(this, msg)
      case 'roles': return this.onRoles(msg)
      case 'mute': return onMute(this, msg)
      case 'muted': return this.onMuted(msg)
      case 'changeOwner': return onChangeOwner(this, msg)
      case 'apply': return this.onApply(msg)
      case 'handleApply': return onHandleApply(this, msg)
      case 'requests': return this.onRequests(msg)
      case 'quit': return onQuit(this, msg)
      case 'send': return onSend(this, msg)
      case 'history': return onHistory(this, msg)
      case 'recall': return onRecall(this, msg)
      case 'unread': return onUnread(this, msg)
      case 'read': return onRead(this, msg)
      case 'setUnread': return onSetUnread(this, msg)
      case 'importMembers': return onImportMembers(this, msg)
      case 'importMessages': return onImportMessages(this, msg)
      default: return assertNever(msg)
    }
  }

  nowSec(): number {
    return Math.floor(this.actor.now() / 1000)
  }

  /**
   * An application. Where applying joins at once, the applications queued right behind it
   * join in the same commit (onApplies): a join storm into a live room costs one durable
   * write per batch, not per member.
   */
  private async onApply(first: Extract<GroupMsg, { kind: 'apply' }>): Promise<unknown> {
    const group = this.s.group
    const joinsAtOnce = group !== undefined && applyOutcome(group.type, group.applyJoinOption) === 'join'
    const rest = joinsAtOnce ? this.actor.takeQueued((m) => m.kind === 'apply', MAX_JOIN_BATCH - 1) : []
    if (rest.length === 0) return onApply(this, first)
    let outcomes: Awaited<ReturnType<typeof onApplies>>
    try {
      outcomes = await onApplies(this, [first, ...rest.map((r) => r.msg as Extract<GroupMsg, { kind: 'apply' }>)])
    } catch (e) {
      const coded = e instanceof ParleyError ? e : new ParleyError('INTERNAL', 'group commit failed')
      for (const r of rest) r.settle(Promise.reject(coded))
      throw e
    }
    rest.forEach((r, i) => {
      const o = outcomes[i + 1]!
      r.settle('error' in o ? Promise.reject(o.error) : Promise.resolve(o.value))
    })
    const o = outcomes[0]!
    if ('error' in o) throw o.error
    return o.value
  }

  async commit(change: GroupCommit, tips: readonly TipContent[] = []): Promise<void> {
    const tipMsgs = this.tipMessages(change, tips)
    const stored = tipMsgs.filter((m) => m.seq > 0)
    const c = stored.length ? { ...change, messages: [...(change.messages ?? []), ...stored] } : change
    try {
      await this.actor.deps.groups.commit(this.ref, c)
    } catch (e) {
      this.broken = true
      throw new Error(`group commit failed for ${this.ref.app}/${this.ref.groupId}: ${String(e)}`)
    }
    const before = this.s.members
    const joined = (c.members ?? []).filter((m) => !before.has(m.account)).map((m) => m.account)
    const left = c.destroy ? [...before.keys()] : (c.removeMembers ?? []).filter((a) => before.has(a))
    this.s.apply(c)
    this.subscribe(joined, true)
    for (const msg of tipMsgs) this.fanout.publish({ type: 'groupMsg', groupId: this.actor.self.key, msg })
    if (left.length) {
      this.fanout.publish({ type: 'groupLeave', groupId: this.actor.self.key, accounts: left })
      this.subscribe(left, false)
    }
  }

  /**
   * The messages of `tips` for this group's type: stored ones numbered after `c.messages`,
   * live ones seq 0 (live member changes only while `memberTips` has a token).
   */
  private tipMessages(c: GroupCommit, tips: readonly TipContent[]): GroupMessage[] {
    const type = (c.group ?? this.s.group)?.type
    if (type === undefined) return []
    const now = this.nowSec()
    let seq = this.s.lastSeq + (c.messages?.length ?? 0)
    return tips.flatMap((tip) => {
      const how = tipDelivery(type, tip.OpType)
      if (how === 'none') return []
      if (how === 'live' && isMemberChange(tip.OpType) && !this.memberTips.take(this.actor.now(), undefined, false)) return []
      return [tipMessage(tip, how === 'stored' ? ++seq : 0, now)]
    })
  }

  /** Tells the sessions of `accounts` to (un)subscribe their devices to this group's topic. */
  private subscribe(accounts: string[], on: boolean): void {
    const topics = [this.fanout.topic]
    for (const a of accounts) {
      const m: UserSessionMsg = { kind: 'topics', topics, on }
      this.actor.tell(userActor(this.actor.self.app, a), m)
    }
  }

  private onInfo(): GroupView {
    const group = requireGroup(this)
    return this.view(group)
  }

  view(group: GroupRecord): GroupView {
    return {
      group, memberNum: this.s.members.size, nextMsgSeq: this.s.lastSeq + 1, lastMsgTime: this.s.lastMsgTime, msgRateShed: this.rate.shed,
    }
  }

  private onMembers(m: Extract<GroupMsg, { kind: 'members' }>): MembersPage {
    requireGroup(this)
    requireRank(this.s.rank(m.by), Rank.member)
    const all = this.s.sortedMembers().filter((x) => !m.roles || m.roles.includes(x.role))
    const members = all.slice(m.offset, m.offset + m.limit).map((x) => ({ ...x, muteUntil: this.muteUntil(x) }))
    return { memberNum: this.s.members.size, members }
  }

  private onRoles(m: Extract<GroupMsg, { kind: 'roles' }>): { account: string; role: string }[] {
    requireGroup(this)
    return m.accounts.map((account) => ({ account, role: this.s.members.get(account)?.role ?? 'NotMember' }))
  }

  private onMuted(m: Extract<GroupMsg, { kind: 'muted' }>): { account: string; until: number }[] {
    requireGroup(this)
    requireRank(this.s.rank(m.by), Rank.member)
    const now = this.nowSec()
    return [...this.s.mutes].filter(([, until]) => until > now).map(([account, until]) => ({ account, until }))
  }

  private onRequests(m: Extract<GroupMsg, { kind: 'requests' }>): JoinRequest[] {
    requireGroup(this)
    requireRank(this.s.rank(m.by), Rank.admin)
    return [...this.s.requests.values()].map((r) => ({ ...r }))
  }

  private muteUntil(x: MemberRecord): number {
    const until = this.s.mutes.get(x.account) ?? 0
    return until > this.nowSec() ? until : 0
  }
}

/** The group's record, or GROUP_NOT_FOUND (10010). */
export function requireGroup(g: GroupCtx) {
  const group = g.s.group
  if (!group) throw new ParleyError('GROUP_NOT_FOUND', g.actor.self.key)
  return group
}

/** GROUP_NO_PERMISSION (10007) below `min`. */
export function requireRank(rank: Rank, min: Rank, what = 'this operation'): void {
  if (rank < min) throw new ParleyError('GROUP_NO_PERMISSION', what)
}

function assertNever(x: never): never {
  throw new TypeError(`unhandled message kind: ${(x as { kind: string }).kind}`)
}
