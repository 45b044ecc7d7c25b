/**
 * AccountStore on Cassandra (see connect.ts, schema.ts).
 *
 * Layout: table `accounts`, one row per partition `(app, user_id)`, value the AccountRecord
 * as a msgpack blob (codec.ts). Reads at the `read` consistency; `put` and `delete` resolve
 * once written at the `write` consistency. Accounts are written from any node (REST admin,
 * implicit import on login), so writes are plain last-write-wins upserts with the driver's
 * client timestamps, never lightweight transactions.
 */
import type { AccountRecord, AccountStore } from '../AccountStore.js'
import { decodeBlob, encodeBlob } from './codec.js'
import type { CassandraHandle } from './connect.js'

export class CassandraAccountStore implements AccountStore {
  private readonly release: () => Promise<void>
  private readonly q: { get: string; put: string; del: string }

  /** Acquires `handle` (from `connectCassandra`); `close()` releases it. */
  constructor(private readonly handle: CassandraHandle) {
    this.release = handle.acquire()
    const ks = handle.keyspace
    this.q = {
      get: `SELECT rec FROM ${ks}.accounts WHERE app = ? AND user_id = ?`,
      put: `INSERT INTO ${ks}.accounts (app, user_id, rec) VALUES (?, ?, ?)`,
      del: `DELETE FROM ${ks}.accounts WHERE app = ? AND user_id = ?`,
    }
  }

  async get(app: number, userId: string): Promise<AccountRecord | undefined> {
    const rs = await this.handle.client.execute(this.q.get, [app, userId],
      { prepare: true, consistency: this.handle.consistency.read })
    const row = rs.first()
    return row ? decodeBlob<AccountRecord>(row['rec'] as Buffer) : undefined
  }

  async put(app: number, rec: AccountRecord): Promise<void> {
    await this.handle.client.execute(this.q.put, [app, rec.userId, encodeBlob(rec)],
      { prepare: true, consistency: this.handle.consistency.write })
  }

  /**
   * Reads, then deletes if present. The result says whether this call saw the record; a
   * put racing from another node may land on either side of the delete (last write wins).
   */
  async delete(app: number, userId: string): Promise<boolean> {
    if (!(await this.get(app, userId))) return false
    await this.handle.client.execute(this.q.del, [app, userId],
      { prepare: true, consistency: this.handle.consistency.write })
    return true
  }

  close(): Promise<void> {
    return this.release()
  }
}
