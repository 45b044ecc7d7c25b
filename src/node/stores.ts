/**
 * Opens the stores of one worker thread for the node's deployment: Cassandra when contact
 * points are configured, else the embedded LMDB environment under the data directory.
 */
import type { Deployment } from './config/deployment.js'
import type { ParleyConfig } from './config/schema.js'
import { type CassandraStoreOptions } from '../store/cassandra/connect.js'
import { openCassandraStores } from '../store/cassandra/openCassandraStores.js'
import type { Logger } from '../core/log.js'
import { guardStore, throttledReport } from '../store/cassandra/unavailable.js'
import { openLmdbStores } from '../store/lmdb/openLmdbStores.js'
import type { StoreSet } from '../store/StoreSet.js'


export async function openThreadStores(config: ParleyConfig, d: Deployment, log: Logger): Promise<StoreSet> {
  if (!d.cassandra) return openLmdbStores(config.dataDir, { refusePerUserInbox: true })
  try {
    // Cassandra failures reach callers as STORE_UNAVAILABLE (9012), not INTERNAL.
    const stores = await openCassandraStores(d.cassandra)
    const report = throttledReport((msg, fields) => log.error(msg, fields))
    const guarded = Object.fromEntries(Object.entries(stores).map(([k, v]) => [k, typeof v === 'object' && v !== null ? guardStore(v, report) : v]))
    return guarded as typeof stores
  } catch (err) {
    throw cassandraUnreachable(d.cassandra, err)
  }
}

/** The start-up error naming Cassandra, for the node's and the threads' connection checks. */
export function cassandraUnreachable(c: CassandraStoreOptions, err: unknown): Error {
  return new Error(`cannot reach Cassandra at ${c.contactPoints.join(',')} (keyspace ${c.keyspace}): ${err instanceof Error ? err.message : String(err)}`)
}
