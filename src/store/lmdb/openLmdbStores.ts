/**
 * The factory of the embedded stores: every Lmdb* store of one thread on one shared handle
 * (openLmdb.ts holds the handle and why the stores share it).
 */
import { type StoreSet, storeSet } from '../StoreSet.js'
import { LmdbAccountStore } from './LmdbAccountStore.js'
import { LmdbFriendStore } from './LmdbFriendStore.js'
import { LmdbGroupStore } from './LmdbGroupStore.js'
import { LmdbMessageStore } from './LmdbMessageStore.js'
import { LmdbProfileStore } from './LmdbProfileStore.js'
import { LmdbConvIndex } from './LmdbConvIndex.js'
import { LmdbShardLog } from './LmdbShardLog.js'
import { type LmdbHandle, openLmdb, type OpenLmdbOptions, refusePerUserInbox } from './openLmdb.js'

/**
 * Opens every LMDB-backed store under `dataDir` for the calling thread, all on one handle
 * (one write queue; see the file comment). Each store owns a reference: the handle closes
 * when the last store closes.
 */
export async function openLmdbStores(dataDir: string, opts: OpenLmdbOptions & { refusePerUserInbox?: boolean } = {}): Promise<StoreSet> {
  const handle = openLmdb(dataDir, opts)
  if (opts.refusePerUserInbox) {
    try {
      refusePerUserInbox(handle)
    } catch (e) {
      await handle.close()
      throw e
    }
  }
  const shared = shareLmdb(handle, 7)
  const messages = new LmdbMessageStore(shared())
  const accounts = new LmdbAccountStore(shared())
  const groups = new LmdbGroupStore(shared())
  const profiles = new LmdbProfileStore(shared())
  const friends = new LmdbFriendStore(shared())
  const shardLog = new LmdbShardLog(shared())
  const convIndex = new LmdbConvIndex(shared())
  return storeSet({ messages, accounts, groups, profiles, friends, shardLog, convIndex })
}

/**
 * Splits `handle` into `owners` references: each reference's `close()` releases it (once)
 * and the last release closes `handle`; every other method goes to `handle`.
 */
function shareLmdb(handle: LmdbHandle, owners: number): () => LmdbHandle {
  let left = owners
  return () => {
    let released: Promise<void> | undefined
    return {
      path: handle.path,
      db: (name) => handle.db(name),
      rawDb: (name) => handle.rawDb(name),
      flushed: () => handle.flushed(),
      close(): Promise<void> {
        released ??= --left === 0 ? handle.close() : handle.flushed()
        return released
      },
    }
  }
}
