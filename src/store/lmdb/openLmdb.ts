/**
 * Opens the embedded LMDB environment that backs every Lmdb* store: one environment at
 * `<dataDir>/lmdb` (files `data.mdb` and `lock.mdb`), holding named sub-databases.
 *
 * Durability: the environment syncs on commit (no `noSync`, no `noMetaSync`). lmdb-js enables
 * `overlappingSync` on Linux, so a write's own promise resolves once the transaction is
 * committed and visible, possibly before its fsync; `flushed()` resolves once every write made
 * through this handle so far is synced to disk. Stores acknowledge a write only after both.
 *
 * Sharing: each worker thread (and each process) calls `openLmdb` for itself; lmdb-js shares
 * the one native environment between the threads of a process, and LMDB's lock file (robust
 * mutexes, stale-reader check on open) coordinates processes, including one restarted after
 * `kill -9`. Every caller must open with these same options, which is why they live here only.
 */
import { open, type Database, type Key, type RootDatabase } from 'lmdb'
import { join } from 'node:path'
import type { AccountStore } from '../AccountStore.js'
import type { MessageStore } from '../MessageStore.js'
import { LmdbAccountStore } from './LmdbAccountStore.js'
import { LmdbMessageStore } from './LmdbMessageStore.js'

/** Sub-directory of the data directory that holds the environment. */
export const LMDB_SUBDIR = 'lmdb'

/**
 * Upper bound on named sub-databases in the environment (LMDB's `maxDbs`). LMDB fixes it per
 * environment at first open; raising it later is safe, lowering it below the number in use is not.
 */
const MAX_DBS = 64

export interface LmdbHandle {
  /** Absolute or relative path of the environment directory (`<dataDir>/lmdb`). */
  readonly path: string
  /**
   * The named sub-database `name`, created on first use, with lmdb-js's default encodings:
   * ordered-binary keys (arrays sort element by element; numbers before strings) and msgpack
   * values. Repeated calls return the same instance.
   */
  db<V>(name: string): Database<V, Key>
  /** Resolves once every write made through this handle before the call is synced to disk. */
  flushed(): Promise<void>
  /** Waits for pending writes to flush, then closes this handle. Idempotent. */
  close(): Promise<void>
}

export interface OpenLmdbOptions {
  /**
   * Initial map size in bytes; LMDB grows the map on demand, so this only avoids early
   * regrowth. Default: lmdb-js's (small, growing).
   */
  mapSize?: number
}

/** Opens (creating if needed) the environment under `dataDir`. Synchronous; see the file comment. */
export function openLmdb(dataDir: string, opts: OpenLmdbOptions = {}): LmdbHandle {
  const path = join(dataDir, LMDB_SUBDIR)
  const root: RootDatabase = open({
    path,
    maxDbs: MAX_DBS,
    noSync: false,
    noMetaSync: false,
    ...(opts.mapSize !== undefined ? { mapSize: opts.mapSize } : {}),
  })
  const dbs = new Map<string, Database<unknown, Key>>()
  let closing: Promise<void> | undefined

  return {
    path,
    db<V>(name: string): Database<V, Key> {
      if (closing) throw new Error(`LMDB handle ${path} is closed`)
      let db = dbs.get(name)
      if (!db) {
        db = root.openDB<unknown, Key>(name, {})
        dbs.set(name, db)
      }
      return db as Database<V, Key>
    },
    async flushed(): Promise<void> {
      await root.flushed
    },
    close(): Promise<void> {
      closing ??= (async () => {
        await root.flushed
        await root.close()
      })()
      return closing
    },
  }
}

/** The embedded stores of one thread, over one environment. */
export interface LmdbStores {
  readonly messages: MessageStore
  readonly accounts: AccountStore
  /** Flushes and closes both stores. */
  close(): Promise<void>
}

/**
 * Opens every LMDB-backed store under `dataDir` for the calling thread. Each store gets its
 * own handle (lmdb-js shares the native environment between them), so each owns its close.
 */
export async function openLmdbStores(dataDir: string, opts: OpenLmdbOptions = {}): Promise<LmdbStores> {
  const messages = new LmdbMessageStore(openLmdb(dataDir, opts))
  const accounts = new LmdbAccountStore(openLmdb(dataDir, opts))
  return {
    messages,
    accounts,
    async close() {
      await Promise.all([messages.close(), accounts.close()])
    },
  }
}
