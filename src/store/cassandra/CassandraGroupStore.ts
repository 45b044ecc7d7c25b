/**
 * GroupStore on Cassandra (tables in schema.ts, group heads in groupHeads.ts, apply in
 * groupApply.ts).
 *
 * Commit protocol — decide, then apply, as CassandraMessageStore: check the message seqs
 * against the group's head, decide the commit with one lightweight transaction on the head
 * (version v → v+1), then write its rows with the decided timestamp. A lost race means
 * another writer holds the group (a failover in progress): the commit is rejected having
 * written nothing, and the actor reloads. A commit that fails after being decided rejects,
 * and the next head read (`load`, the next commit) re-applies it before anything else.
 *
 * Partitions are bounded: messages in buckets of 1,000 seqs, members in 16 hash buckets,
 * dedupe rows expire (TTL), the joined-group index is one partition per user.
 * The app-wide listing is 64 partitions per app (groupListing.ts).
 * Costs: `load` is one serial head read plus 19 partition reads in parallel;
 * `readMessages` reads buckets newest first and stops at `limit`; `joinedGroups` one partition;
 * a commit with `recall` also reads each recalled row (groupApply.ts); `listGroups` reads
 * listing partitions in order until the page is cut, and counts all 64 (groupListing.ts).
 */
import { ParleyError } from '../../core/errors.js'
import { Lru } from '../../core/lru.js'
import type { GroupCommit, GroupDedupeRecord, GroupListPage, GroupRef, GroupSnapshot, GroupStore, ListGroupsQuery } from '../GroupStore.js'
import type { GroupMessage, GroupRecord, JoinedGroup, JoinRequest, MemberRecord } from '../../model/group.js'
import { decodeBlob } from './codec.js'
import type { CassandraHandle } from './connect.js'
import { GroupCommitApplier } from './groupApply.js'
import { type GroupHead, GroupHeadTable, nextGroupHead } from './groupHeads.js'
import { GroupListingTable } from './groupListing.js'
import { bucketOf, toNumber } from './rows.js'
import { GROUP_MEMBER_BUCKETS, GROUP_MESSAGE_BUCKET } from './schema.js'

export class CassandraGroupStore implements GroupStore {
  private readonly release: () => Promise<void>
  private readonly heads: GroupHeadTable
  private readonly applier: GroupCommitApplier
  private readonly listing: GroupListingTable
  /** The most recently used heads (`headCacheSize` groups). */
  private readonly cache: Lru<GroupHead>
  private readonly q: Record<'group' | 'members' | 'mutes' | 'requests' | 'messages' | 'messagesBefore' | 'dedupe' | 'joined', string>

  /** Acquires `handle` (from `connectCassandra`); `close()` releases it. */
  constructor(private readonly handle: CassandraHandle, private readonly now: () => number = Date.now) {
    this.cache = new Lru<GroupHead>(handle.headCacheSize)
    this.release = handle.acquire()
    this.heads = new GroupHeadTable(handle)
    this.applier = new GroupCommitApplier(handle)
    this.listing = new GroupListingTable(handle)
    const ks = handle.keyspace
    const msgs = `SELECT msg FROM ${ks}.group_messages WHERE app = ? AND group_id = ? AND bucket = ?`
    this.q = {
      group: `SELECT rec FROM ${ks}.groups WHERE app = ? AND group_id = ?`,
      members: `SELECT rec FROM ${ks}.group_members WHERE app = ? AND group_id = ? AND bucket = ?`,
      mutes: `SELECT account, until FROM ${ks}.group_mutes WHERE app = ? AND group_id = ?`,
      requests: `SELECT rec FROM ${ks}.group_requests WHERE app = ? AND group_id = ?`,
      messages: `${msgs} LIMIT ?`,
      messagesBefore: `${msgs} AND seq < ? LIMIT ?`,
      dedupe: `SELECT rec FROM ${ks}.group_dedupe WHERE app = ? AND group_id = ? AND sender = ? AND random = ?`,
      joined: `SELECT rec FROM ${ks}.groups_by_user WHERE app = ? AND user_id = ?`,
    }
  }

