/**
 * The group side of a ParleyClient: the group ops as typed requests, and the delivery of
 * group messages — live `gev` pushes and catch-up with `groupHistory` — through a
 * GroupTracker (groups.ts, the rules). The client only wires it to its connection.
 *
 * Contracts:
 * - Delivery runs while the app listens (`active()`): otherwise pushes are ignored and no
 *   catch-up request is made, so a client that does not use groups pays nothing for them.
 * - `groupMessage` fires once per stored message per group, in seq order per group, for every
 *   message from the group's start on this device (see groups.ts) except this device's own
 *   sends; online-only messages (seq 0) fire as pushed.
 * - Catch-up requests (`groupJoined`, probes, gap pages) are bound to the connection they run
 *   on: a drop fails them, and the next login starts over from the tracker's state. At most
 *   `MaxParallelFetches` groups fetch at once; each group has one request out at a time.
 * - A fetch answered 10007 or 10010 (no longer a member, no such group) forgets the group
 *   silently; any other failure is reported as an `error` event and retried by the next push,
 *   send or login of that group.
 * - `groupRecall` fires once per recall push, whether or not the app listens to messages;
 *   recalls are live only (a device offline then sees the message with flags 8 when it
 *   fetches it, not a recall event).
 */
import type { GroupFrame, GroupProfileFields, GroupTypeName } from '../protocol/groupFrames.js'
import type { MsgElement } from '../model/message.js'
import type { GroupMessage } from '../model/group.js'
import type { GroupInfo, GroupJoinRequest, GroupMember, GroupMembersPage, JoinedGroup } from '../protocol/groupViews.js'
import { ClientErrorCodes, ParleyClientError } from './errors.js'
import { type GroupHistoryPage, GroupTracker } from './groups.js'
import { randomU32 } from './sent.js'
import type { GroupMessageEvent, GroupRecallEvent } from './types.js'

/** A group op's frame before the client assigns its rid. */
export type GroupRequest = GroupFrame extends infer F ? (F extends unknown ? Omit<F, 'rid'> : never) : never
type FrameOf<K extends GroupRequest['op']> = Extract<GroupRequest, { op: K }>

export type CreateGroupOptions = Omit<FrameOf<'groupCreate'>, 'op'>
/** Profile fields to change; absent = unchanged; in `appDefinedData`, '' deletes a key. */
export type GroupChanges = GroupProfileFields & { name?: string }
/** A member's fields to change (`role` owner only; `msgFlag` the member's own; `muteTime` s, 0 unmutes). */
export type GroupMemberChanges = Omit<FrameOf<'groupSetMember'>, 'op' | 'groupId' | 'member'>
/** Options of a group send; pass the same `random` to retry idempotently (the server dedupes for 5 minutes). */
export type GroupSendOptions = Omit<FrameOf<'groupSend'>, 'op' | 'groupId' | 'body'>
export type { GroupTypeName, GroupProfileFields }

export type { GroupInfo, GroupJoinRequest, GroupMember, GroupMembersPage, JoinedGroup }
/** Per invited account: 0 not an account, 1 added, 2 already a member, 3 awaiting approval. */
export interface GroupInviteResult { account: string; result: 0 | 1 | 2 | 3 }
export interface GroupHistoryResult { messages: GroupMessage[]; complete: boolean }
/**
 * This member's read position in a group: `unread` counts the stored messages above
 * max(readSeq, its join seq), tips included, its own sends never; 0 in rooms without history.
 */
export interface GroupReadState { lastSeq: number; readSeq: number; unread: number }
/** A joined group with this member's read state; the counts are absent for a group that did not answer in time. */
export type GroupUnread = JoinedGroup & Partial<GroupReadState>
/** What a group send resolves with: the server's answer and the message as stored (seq 0: not stored). */
export interface GroupSentMessage { seq: number; time: number; duplicate: boolean; message: GroupMessage }

export interface GroupChannelDeps {
  readonly userId: string
  /** Whether the app listens to group messages. */
  active(): boolean
  /** An app request: queued while offline, resent after a reconnect, failing at its deadline. */
  request<T>(frame: GroupRequest): Promise<T>
  emit(ev: GroupMessageEvent): void
  /** A `groupRecall` push. */
  recalled(ev: GroupRecallEvent): void
  /** A login's catch-up finished; `groups` were checked. */
  synced(groups: number): void
  error(e: ParleyClientError): void
}

/** A request bound to one connection: it fails when the connection goes. */
export type GroupAsk = <T>(frame: GroupRequest) => Promise<T>

interface Link {
  readonly ask: GroupAsk
  readonly running: Map<string, Promise<void>>
  active: number
  readonly waiting: (() => void)[]
}

