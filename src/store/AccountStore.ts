/**
 * AccountStore: imported accounts (account_import and friends) and their kick epoch.
 * One implementation per backend; test/store/accountStoreConformance.ts runs against each.
 * Writes resolve once durable.
 */

export interface AccountRecord {
  userId: string
  nick?: string
  faceUrl?: string
  /** Unix seconds of import (or of first login, which imports implicitly). */
  createdAt: number
  /**
   * Unix seconds of the last kick. UserSigs whose `TLS.time` is earlier are invalidated
   * (70052); 0 when never kicked.
   */
  kickedAt: number
}

export interface AccountStore {
  get(app: number, userId: string): Promise<AccountRecord | undefined>
  /** Creates or replaces the record. */
  put(app: number, rec: AccountRecord): Promise<void>
  /** Deletes the record; resolves true if it existed. */
  delete(app: number, userId: string): Promise<boolean>
  close(): Promise<void>
}
