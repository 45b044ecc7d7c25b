/**
 * The app-wide group listing on Cassandra: table `groups_by_app`, one row per existing group,
 * partition `(app, bucket)` with `bucket = listBucket(list_key)` (the key's top 6 bits, 64
 * partitions per app), clustered by `(list_key, group_id)`, column `type`. The rows are
 * written by the group's commits (groupApply.ts); this module only reads them.
 *
 * Since buckets are ranges of the key, walking the buckets in order and each bucket in
 * clustering order reads the listing in (key, groupId) order — the order of
 * `GroupStore.listGroups`.
 *
 * Costs: a page reads its buckets one after another from `listBucket(fromKey)` until the
 * page is cut (GroupPageCutter), at most 64 partition reads, each paged by the driver and
 * abandoned once the page is complete; filtered by type, the filter runs inside each
 * partition (`ALLOW FILTERING` on a partition-restricted query). `count` is 64
 * `SELECT COUNT(*)` in parallel, one per partition: linear in the app's groups.
 */
import { type GroupListPage, GroupPageCutter, type ListGroupsQuery } from '../GroupStore.js'
import { type GroupType } from '../../model/group.js'
import type { CassandraHandle } from './connect.js'
import { toNumber } from './rows.js'
import { GROUP_LIST_BUCKETS } from './schema.js'

/** Keys per bucket: 2^52 keys in 64 buckets. */
const KEYS_PER_BUCKET = 2 ** 46
/** Rows the driver fetches per round trip of a page read. */
const MAX_FETCH = 5000

/** The `groups_by_app` partition of a listing key (1..2^52-1): its top 6 bits, 0..63. */
export function listBucket(key: number): number {
  return Math.min(Math.floor(key / KEYS_PER_BUCKET), GROUP_LIST_BUCKETS - 1)
}

export class GroupListingTable {
  private readonly q: Record<'page' | 'pageOfType' | 'count' | 'countOfType', string>

  constructor(private readonly handle: CassandraHandle) {
    const ks = handle.keyspace
    const page = `SELECT list_key, group_id, type FROM ${ks}.groups_by_app WHERE app = ? AND bucket = ? AND list_key >= ?`
    const count = `SELECT COUNT(*) AS n FROM ${ks}.groups_by_app WHERE app = ? AND bucket = ?`
    this.q = {
      page,
      pageOfType: `${page} AND type = ? ALLOW FILTERING`,
      count,
      countOfType: `${count} AND type = ? ALLOW FILTERING`,
    }
  }

  /** One page of `GroupStore.listGroups`, with its total. */
  async list(app: number, q: ListGroupsQuery): Promise<GroupListPage> {
    const [page, total] = await Promise.all([this.page(app, q), this.count(app, q.type)])
    return { groups: page.groups, next: page.next, total }
  }

  private async page(app: number, q: ListGroupsQuery): Promise<GroupPageCutter> {
    const cut = new GroupPageCutter(q.limit)
    const opts = { prepare: true, consistency: this.handle.consistency.read, fetchSize: Math.min(q.limit + 1, MAX_FETCH) }
    for (let b = listBucket(Math.max(q.fromKey, 1)); b < GROUP_LIST_BUCKETS; b++) {
      const rs = q.type === undefined
        ? await this.handle.client.execute(this.q.page, [app, b, q.fromKey], opts)
        : await this.handle.client.execute(this.q.pageOfType, [app, b, q.fromKey, q.type], opts)
      for await (const row of rs) {
        const listed = { groupId: row['group_id'] as string, type: row['type'] as GroupType, key: toNumber(row['list_key']) }
        if (!cut.offer(listed)) return cut
      }
    }
    return cut
  }

  private async count(app: number, type: GroupType | undefined): Promise<number> {
    const opts = { prepare: true, consistency: this.handle.consistency.read }
    const counts = await Promise.all(Array.from({ length: GROUP_LIST_BUCKETS }, (_, b) => (type === undefined
      ? this.handle.client.execute(this.q.count, [app, b], opts)
      : this.handle.client.execute(this.q.countOfType, [app, b, type], opts)
    ).then((rs) => toNumber(rs.first()?.['n'] ?? 0))))
    return counts.reduce((a, n) => a + n, 0)
  }
}
