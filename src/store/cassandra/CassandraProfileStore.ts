/**
 * ProfileStore on Cassandra (see connect.ts, schema.ts).
 *
 * Layout: table `profiles`, partition `(app, user_id)`, one row per tag (clustering `tag`),
 * the value a msgpack blob (codec.ts). A partition holds one user's tags, so it is bounded by
 * the tags the profile feature admits. Reads at the `read` consistency; writes are plain
 * upserts and deletes at the `write` consistency (last write wins, the driver's client
 * timestamps), never lightweight transactions: each profile has one writer at a time.
 */
import type { Profile, ProfileStore, ProfileValue } from '../ProfileStore.js'
import { stmt, writeStatements } from './batches.js'
import { decodeBlob, encodeBlob } from './codec.js'
import type { CassandraHandle } from './connect.js'

export class CassandraProfileStore implements ProfileStore {
  private readonly release: () => Promise<void>
  private readonly q: { get: string; put: string; delTag: string; delAll: string }

  /** Acquires `handle` (from `connectCassandra`); `close()` releases it. */
  constructor(private readonly handle: CassandraHandle) {
    this.release = handle.acquire()
    const ks = handle.keyspace
    this.q = {
      get: `SELECT tag, value FROM ${ks}.profiles WHERE app = ? AND user_id = ?`,
      put: `INSERT INTO ${ks}.profiles (app, user_id, tag, value) VALUES (?, ?, ?, ?)`,
      delTag: `DELETE FROM ${ks}.profiles WHERE app = ? AND user_id = ? AND tag = ?`,
      delAll: `DELETE FROM ${ks}.profiles WHERE app = ? AND user_id = ?`,
    }
  }

  async get(app: number, userId: string): Promise<Profile | undefined> {
    const rs = await this.handle.client.execute(this.q.get, [app, userId],
      { prepare: true, consistency: this.handle.consistency.read })
    if (rs.rows.length === 0) return undefined
    const out: Profile = {}
    for (const row of rs.rows) out[row['tag'] as string] = decodeBlob<ProfileValue>(row['value'] as Buffer)
    return out
  }

  async getMany(app: number, userIds: readonly string[]): Promise<Map<string, Profile>> {
    const ids = [...new Set(userIds)]
    const found = await Promise.all(ids.map((id) => this.get(app, id)))
    const out = new Map<string, Profile>()
    ids.forEach((id, i) => { if (found[i]) out.set(id, found[i]!) })
    return out
  }

  /**
   * A tag both set and removed is only set: a delete and an insert of one cell at the same
   * timestamp (one batch) would leave the delete. Each batch is one partition, so it applies
   * atomically; a call larger than one batch may be seen half-applied (ProfileStore.ts).
   */
  async update(app: number, userId: string, set: Profile, remove: readonly string[] = []): Promise<void> {
    const puts = Object.entries(set).map(([tag, value]) => {
      const blob = encodeBlob(value)
      return stmt(this.q.put, [app, userId, tag, blob], tag.length + blob.length)
    })
    const dels = remove.filter((tag) => !Object.hasOwn(set, tag)).map((tag) => stmt(this.q.delTag, [app, userId, tag], tag.length))
    if (puts.length + dels.length === 0) return
    await writeStatements(this.handle, [...dels, ...puts])
  }

  async delete(app: number, userId: string): Promise<boolean> {
    if (!(await this.get(app, userId))) return false
    await this.handle.client.execute(this.q.delAll, [app, userId],
      { prepare: true, consistency: this.handle.consistency.write })
    return true
  }

  close(): Promise<void> {
    return this.release()
  }
}