  async commit(g: GroupRef, c: GroupCommit): Promise<void> {
    const key = cacheKey(g)
    const head = await this.settle(g, this.cache.get(key) ?? await this.heads.read(g))
    ;(c.messages ?? []).forEach((m, i) => {
      if (m.seq !== head.lastSeq + 1 + i) {
        throw new ParleyError('INTERNAL', `group ${key}: seq ${m.seq} is not the next one (expected ${head.lastSeq + 1 + i}); commit rejected`)
      }
    })
    const next = nextGroupHead(head, c, this.now())
    let decided: boolean
    try {
      decided = await this.heads.decide(g, head, next, c)
    } catch (err) {
      this.cache.delete(key)
      throw storeError(`commit of group ${key} has an unknown outcome`, err)
    }
    if (!decided) {
      this.cache.delete(key)
      throw new ParleyError('INTERNAL', `group ${key}: another writer moved the head; commit rejected`)
    }
    try {
      await this.applier.apply(g, next.ts, next.lastSeq, c)
    } catch (err) {
      this.cache.delete(key)
      throw storeError(`commit ${next.version} of group ${key} is decided but not fully written; the next head read applies it`, err)
    }
    this.cache.set(key, next)
  }

  async load(g: GroupRef): Promise<GroupSnapshot> {
    const head = await this.settle(g, await this.heads.read(g))
    this.cache.set(cacheKey(g), head)
    const k = [g.app, g.groupId]
    const buckets = Array.from({ length: GROUP_MEMBER_BUCKETS }, (_, b) => this.rows(this.q.members, [...k, b]))
    const [groupRows, mutes, requests, ...memberRows] = await Promise.all([
      this.rows(this.q.group, k), this.rows(this.q.mutes, k), this.rows(this.q.requests, k), ...buckets,
    ])
    const group = groupRows[0] ? decodeBlob<GroupRecord>(groupRows[0]['rec'] as Buffer) : undefined
    return {
      ...(group ? { group } : {}),
      members: memberRows.flat().map((r) => decodeBlob<MemberRecord>(r['rec'] as Buffer)),
      mutes: mutes.map((r) => ({ account: r['account'] as string, until: toNumber(r['until']) })),
      requests: requests.map((r) => decodeBlob<JoinRequest>(r['rec'] as Buffer)),
      lastSeq: head.lastSeq,
    }
  }

  async readMessages(g: GroupRef, q: { beforeSeq?: number; limit: number }): Promise<GroupMessage[]> {
    if (q.limit <= 0) return []
    const head = this.cache.get(cacheKey(g)) ?? await this.heads.read(g)
    const top = q.beforeSeq !== undefined ? Math.min(q.beforeSeq - 1, head.lastSeq) : head.lastSeq
    const out: GroupMessage[] = []
    for (let b = bucketOf(top, GROUP_MESSAGE_BUCKET); b >= 0 && top > 0 && out.length < q.limit; b--) {
      const rows = await this.rows(this.q.messagesBefore, [g.app, g.groupId, b, top + 1, q.limit - out.length])
      for (const r of rows) out.push(decodeBlob<GroupMessage>(r['msg'] as Buffer))
    }
    return out
  }

  async getDedupe(g: GroupRef, from: string, random: number): Promise<GroupDedupeRecord | undefined> {
    const [row] = await this.rows(this.q.dedupe, [g.app, g.groupId, from, random])
    return row ? decodeBlob<GroupDedupeRecord>(row['rec'] as Buffer) : undefined
  }

  async joinedGroups(app: number, user: string): Promise<JoinedGroup[]> {
    return (await this.rows(this.q.joined, [app, user])).map((r) => decodeBlob<JoinedGroup>(r['rec'] as Buffer))
  }

  listGroups(app: number, q: ListGroupsQuery): Promise<GroupListPage> {
    return this.listing.list(app, q)
  }

  close(): Promise<void> {
    return this.release()
  }

  /** Applies the head's pending commit (idempotent) and returns the head without it. */
  private async settle(g: GroupRef, head: GroupHead): Promise<GroupHead> {
    if (!head.pending) return head
    try {
      await this.applier.apply(g, head.ts, head.lastSeq, head.pending)
    } catch (err) {
      throw storeError(`cannot apply the pending commit ${head.version} of group ${cacheKey(g)}`, err)
    }
    const { pending: _applied, ...settled } = head
    return settled
  }

  /** Every row of a query at the read consistency (paged through by the driver). */
  private async rows(query: string, params: unknown[]) {
    const rs = await this.handle.client.execute(query, params, { prepare: true, consistency: this.handle.consistency.read })
    const out = []
    for await (const row of rs) out.push(row)
    return out
  }
}

function cacheKey(g: GroupRef): string {
  return `${g.app}/${g.groupId}`
}

function storeError(what: string, cause: unknown): ParleyError {
  const e = new ParleyError('INTERNAL', `${what}: ${cause instanceof Error ? cause.message : String(cause)}`)
  e.cause = cause
  return e
}
