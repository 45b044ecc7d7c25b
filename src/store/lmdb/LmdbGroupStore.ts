/**
 * GroupStore on the embedded LMDB environment (see openLmdb.ts).
 *
 * Key layout — one named sub-database per record kind, every group key led by
 * `[app, groupId]` so each group's records are one contiguous, ordered key range:
 *
 * | sub-database   | key                          | value                       |
 * |----------------|------------------------------|-----------------------------|
 * | `grp.heads`    | `[app, groupId]`             | last message seq (number)   |
 * | `grp.groups`   | `[app, groupId]`             | GroupRecord                 |
 * | `grp.members`  | `[app, groupId, account]`    | MemberRecord                |
 * | `grp.mutes`    | `[app, groupId, account]`    | mute-until (unix seconds)   |
 * | `grp.requests` | `[app, groupId, account]`    | JoinRequest                 |
 * | `grp.messages` | `[app, groupId, seq]`        | GroupMessage                |
 * | `grp.dedupe`   | `[app, groupId, from, random]` | GroupDedupeRecord         |
 * | `grp.byUser`   | `[app, account, groupId]`    | JoinedGroup (the index)     |
 *
 * `grp.heads` outlives a destroy, so a seq is never reused under one GroupId. Costs: `load`
 * is one point read plus three prefix scans; `readMessages` one reverse scan of at most
 * `limit`; `joinedGroups` one prefix scan; a destroy is linear in the group's records; a
 * recall is one point read and write per seq.
 */
import type { Database, Key } from 'lmdb'
import { ParleyError } from '../../errors.js'
import type {
  GroupCommit, GroupDedupeRecord, GroupMessage, GroupRecord, GroupRef, GroupSnapshot, GroupStore, JoinedGroup,
  JoinRequest, MemberRecord,
} from '../GroupStore.js'
import { RECALLED_FLAG, recalledGroupMessage } from '../GroupStore.js'
import { KEY_MAX, keyText } from './keys.js'
import type { LmdbHandle } from './openLmdb.js'

type GroupKey = [app: number, groupId: string]

export class LmdbGroupStore implements GroupStore {
  private readonly heads: Database<number, Key>
  private readonly groups: Database<GroupRecord, Key>
  private readonly members: Database<MemberRecord, Key>
  private readonly mutes: Database<number, Key>
  private readonly requests: Database<JoinRequest, Key>
  private readonly messages: Database<GroupMessage, Key>
  private readonly dedupe: Database<GroupDedupeRecord, Key>
  private readonly byUser: Database<JoinedGroup, Key>

  /** Takes ownership of `lmdb` (from `openLmdb`): `close()` closes it. */
  constructor(private readonly lmdb: LmdbHandle) {
    this.heads = lmdb.db('grp.heads')
    this.groups = lmdb.db('grp.groups')
    this.members = lmdb.db('grp.members')
    this.mutes = lmdb.db('grp.mutes')
    this.requests = lmdb.db('grp.requests')
    this.messages = lmdb.db('grp.messages')
    this.dedupe = lmdb.db('grp.dedupe')
    this.byUser = lmdb.db('grp.byUser')
  }

  /** One child transaction of the next write batch (a throw rolls back only this commit); resolves once synced. */
  async commit(g: GroupRef, c: GroupCommit): Promise<void> {
    await this.groups.childTransaction(() => this.apply(g, c))
    await this.lmdb.flushed()
  }

  async load(g: GroupRef): Promise<GroupSnapshot> {
    const k = groupKey(g)
    const members: MemberRecord[] = []
    const mutes: { account: string; until: number }[] = []
    const requests: JoinRequest[] = []
    for (const { value } of this.members.getRange(prefixRange(k))) members.push(value)
    for (const { key, value } of this.mutes.getRange(prefixRange(k))) mutes.push({ account: (key as string[])[2]!, until: value })
    for (const { value } of this.requests.getRange(prefixRange(k))) requests.push(value)
    const group = this.groups.get(k)
    return { ...(group ? { group } : {}), members, mutes, requests, lastSeq: this.heads.get(k) ?? 0 }
  }

  async readMessages(g: GroupRef, q: { beforeSeq?: number; limit: number }): Promise<GroupMessage[]> {
    if (q.limit <= 0) return []
    const k = groupKey(g)
    const out: GroupMessage[] = []
    const range = this.messages.getRange({
      start: [...k, q.beforeSeq ?? KEY_MAX], exclusiveStart: q.beforeSeq !== undefined, end: k, reverse: true, limit: q.limit,
    })
    for (const { value } of range) out.push(value)
    return out
  }

  async getDedupe(g: GroupRef, from: string, random: number): Promise<GroupDedupeRecord | undefined> {
    return this.dedupe.get([...groupKey(g), keyText(from, 'from'), random])
  }

  async joinedGroups(app: number, user: string): Promise<JoinedGroup[]> {
    const out: JoinedGroup[] = []
    for (const { value } of this.byUser.getRange(prefixRange([app, keyText(user, 'user')]))) out.push(value)
    return out
  }

  close(): Promise<void> {
    return this.lmdb.close()
  }

  /** Runs inside the write transaction: checks the seqs first, then writes. */
  private apply(g: GroupRef, c: GroupCommit): void {
    const k = groupKey(g)
    const last = this.heads.get(k) ?? 0
    const msgs = c.messages ?? []
    msgs.forEach((m, i) => {
      if (m.seq !== last + 1 + i) {
        throw new ParleyError('INTERNAL', `group ${g.app}/${g.groupId}: seq ${m.seq} is not the next one (expected ${last + 1 + i}); commit rejected`)
      }
    })
    if (c.destroy) this.destroy(k)
    for (const a of c.removeMembers ?? []) {
      this.members.remove([...k, keyText(a, 'account')])
      this.byUser.remove([g.app, a, k[1]])
    }
    for (const a of c.removeRequests ?? []) this.requests.remove([...k, keyText(a, 'account')])
    if (c.group) this.groups.put(k, c.group)
    for (const m of c.members ?? []) {
      this.members.put([...k, keyText(m.account, 'account')], m)
      this.byUser.put([g.app, m.account, k[1]], { groupId: k[1], joinTime: m.joinTime })
    }
    for (const m of c.mutes ?? []) {
      const key = [...k, keyText(m.account, 'account')]
      if (m.until === 0) this.mutes.remove(key)
      else this.mutes.put(key, m.until)
    }
    for (const r of c.requests ?? []) this.requests.put([...k, keyText(r.account, 'account')], r)
    for (const m of msgs) this.messages.put([...k, m.seq], m)
    if (msgs.length > 0) this.heads.put(k, last + msgs.length)
    for (const d of c.dedupe ?? []) this.dedupe.put([...k, keyText(d.from, 'from'), d.random], d.record)
    for (const seq of c.recall ?? []) {
      const m = this.messages.get([...k, seq])
      if (m && m.flags !== RECALLED_FLAG) this.messages.put([...k, seq], recalledGroupMessage(m))
    }
  }

  private destroy(k: GroupKey): void {
    this.groups.remove(k)
    for (const db of [this.members, this.mutes, this.requests, this.messages, this.dedupe] as Database<unknown, Key>[]) {
      const doomed = [...db.getKeys(prefixRange(k))]
      for (const key of doomed) db.remove(key)
    }
  }
}

function groupKey(g: GroupRef): GroupKey {
  return [g.app, keyText(g.groupId, 'groupId')]
}

function prefixRange(prefix: unknown[]): { start: Key; end: Key } {
  return { start: prefix as Key, end: [...prefix, KEY_MAX] as Key }
}
