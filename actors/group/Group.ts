/**
 * Group: one virtual actor per (app, GroupId). Owns the group's profile, members with roles
 * and custom fields, mutes, pending join requests and the group's message sequence. It is
 * the single writer of all of the group's GroupStore records (and of its rows in the
 * per-user joined-group index), so it assigns message seqs without locks. Every change is
 * committed durably before it is applied in memory and answered. It never awaits another
 * actor: notices to users are sent by the coordinator outside actors
 * (src/services/group.ts), which also checks accounts before asking here.
 *
 * Live traffic goes out through RoomFanout (once per thread with members online). After a
 * commit that adds or removes members, the group tells each one's UserSession to
 * (un)subscribe their devices to the group's topic. A change's tip (actors/group/tips.ts)
 * goes into the change's own commit; sends are rate-limited per group (actors/group/rate.ts).
 *
 * Permission decisions all go through the pure rule table in actors/group/rules.ts.
 */
import { CodedError, ParleyError } from '../../src/core/errors.js'
import type { GroupMessage, GroupRecord, JoinRequest, MemberRecord } from '../../src/model/group.js'
import type { GroupCommit } from '../../src/store/GroupStore.js'
import type { ActorDeps } from '../deps.js'
import { type ActorMessage, dispatch, type Handlers, type ReplyOf } from '../runtime/protocol.js'
import type { Actor, ActorContext, DeactivationReason } from '../runtime/types.js'
import { userActor } from '../user/protocol.js'
import { type GroupCtx, requireGroup, requireRank } from './context.js'
import { RoomFanout } from './fanout.js'
import { onImportMembers, onImportMessages } from './imports.js'
import {
  onAddMembers, onApplies, onApply, onChangeOwner, onCreate, onDestroy, onHandleApply, onModify, onMute, onQuit,
  onRemoveMembers, onSetMember,
} from './management.js'
import { onHistory, onSend } from './messaging.js'
import type { GroupProtocol, GroupRequest, GroupView, MembersPage } from './protocol.js'
import { MessageRate } from './rate.js'
import { onRead, onSetUnread, onUnread } from './read.js'
import { onRecall } from './recall.js'
import { applyOutcome, Rank } from './rules.js'
import { GroupState } from './state.js'
import { isMemberChange, type TipContent, tipDelivery, tipMessage } from './tips.js'


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

  /** One handler per message of the Group protocol (actors/group/protocol.ts). */
  private readonly handlers: Handlers<GroupProtocol> = {
    interest: (m) => this.fanout.onInterest(m),
    online: () => ({ online: (requireGroup(this), this.fanout.online()) }),
    create: (m) => onCreate(this, m),
    info: () => this.onInfo(),
    members: (m) => this.onMembers(m),
    modify: (m) => onModify(this, m),
    addMembers: (m) => onAddMembers(this, m),
    removeMembers: (m) => onRemoveMembers(this, m),
    setMember: (m) => onSetMember(this, m),
    destroy: (m) => onDestroy(this, m),
    roles: (m) => this.onRoles(m),
    mute: (m) => onMute(this, m),
    muted: (m) => this.onMuted(m),
    changeOwner: (m) => onChangeOwner(this, m),
    apply: (m) => this.onApply(m),
    handleApply: (m) => onHandleApply(this, m),
    requests: (m) => this.onRequests(m),
    quit: (m) => onQuit(this, m),
    send: (m) => onSend(this, m),
    history: (m) => onHistory(this, m),
    recall: (m) => onRecall(this, m),
    unread: (m) => onUnread(this, m),
    read: (m) => onRead(this, m),
    setUnread: (m) => onSetUnread(this, m),
    importMembers: (m) => onImportMembers(this, m),
    importMessages: (m) => onImportMessages(this, m),
  }

  handle(msg: ActorMessage): Promise<unknown> {
    if (this.broken) return Promise.reject(new Error('group state is stale after a failed commit; restarting'))
    return dispatch(this.handlers, msg)
  }

  nowSec(): number {
    return Math.floor(this.actor.now() / 1000)
  }

  /**
   * An application. Where applying joins at once, the applications queued right behind it
   * join in the same commit (onApplies): a join storm into a live room costs one durable
   * write per batch, not per member.
   */
  private async onApply(first: GroupRequest<'apply'>): Promise<ReplyOf<GroupProtocol, 'apply'>> {
    const group = this.s.group
    const joinsAtOnce = group !== undefined && applyOutcome(group.type, group.applyJoinOption) === 'join'
    const rest = joinsAtOnce ? this.actor.takeQueued((m) => m.kind === 'apply', MAX_JOIN_BATCH - 1) : []
    if (rest.length === 0) return onApply(this, first)
    let outcomes: Awaited<ReturnType<typeof onApplies>>
    try {
      outcomes = await onApplies(this, [first, ...rest.map((r) => r.msg as GroupRequest<'apply'>)])
    } catch (e) {
      const coded = e instanceof CodedError ? e : new ParleyError('INTERNAL', 'group commit failed')
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
    for (const a of accounts) this.actor.tell(userActor(this.actor.self.app, a), { kind: 'topics', topics, on })
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

  private onMembers(m: GroupRequest<'members'>): MembersPage {
    requireGroup(this)
    requireRank(this.s.rank(m.by), Rank.member)
    const all = this.s.sortedMembers().filter((x) => !m.roles || m.roles.includes(x.role))
    const members = all.slice(m.offset, m.offset + m.limit).map((x) => ({ ...x, muteUntil: this.muteUntil(x) }))
    return { memberNum: this.s.members.size, members }
  }

  private onRoles(m: GroupRequest<'roles'>): { account: string; role: string }[] {
    requireGroup(this)
    return m.accounts.map((account) => ({ account, role: this.s.members.get(account)?.role ?? 'NotMember' }))
  }

  private onMuted(m: GroupRequest<'muted'>): { account: string; until: number }[] {
    requireGroup(this)
    requireRank(this.s.rank(m.by), Rank.member)
    const now = this.nowSec()
    return [...this.s.mutes].filter(([, until]) => until > now).map(([account, until]) => ({ account, until }))
  }

  private onRequests(m: GroupRequest<'requests'>): JoinRequest[] {
    requireGroup(this)
    requireRank(this.s.rank(m.by), Rank.admin)
    return [...this.s.requests.values()].map((r) => ({ ...r }))
  }

  private muteUntil(x: MemberRecord): number {
    const until = this.s.mutes.get(x.account) ?? 0
    return until > this.nowSec() ? until : 0
  }
}
