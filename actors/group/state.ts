/**
 * One group's in-memory state inside its actor, loaded from a GroupSnapshot. Changes are
 * applied here only after their commit is durable (see actors/group/Group.ts), so this always
 * equals what the store holds.
 */
import type { GroupCommit, GroupSnapshot } from '../../src/store/GroupStore.js'
import type { GroupRecord, JoinRequest, MemberRecord } from '../../src/model/group.js'
import type { Operator } from './protocol.js'
import { type Rank, rankOf } from './rules.js'

export class GroupState {
  group: GroupRecord | undefined
  readonly members = new Map<string, MemberRecord>()
  /** account → mute end, unix seconds. */
  readonly mutes = new Map<string, number>()
  readonly requests = new Map<string, JoinRequest>()
  lastSeq = 0
  lastMsgTime = 0

  constructor(s: GroupSnapshot) {
    this.group = s.group
    for (const m of s.members) this.members.set(m.account, m)
    for (const m of s.mutes) this.mutes.set(m.account, m.until)
    for (const r of s.requests) this.requests.set(r.account, r)
    this.lastSeq = s.lastSeq
  }

  rank(by: Operator): Rank {
    return rankOf(by.user !== undefined ? this.members.get(by.user)?.role : undefined, by.appAdmin)
  }

  rankOfMember(account: string): Rank {
    return rankOf(this.members.get(account)?.role)
  }

  /** Owner and admins: who receives join requests. */
  approvers(): string[] {
    return [...this.members.values()].filter((m) => m.role !== 'Member').map((m) => m.account)
  }

  /** Members in listing order: owner, admins, then members; each by join time, then account. */
  sortedMembers(): MemberRecord[] {
    const order = { Owner: 0, Admin: 1, Member: 2 } as const
    return [...this.members.values()].sort((a, b) =>
      order[a.role] - order[b.role] || a.joinTime - b.joinTime || (a.account < b.account ? -1 : a.account > b.account ? 1 : 0))
  }

  /** Applies a commit that is already durable. */
  apply(c: GroupCommit): void {
    if (c.destroy) {
      this.group = undefined
      this.members.clear()
      this.mutes.clear()
      this.requests.clear()
      this.lastMsgTime = 0 // its messages are gone (lastSeq stays: a re-created group continues above it)
    }
    for (const a of c.removeMembers ?? []) this.members.delete(a)
    for (const a of c.removeRequests ?? []) this.requests.delete(a)
    if (c.group) this.group = c.group
    for (const m of c.members ?? []) this.members.set(m.account, m)
    for (const m of c.mutes ?? []) {
      if (m.until === 0) this.mutes.delete(m.account)
      else this.mutes.set(m.account, m.until)
    }
    for (const r of c.requests ?? []) this.requests.set(r.account, r)
    for (const m of c.messages ?? []) {
      this.lastSeq = Math.max(this.lastSeq, m.seq)
      this.lastMsgTime = Math.max(this.lastMsgTime, m.time)
    }
  }
}