/** Groups fetching at once on one connection. */
const MaxParallelFetches = 8
/** Not a member (any more), no such group: the group is forgotten. */
const GoneCodes: ReadonlySet<number> = new Set([10007, 10010])

export class GroupChannel {
  private readonly tracker: GroupTracker
  private link: Link | undefined

  constructor(private readonly d: GroupChannelDeps) {
    this.tracker = new GroupTracker({ userId: d.userId })
  }

  async create(o: CreateGroupOptions): Promise<string> {
    return (await this.d.request<{ groupId: string }>({ ...o, op: 'groupCreate' })).groupId
  }

  info(groupId: string): Promise<GroupInfo> {
    return this.d.request({ op: 'groupInfo', groupId })
  }

  members(groupId: string, page: { offset?: number; limit?: number } = {}): Promise<GroupMembersPage> {
    return this.d.request({ op: 'groupMembers', groupId, offset: page.offset, limit: page.limit })
  }

  modify(groupId: string, changes: GroupChanges): Promise<GroupInfo> {
    return this.d.request({ ...changes, op: 'groupModify', groupId })
  }

  async invite(groupId: string, members: string[]): Promise<GroupInviteResult[]> {
    return (await this.d.request<{ results: GroupInviteResult[] }>({ op: 'groupInvite', groupId, members })).results
  }

  async kick(groupId: string, members: string[]): Promise<string[]> {
    return (await this.d.request<{ removed: string[] }>({ op: 'groupKick', groupId, members })).removed
  }

  async setMember(groupId: string, member: string, changes: GroupMemberChanges): Promise<void> {
    await this.d.request({ ...changes, op: 'groupSetMember', groupId, member })
  }

  async mute(groupId: string, members: string[], muteTime: number): Promise<void> {
    await this.d.request({ op: 'groupMute', groupId, members, muteTime })
  }

  async changeOwner(groupId: string, newOwner: string): Promise<void> {
    await this.d.request({ op: 'groupChangeOwner', groupId, newOwner })
  }

  async destroy(groupId: string): Promise<void> {
    await this.d.request({ op: 'groupDestroy', groupId })
    this.tracker.forget(groupId)
  }

  async joined(): Promise<JoinedGroup[]> {
    return (await this.d.request<{ groups: JoinedGroup[] }>({ op: 'groupJoined' })).groups
  }

  async unread(): Promise<GroupUnread[]> {
    return (await this.d.request<{ groups: GroupUnread[] }>({ op: 'groupJoined', withUnread: true })).groups
  }

  markRead(groupId: string, seq?: number): Promise<GroupReadState> {
    return this.d.request({ op: 'groupRead', groupId, seq })
  }

  async apply(groupId: string, message?: string): Promise<'joined' | 'pending'> {
    return (await this.d.request<{ result: 'joined' | 'pending' }>({ op: 'groupApply', groupId, message })).result
  }

  async requests(groupId: string): Promise<GroupJoinRequest[]> {
    return (await this.d.request<{ requests: GroupJoinRequest[] }>({ op: 'groupRequests', groupId })).requests
  }

  async handleApply(groupId: string, applicant: string, accept: boolean): Promise<void> {
    await this.d.request({ op: 'groupHandleApply', groupId, applicant, accept })
  }

  async quit(groupId: string): Promise<void> {
    await this.d.request({ op: 'groupQuit', groupId })
    this.tracker.forget(groupId)
  }

  async recall(groupId: string, seq: number): Promise<void> {
    await this.d.request({ op: 'groupRecall', groupId, seq })
  }

  history(groupId: string, q: { before?: number; limit?: number } = {}): Promise<GroupHistoryResult> {
    return this.d.request({ op: 'groupHistory', groupId, before: q.before, limit: q.limit })
  }

  /**
   * Sends `body` to the group. Resolves once the message is durable (or, online-only or in a
   * room without history, pushed) with its seq; the echo on this device does not fire
   * `groupMessage`. If the answer is lost but the echo arrived, resolves from the echo.
   */
  async send(groupId: string, body: MsgElement[], opts: GroupSendOptions = {}): Promise<GroupSentMessage> {
    const random = opts.random ?? randomU32()
    // Without a listener nothing is tracked: the group's start is then decided when one is added.
    const tracked = this.d.active()
    if (tracked) this.tracker.expectEcho(groupId, random)
    let r: { seq: number; time: number; duplicate: boolean }
    try {
      r = await this.d.request({ ...opts, op: 'groupSend', groupId, body, random })
    } catch (e) {
      const echo = tracked ? this.tracker.echoAbandoned(groupId, random) : undefined
      if (echo) return { seq: echo.seq, time: echo.time, duplicate: false, message: echo }
      throw e
    }
    const message: GroupMessage = { seq: r.seq, from: this.d.userId, random, time: r.time, body, flags: 0 }
    if (opts.cloudCustomData !== undefined) message.cloudCustomData = opts.cloudCustomData
    if (opts.priority !== undefined) message.priority = opts.priority
    if (tracked) this.deliver(this.tracker.echoSettled(groupId, message))
    return { seq: r.seq, time: r.time, duplicate: r.duplicate, message }
  }

