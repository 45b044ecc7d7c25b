/**
 * AccountStore on the embedded LMDB environment (see openLmdb.ts).
 *
 * Key layout: sub-database `accounts`, key `[app, userId]`, value AccountRecord. Writes
 * resolve once committed and synced to disk.
 */
import type { Database, Key } from 'lmdb'
import type { AccountRecord, AccountStore } from '../AccountStore.js'
import { keyText } from './keys.js'
import type { LmdbHandle } from './openLmdb.js'

export class LmdbAccountStore implements AccountStore {
  private readonly accounts: Database<AccountRecord, Key>

  /** Takes ownership of `lmdb` (from `openLmdb`): `close()` closes it. */
  constructor(private readonly lmdb: LmdbHandle) {
    this.accounts = lmdb.db('accounts')
  }

  async get(app: number, userId: string): Promise<AccountRecord | undefined> {
    return this.accounts.get([app, keyText(userId, 'userId')])
  }

  async put(app: number, rec: AccountRecord): Promise<void> {
    // Resolves once synced (openLmdb.ts, "Durability").
    await this.accounts.put([app, keyText(rec.userId, 'userId')], rec)
  }

  async delete(app: number, userId: string): Promise<boolean> {
    const key = [app, keyText(userId, 'userId')]
    const existed = await this.accounts.transaction(() => {
      if (!this.accounts.doesExist(key)) return false
      this.accounts.remove(key)
      return true
    })
    return existed
  }

  close(): Promise<void> {
    return this.lmdb.close()
  }
}
