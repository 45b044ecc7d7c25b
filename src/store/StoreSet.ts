/**
 * StoreSet: the stores of one worker thread, over one backend's connection (a thread's LMDB
 * handle, or its Cassandra client). Each backend's factory returns one (openLmdbStores.ts,
 * openCassandraStores.ts); `close` closes every store, after which the backend's connection
 * is released.
 */
import type { AccountStore } from './AccountStore.js'
import type { FriendStore } from './FriendStore.js'
import type { GroupStore } from './GroupStore.js'
import type { MessageStore } from './MessageStore.js'
import type { ProfileStore } from './ProfileStore.js'
import type { ShardLog } from './ShardLog.js'
import type { ConvIndex } from './ConvIndex.js'

export interface StoreSet {
  readonly messages: MessageStore
  readonly accounts: AccountStore
  readonly groups: GroupStore
  readonly profiles: ProfileStore
  readonly friends: FriendStore
  /** The conversation shards' logs and the indexes derived from them (docs/one-writer.md). */
  readonly shardLog: ShardLog
  readonly convIndex: ConvIndex
  /** Flushes and closes every store. */
  close(): Promise<void>
}

/** The set of `stores`, with a `close` that closes each of them. */
export function storeSet(stores: Omit<StoreSet, 'close'>): StoreSet {
  return {
    ...stores,
    async close() {
      await Promise.all([stores.messages.close(), stores.accounts.close(), stores.groups.close(), stores.profiles.close(), stores.friends.close(),
        stores.shardLog.close(), stores.convIndex.close()])
    },
  }
}
