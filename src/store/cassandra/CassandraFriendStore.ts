/**
 * FriendStore on Cassandra (see connect.ts, schema.ts).
 *
 * Layout: table `friends`, partition `(app, user_id)` (the list's owner), clustering
 * `friend_id`, value the FriendRecord as a msgpack blob (codec.ts); table `blacklist`,
 * partition `(app, user_id)`, clustering `blocked_id`, value the block time. Text clustering
 * sorts by UTF-8 bytes, the order FriendStore.ts promises. Partitions are bounded by the
 * caps the store enforces (3,000 friends, 1,000 blocks per user; a `COUNT` of the partition
 * before a write that adds entries).
 *
 * Reads at the `read` consistency; writes are plain upserts and deletes at the `write`
 * consistency, never lightweight transactions: each owner's lists have one writer at a time
 * (the owner's session). The calls that report what existed (`removeFriends`, `addBlocks`,
 * …) and the cap checks read, then write, so they assume that single writer.
 */
import { Limits } from '../../core/limits.js'
import { type BlockRecord, type FriendRecord, type FriendStore, listFull, type PageQuery } from '../FriendStore.js'
import { stmt, writeStatements } from './batches.js'
import { decodeBlob, encodeBlob } from './codec.js'
import type { CassandraHandle } from './connect.js'
import { toNumber } from './rows.js'

/** One owned list: its table and clustering column. */
interface List { table: string; col: string; value: string; cap: number }

export class CassandraFriendStore implements FriendStore {
  private readonly release: () => Promise<void>
  private readonly friends: List
  private readonly blocks: List

  /** Acquires `handle` (from `connectCassandra`); `close()` releases it. */
  constructor(private readonly handle: CassandraHandle) {
    this.release = handle.acquire()
    const ks = handle.keyspace
    this.friends = { table: `${ks}.friends`, col: 'friend_id', value: 'rec', cap: Limits.friendsPerUser }
    this.blocks = { table: `${ks}.blacklist`, col: 'blocked_id', value: 'added_at', cap: Limits.blacklistPerUser }
  }

  async getFriends(app: number, owner: string, userIds: readonly string[]): Promise<FriendRecord[]> {
    const rows = await this.select(this.friends, app, owner, userIds)
    return inOrder(userIds, rows, (row) => decodeBlob<FriendRecord>(row.value as Buffer))
  }

  async putFriends(app: number, owner: string, friends: readonly FriendRecord[]): Promise<void> {
    // One entry per UserID, the last: statements of one batch share a timestamp, and
    // Cassandra would keep the larger of two values written at the same timestamp.
    const last = [...new Map(friends.map((f) => [f.userId, f])).values()]
    if (last.length === 0) return
    const existing = new Set((await this.select(this.friends, app, owner, last.map((f) => f.userId))).map((r) => r.id))
    await this.checkCap(this.friends, app, owner, last.filter((f) => !existing.has(f.userId)).length)
    const { table, col, value } = this.friends
    const q = `INSERT INTO ${table} (app, user_id, ${col}, ${value}) VALUES (?, ?, ?, ?)`
    await writeStatements(this.handle, last.map((f) => {
      const blob = encodeBlob(f)
      return stmt(q, [app, owner, f.userId, blob], f.userId.length + blob.length)
    }))
  }

  removeFriends(app: number, owner: string, userIds: readonly string[]): Promise<string[]> {
    return this.removeExisting(this.friends, app, owner, userIds)
  }

  async removeAllFriends(app: number, owner: string): Promise<number> {
    const n = await this.count(this.friends, app, owner)
    if (n > 0) {
      await this.handle.client.execute(`DELETE FROM ${this.friends.table} WHERE app = ? AND user_id = ?`, [app, owner],
        { prepare: true, consistency: this.handle.consistency.write })
    }
    return n
  }

  async listFriends(app: number, owner: string, page: PageQuery): Promise<FriendRecord[]> {
    const rows = await this.page(this.friends, app, owner, page)
    return rows.map((row) => decodeBlob<FriendRecord>(row.value as Buffer))
  }

  countFriends(app: number, owner: string): Promise<number> {
    return this.count(this.friends, app, owner)
  }

  async getBlocks(app: number, owner: string, userIds: readonly string[]): Promise<BlockRecord[]> {
    const rows = await this.select(this.blocks, app, owner, userIds)
    return inOrder(userIds, rows, (row) => ({ userId: row.id, time: toNumber(row.value) }))
  }