  /** A connection logged in: fetches run on it from now on. */
  attach(ask: GroupAsk): void {
    this.detach()
    this.link = { ask, running: new Map(), active: 0, waiting: [] }
  }

  /** The connection is gone: its fetches end; the tracker keeps what it holds. */
  detach(): void {
    const l = this.link
    this.link = undefined
    this.tracker.disconnected()
    if (!l) return
    l.active += l.waiting.length
    for (const w of l.waiting.splice(0)) w()
  }

  /**
   * The events of a `gev` frame: messages (while the app listens), then recalls — a recall
   * always follows its message, so within a frame the message surfaces first.
   */
  onPush(evs: unknown): void {
    if (!Array.isArray(evs)) return
    if (this.d.active()) this.deliver(this.tracker.live(evs))
    for (const ev of evs) if (isRecall(ev)) this.d.recalled({ groupId: ev.groupId, seq: ev.seq })
  }

  /**
   * A login's catch-up: learns the joined groups, then probes each and fetches what it
   * missed. Never rejects; ends quietly if the connection goes meanwhile.
   */
  async catchUp(): Promise<void> {
    const link = this.link
    if (!link || !this.d.active()) return
    let ids: string[] | undefined
    try {
      const r = await link.ask<{ groups?: JoinedGroup[] } | undefined>({ op: 'groupJoined' })
      ids = (r?.groups ?? []).map((g) => g?.groupId).filter((g): g is string => typeof g === 'string')
    } catch (e) {
      if (link !== this.link) return
      this.d.error(asClientError(e, 'groupJoined failed'))
    }
    if (link !== this.link) return
    const groups = this.tracker.joined(ids)
    await Promise.all(groups.map((g) => this.pump(g, link)))
    if (link === this.link) this.d.synced(groups.length)
  }

  private deliver(step: { events: GroupMessageEvent[]; groups: string[] }): void {
    for (const ev of step.events) this.d.emit(ev)
    for (const g of step.groups) void this.pump(g, this.link)
  }

  /** Starts fetching what `groupId` owes, unless nothing is owed or it already runs; resolves when it is done. */
  private pump(groupId: string, link: Link | undefined): Promise<void> {
    if (!link || link !== this.link) return Promise.resolve()
    const running = link.running.get(groupId)
    if (running) return running
    if (!this.tracker.hasWork(groupId)) return Promise.resolve()
    const p = this.run(groupId, link)
    link.running.set(groupId, p)
    return p
  }

  /** One group's requests, one at a time, until nothing is owed or the connection is gone. */
  private async run(groupId: string, link: Link): Promise<void> {
    await this.slot(link)
    try {
      while (link === this.link) {
        const q = this.tracker.next(groupId)
        if (!q) return
        let data: GroupHistoryPage
        try {
          data = await link.ask({ op: 'groupHistory', groupId, before: q.before, limit: q.limit })
        } catch (e) {
          if (link !== this.link) return
          const err = asClientError(e, `groupHistory ${groupId} failed`)
          const gone = GoneCodes.has(err.code)
          this.deliver({ events: this.tracker.failed(groupId, q, gone).events, groups: [] })
          if (!gone) this.d.error(err)
          return
        }
        if (link !== this.link) return
        for (const ev of this.tracker.page(groupId, q, data ?? { messages: [], complete: true }).events) this.d.emit(ev)
      }
    } finally {
      link.running.delete(groupId)
      this.release(link)
    }
  }

  private async slot(link: Link): Promise<void> {
    if (link.active < MaxParallelFetches) {
      link.active++
      return
    }
    await new Promise<void>((resolve) => link.waiting.push(resolve))
  }

  /** Hands the slot to the next waiting group, or frees it. */
  private release(link: Link): void {
    const next = link.waiting.shift()
    if (next) next()
    else link.active--
  }
}

function isRecall(ev: unknown): ev is { groupId: string; seq: number } {
  const e = ev as { type?: unknown; groupId?: unknown; seq?: unknown } | null
  return typeof e === 'object' && e !== null && e.type === 'groupRecall' && typeof e.groupId === 'string' &&
    Number.isSafeInteger(e.seq) && (e.seq as number) > 0
}

function asClientError(e: unknown, what: string): ParleyClientError {
  return e instanceof ParleyClientError ? e : new ParleyClientError(ClientErrorCodes.CONNECTION_LOST, what, { cause: e })
}
