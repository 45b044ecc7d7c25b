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
 * | `grp.byApp`    | `[app, listKey, groupId]`    | GroupType (the app listing) |
 * | `grp.meta`     | `'listingBackfilled'`        | `true` once done            |
 *
 * `grp.heads` outlives a destroy, so a seq is never reused under one GroupId. `grp.byApp`
 * holds one row per existing group, keyed by `groupListKey(groupId)` (GroupStore.ts), so
 * an app's groups are one contiguous range in listing order. An environment written before
 * `grp.byApp` existed is backfilled once, when a store first opens it: one write transaction
 * that lists every stored group and sets `grp.meta` `listingBackfilled` (linear in the
 * groups; later opens cost one read). Being one transaction, it cannot interleave with a
 * commit, so it never lists a group destroyed meanwhile. Costs: `load`
 * is one point read plus three prefix scans; `readMessages` one reverse scan of at most
 * `limit`; `joinedGroups` one prefix scan; a destroy is linear in the group's records; a
 * recall is one point read and write per seq; `listGroups` one range scan from `fromKey` plus
 * a count over the app's whole `grp.byApp` range (a scan of its values when filtered by type).
 */
import type { Database, Key } from 'lmdb'
import { ParleyError } from '../../core/errors.js'
import { type GroupCommit, type GroupDedupeRecord, groupListKey, type GroupListPage, GroupPageCutter, type GroupRef, type GroupSnapshot, type GroupStore, type ListedGroup, type ListGroupsQuery } from '../GroupStore.js'
import { type GroupMessage, type GroupRecord, type GroupType, type JoinedGroup, type JoinRequest, type MemberRecord, RECALLED_FLAG, recalledGroupMessage } from '../../model/group.js'
import { KEY_MAX, keyText } from './keys.js'
import type { LmdbHandle } from './openLmdb.js'

type GroupKey = [app: number, groupId: string]

/** `grp.meta` key: set once every group stored before `grp.byApp` existed is listed. */
const LISTING_BACKFILLED = 'listingBackfilled'

export class LmdbGroupStore implements GroupStore {
  private readonly heads: Database<number, Key>
  private readonly groups: Database<GroupRecord, Key>
  private readonly members: Database<MemberRecord, Key>
  private readonly mutes: Database<number, Key>
  private readonly requests: Database<JoinRequest, Key>
  private readonly messages: Database<GroupMessage, Key>
  private readonly dedupe: Database<GroupDedupeRecord, Key>
  private readonly byUser: Database<JoinedGroup, Key>
  private readonly byApp: Database<GroupType, Key>
  private readonly meta: Database<boolean, Key>

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
    this.byApp = lmdb.db('grp.byApp')
    this.meta = lmdb.db('grp.meta')
    this.backfillListing()
  }

  /**
   * One child transaction of the next write batch (a throw rolls back only this commit);
   * resolves once synced (its write promise; openLmdb.ts, "Durability").
   */
  async commit(g: GroupRef, c: GroupCommit): Promise<void> {
    await this.groups.childTransaction(() => this.apply(g, c))
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

  async listGroups(app: number, q: ListGroupsQuery): Promise<GroupListPage> {
    const page = new GroupPageCutter(q.limit)
    for (const row of this.listed({ start: [app, q.fromKey], end: [app, KEY_MAX] }, q.type)) if (!page.offer(row)) break
    const whole = prefixRange([app])
    const total = q.type === undefined ? this.byApp.getCount(whole) : count(this.listed(whole, q.type))
    return { groups: page.groups, next: page.next, total }
  }

  close(): Promise<void> {
    return this.lmdb.close()
  }

  /** Lists the groups stored before `grp.byApp` existed; once per environment (file comment). */
  private backfillListing(): void {
    if (this.meta.get(LISTING_BACKFILLED)) return
    this.meta.transactionSync(() => {
      if (this.meta.get(LISTING_BACKFILLED)) return
      for (const { key, value } of this.groups.getRange()) {
        const [app, groupId] = key as GroupKey
        this.byApp.put(listingKey({ app, groupId }), value.type)
      }
      this.meta.put(LISTING_BACKFILLED, true)
    })
  }

  /** The listing rows in `range`, in key order, of `type` only when given; lazy. */
  private *listed(range: { start: Key; end: Key }, type: GroupType | undefined): Generator<ListedGroup> {
    for (const { key, value } of this.byApp.getRange(range)) {
      if (type !== undefined && value !== type) continue
      const [, listKey, groupId] = key as [number, number, string]
      yield { groupId, type: value, key: listKey }
    }
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
    if (c.destroy) {
      this.destroy(k)
      this.byApp.remove(listingKey(g))
    }
    for (const a of c.removeMembers ?? []) {
      this.members.remove([...k, keyText(a, 'account')])
      this.byUser.remove([g.app, a, k[1]])
    }
    for (const a of c.removeRequests ?? []) this.requests.remove([...k, keyText(a, 'account')])
    if (c.group) {
      this.groups.put(k, c.group)
      this.byApp.put(listingKey(g), c.group.type)
    }
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

/** The group's `grp.byApp` key. */
function listingKey(g: GroupRef): Key {
  return [g.app, groupListKey(g.groupId), keyText(g.groupId, 'groupId')]
}

function count(rows: Iterable<unknown>): number {
  let n = 0
  for (const _row of rows) n++
  return n
}

function prefixRange(prefix: unknown[]): { start: Key; end: Key } {
  return { start: prefix as Key, end: [...prefix, KEY_MAX] as Key }
}