  async addBlocks(app: number, owner: string, blocks: readonly BlockRecord[]): Promise<string[]> {
    const existing = new Set((await this.select(this.blocks, app, owner, blocks.map((b) => b.userId))).map((r) => r.id))
    const fresh = new Map<string, BlockRecord>()
    for (const b of blocks) if (!existing.has(b.userId) && !fresh.has(b.userId)) fresh.set(b.userId, b)
    if (fresh.size === 0) return []
    await this.checkCap(this.blocks, app, owner, fresh.size)
    const { table, col, value } = this.blocks
    const q = `INSERT INTO ${table} (app, user_id, ${col}, ${value}) VALUES (?, ?, ?, ?)`
    await writeStatements(this.handle, [...fresh.values()].map((b) => stmt(q, [app, owner, b.userId, b.time], b.userId.length + 8)))
    return [...fresh.keys()]
  }

  removeBlocks(app: number, owner: string, userIds: readonly string[]): Promise<string[]> {
    return this.removeExisting(this.blocks, app, owner, userIds)
  }

  async listBlocks(app: number, owner: string, page: PageQuery): Promise<BlockRecord[]> {
    const rows = await this.page(this.blocks, app, owner, page)
    return rows.map((row) => ({ userId: row.id, time: toNumber(row.value) }))
  }

  countBlocks(app: number, owner: string): Promise<number> {
    return this.count(this.blocks, app, owner)
  }

  close(): Promise<void> {
    return this.release()
  }

  /** The rows of `userIds` (deduplicated) in the owner's list. */
  private async select(list: List, app: number, owner: string, userIds: readonly string[]): Promise<Row[]> {
    const ids = [...new Set(userIds)]
    if (ids.length === 0) return []
    const rs = await this.handle.client.execute(
      `SELECT ${list.col}, ${list.value} FROM ${list.table} WHERE app = ? AND user_id = ? AND ${list.col} IN ?`,
      [app, owner, ids], { prepare: true, consistency: this.handle.consistency.read })
    return rs.rows.map((r) => ({ id: r[list.col] as string, value: r[list.value] }))
  }

  private async page(list: List, app: number, owner: string, page: PageQuery): Promise<Row[]> {
    if (page.limit <= 0) return []
    const after = page.after !== undefined ? ` AND ${list.col} > ?` : ''
    const params: unknown[] = page.after !== undefined ? [app, owner, page.after, page.limit] : [app, owner, page.limit]
    const rs = await this.handle.client.execute(
      `SELECT ${list.col}, ${list.value} FROM ${list.table} WHERE app = ? AND user_id = ?${after} LIMIT ?`,
      params, { prepare: true, consistency: this.handle.consistency.read })
    return rs.rows.map((r) => ({ id: r[list.col] as string, value: r[list.value] }))
  }

  private async count(list: List, app: number, owner: string): Promise<number> {
    const rs = await this.handle.client.execute(`SELECT COUNT(*) AS n FROM ${list.table} WHERE app = ? AND user_id = ?`,
      [app, owner], { prepare: true, consistency: this.handle.consistency.read })
    return toNumber(rs.first()?.['n'] ?? 0)
  }

  /** Rejects (FRIENDS_FULL / BLACKLIST_FULL) when `adding` new entries would pass the list's cap. */
  private async checkCap(list: List, app: number, owner: string, adding: number): Promise<void> {
    if (adding === 0) return
    const size = (await this.count(list, app, owner)) + adding
    if (size > list.cap) throw listFull(list === this.friends ? 'FRIENDS_FULL' : 'BLACKLIST_FULL', owner, size, list.cap)
  }

  private async removeExisting(list: List, app: number, owner: string, userIds: readonly string[]): Promise<string[]> {
    const found = new Set((await this.select(list, app, owner, userIds)).map((r) => r.id))
    const q = `DELETE FROM ${list.table} WHERE app = ? AND user_id = ? AND ${list.col} = ?`
    const gone = [...found]
    await writeStatements(this.handle, gone.map((id) => stmt(q, [app, owner, id], id.length)))
    // Reported in the order asked, as the LMDB store does.
    return [...new Set(userIds)].filter((id) => found.has(id))
  }
}

interface Row { id: string; value: unknown }

/** The rows' values in the order of `userIds`, each once; absent ids left out. */
function inOrder<T>(userIds: readonly string[], rows: Row[], f: (row: Row) => T): T[] {
  const byId = new Map(rows.map((r) => [r.id, r]))
  const out: T[] = []
  for (const id of new Set(userIds)) {
    const r = byId.get(id)
    if (r) out.push(f(r))
  }
  return out
}
