/**
 * The factory of the Cassandra stores: every Cassandra* store of one thread on one client
 * (connect.ts holds the client handle, its connection and the migration).
 */
import { type StoreSet, storeSet } from '../StoreSet.js'
import { CassandraAccountStore } from './CassandraAccountStore.js'
import { CassandraFriendStore } from './CassandraFriendStore.js'
import { CassandraGroupStore } from './CassandraGroupStore.js'
import { CassandraMessageStore } from './CassandraMessageStore.js'
import { CassandraProfileStore } from './CassandraProfileStore.js'
import { CassandraConvIndex } from './CassandraConvIndex.js'
import { CassandraShardLog } from './CassandraShardLog.js'
import { type CassandraStoreOptions, connectCassandra } from './connect.js'

/** Opens every Cassandra-backed store for the calling thread (see connectCassandra). */
export async function openCassandraStores(opts: CassandraStoreOptions): Promise<StoreSet> {
  const handle = await connectCassandra(opts)
  const messages = new CassandraMessageStore(handle)
  const accounts = new CassandraAccountStore(handle)
  const groups = new CassandraGroupStore(handle)
  const profiles = new CassandraProfileStore(handle)
  const friends = new CassandraFriendStore(handle)
  const shardLog = new CassandraShardLog(handle)
  const convIndex = new CassandraConvIndex(handle)
  return storeSet({ messages, accounts, groups, profiles, friends, shardLog, convIndex })
}
