/**
 * The factory of the Cassandra stores: every Cassandra* store of one thread on one client
 * (connect.ts holds the client handle, its connection and the migration).
 */
import type { AccountStore } from '../AccountStore.js'
import type { FriendStore } from '../FriendStore.js'
import type { GroupStore } from '../GroupStore.js'
import type { MessageStore } from '../MessageStore.js'
import type { ProfileStore } from '../ProfileStore.js'
import { CassandraAccountStore } from './CassandraAccountStore.js'
import { CassandraFriendStore } from './CassandraFriendStore.js'
import { CassandraGroupStore } from './CassandraGroupStore.js'
import { CassandraMessageStore } from './CassandraMessageStore.js'
import { CassandraProfileStore } from './CassandraProfileStore.js'
import { type CassandraStoreOptions, connectCassandra } from './connect.js'

/** The Cassandra stores of one thread, over one client. */
export interface CassandraStores {
  readonly messages: MessageStore
  readonly accounts: AccountStore
  readonly groups: GroupStore
  readonly profiles: ProfileStore
  readonly friends: FriendStore
  /** Closes every store, then the client. */
  close(): Promise<void>
}

/** Opens every Cassandra-backed store for the calling thread (see connectCassandra). */
export async function openCassandraStores(opts: CassandraStoreOptions): Promise<CassandraStores> {
  const handle = await connectCassandra(opts)
  const messages = new CassandraMessageStore(handle)
  const accounts = new CassandraAccountStore(handle)
  const groups = new CassandraGroupStore(handle)
  const profiles = new CassandraProfileStore(handle)
  const friends = new CassandraFriendStore(handle)
  return {
    messages,
    accounts,
    groups,
    profiles,
    friends,
    async close() {
      await Promise.all([messages.close(), accounts.close(), groups.close(), profiles.close(), friends.close()])
    },
  }
}
