/**
 * Opens the embedded LMDB environment that backs every Lmdb* store: one environment at
 * `<dataDir>/lmdb` (files `data.mdb` and `lock.mdb`), holding named sub-databases.
 *
 * Durability: the environment syncs on commit (no `noSync`, no `noMetaSync`), and a write's
 * own promise (put, remove, batch, ifVersion, transaction, childTransaction) resolves only
 * once its transaction is synced to disk. lmdb-js (3.5, `src/writer.cpp`) resolves a write
 * when `mdb_txn_commit` has returned for its batch; with `overlappingSync` (the default on
 * Linux) that call releases the write lock, so the next batch can start, and then takes the
 * sync lock and syncs, unless a sync that began after this transaction already covered it
 * (its `mdb.c`, the end of `mdb_txn_commit`). Without `overlappingSync` the commit syncs
 * before it returns. So stores acknowledge a write when its promise resolves. `flushed()`
 * waits for every write made through the handle so far, later batches included; it is for
 * `close()`, not for acknowledging one write (under load it would also wait for the batches
 * queued after that write). That reading of lmdb-js was checked against 3.5.6, which is why
 * package.json allows patch releases of 3.5 only: check it again before moving on.
 *
 * Sharing: each worker thread (and each process) calls `openLmdb` for itself; lmdb-js shares
 * the one native environment between the threads of a process, and LMDB's lock file (robust
 * mutexes, stale-reader check on open) coordinates processes, including one restarted after
 * `kill -9`. Every caller must open with these same options, which is why they live here only.
 * Each handle has its own lmdb-js write queue (a write thread taking LMDB's one write lock and
 * fsyncing per batch), so a thread's stores share one handle (`openLmdbStores`): their writes
 * then share batches and syncs instead of taking turns on the lock.
 *
 * Order: the handle keeps async writes and transaction callbacks in call order
 * (`strictAsyncOrder`), so a store may mix native write batches and callbacks for one owner.
 */
import { open, type Database, type Key, type RootDatabase } from 'lmdb'
import { join } from 'node:path'

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
  /**
   * Like `db`, with raw byte values (`encoding: 'binary'`): the store encodes values itself.
   * A name must always be opened the same way (`db` or `rawDb`).
   */
  rawDb(name: string): Database<Uint8Array, Key>
  /** Resolves once every write made through this handle before the call is synced to disk. */
  flushed(): Promise<void>
  /** Waits for pending writes to flush, then closes this handle. Idempotent. */
  close(): Promise<void>
}

/**
 * Refuses an environment whose per-user inbox layout (`msg2.*`, the one-to-one path before the
 * conversation shards) holds entries: the server never writes that inbox any more, so an entry
 * there is one-to-one history it would not serve. Refused rather than served empty.
 */
export function refusePerUserInbox(handle: LmdbHandle): void {
  const held = [...handle.rawDb('msg2.inbox').getKeys({ limit: 1 })].length > 0
  if (held) {
    throw new Error(`the LMDB environment at ${handle.path} holds one-to-one messages in the per-user inbox layout (msg2.*) of an ` +
      'earlier build, which this build (conversation shards, docs/one-writer.md) does not read; move that data directory away ' +
      '(nothing migrates it yet) or run the Parley version that wrote it')
  }
}

export interface OpenLmdbOptions {
  /**
   * Initial map size in bytes; LMDB grows the map on demand, so this only avoids early
   * regrowth. Default: lmdb-js's (small, growing).
   */
  mapSize?: number
}

/**
 * Message sub-databases of the first on-disk layout (`msg.*`, lmdb-js shared-structure
 * values), replaced by `msg2.*`. Their messages would be invisible to this build, so a data
 * directory that still holds them is refused rather than silently served empty.
 */
const OLD_LAYOUT_DBS = ['msg.inbox', 'msg.messages', 'msg.conversations']

function refuseOldLayout(root: RootDatabase, path: string): void {
  for (const name of root.getKeys({ limit: 1000 })) {
    if (typeof name === 'string' && OLD_LAYOUT_DBS.includes(name)) {
      void root.close()
      throw new Error(`the LMDB environment at ${path} holds messages in an older layout (${name}) that this build does not read; ` +
        'move that data directory away (nothing migrates it) or run the Parley version that wrote it')
    }
  }
}

/** Opens (creating if needed) the environment under `dataDir`. Synchronous; see the file comment. */
export function openLmdb(dataDir: string, opts: OpenLmdbOptions = {}): LmdbHandle {
  const path = join(dataDir, LMDB_SUBDIR)
  const root: RootDatabase = open({
    path,
    maxDbs: MAX_DBS,
    noSync: false,
    noMetaSync: false,
    strictAsyncOrder: true,
    ...(opts.mapSize !== undefined ? { mapSize: opts.mapSize } : {}),
  })
  refuseOldLayout(root, path)
  const dbs = new Map<string, Database<unknown, Key>>()
  let closing: Promise<void> | undefined
  const named = (name: string, binary: boolean): Database<unknown, Key> => {
    if (closing) throw new Error(`LMDB handle ${path} is closed`)
    let db = dbs.get(name)
    if (!db) {
      db = root.openDB<unknown, Key>(name, binary ? { encoding: 'binary' } : {})
      dbs.set(name, db)
    }
    return db
  }

  return {
    path,
    db: <V>(name: string) => named(name, false) as Database<V, Key>,
    rawDb: (name: string) => named(name, true) as Database<Uint8Array, Key>,
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
