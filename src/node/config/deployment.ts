/**
 * Which services a node uses, derived from its config and checked before anything starts:
 *
 * | redisUrl | cassandraContactPoints | mode     | stores    | membership / node bus          |
 * |----------|------------------------|----------|-----------|--------------------------------|
 * | empty    | empty                  | embedded | LMDB      | this node alone, in-process    |
 * | empty    | set                    | embedded | Cassandra | this node alone, in-process    |
 * | set      | set                    | cluster  | Cassandra | Redis heartbeats and pub/sub   |
 * | set      | empty                  | refused: actors move between nodes, so their state must be in a shared store |
 */
import type { CassandraStoreOptions } from '../../store/cassandra/connect.js'
import {
  type ConsistencyName, type ConsistencySettings, resolveConsistency, type SerialConsistencyName,
} from '../../store/cassandra/consistency.js'
import { checkKeyspaceName, type Replication } from '../../store/cassandra/schema.js'
import { ConfigError } from './load.js'
import type { ParleyConfig } from './schema.js'

export interface RedisSettings {
  url: string
  prefix: string
  heartbeatMs: number
  ttlMs: number
  connectTimeoutMs: number
}

export interface Deployment {
  mode: 'embedded' | 'cluster'
  /** Set in cluster mode. */
  redis?: RedisSettings
  /** Set when the stores are in Cassandra. */
  cassandra?: CassandraStoreOptions
}

export function deploymentOf(c: ParleyConfig): Deployment {
  const cassandra = c.cassandraContactPoints.trim() === '' ? undefined : cassandraOptions(c)
  if (c.redisUrl.trim() === '') return { mode: 'embedded', cassandra }
  if (!cassandra) {
    throw new ConfigError('PARLEY_REDIS_URL is set but PARLEY_CASSANDRA_CONTACT_POINTS is not: a cluster keeps its state in Cassandra (actors move between nodes)')
  }
  if (c.clusterNodeTtlMs <= c.clusterHeartbeatMs) {
    throw new ConfigError(`PARLEY_CLUSTER_NODE_TTL_MS (${c.clusterNodeTtlMs}) must be above PARLEY_CLUSTER_HEARTBEAT_MS (${c.clusterHeartbeatMs})`)
  }
  return {
    mode: 'cluster',
    cassandra,
    redis: {
      url: c.redisUrl.trim(), prefix: c.redisPrefix, heartbeatMs: c.clusterHeartbeatMs,
      ttlMs: c.clusterNodeTtlMs, connectTimeoutMs: c.serviceConnectTimeoutMs,
    },
  }
}

function cassandraOptions(c: ParleyConfig): CassandraStoreOptions {
  const contactPoints = c.cassandraContactPoints.split(',').map((s) => s.trim()).filter((s) => s !== '')
  const level = c.cassandraConsistency.toUpperCase() as ConsistencyName
  const consistency: ConsistencySettings = {
    read: level, write: level, serial: c.cassandraSerialConsistency.toUpperCase() as SerialConsistencyName,
  }
  // The stores' own checks, reported against the settings' names.
  asConfigError('PARLEY_CASSANDRA_CONSISTENCY / PARLEY_CASSANDRA_SERIAL_CONSISTENCY', () => resolveConsistency(consistency))
  asConfigError('PARLEY_CASSANDRA_KEYSPACE', () => checkKeyspaceName(c.cassandraKeyspace))
  return {
    contactPoints,
    localDataCenter: c.cassandraLocalDc,
    keyspace: c.cassandraKeyspace,
    replication: parseReplication(c.cassandraReplication),
    consistency,
    connectTimeoutMs: c.serviceConnectTimeoutMs,
    // Start-up (the node's check and each thread's stores) retries transient failures this long.
    retryForMs: c.serviceConnectTimeoutMs,
    // Below the 10 s ask timeout, so a sender hears STORE_UNAVAILABLE (9012) rather than a
    // bare TIMEOUT (9007) when Cassandra stops answering.
    requestTimeoutMs: CASSANDRA_REQUEST_TIMEOUT_MS,
  }
}

const CASSANDRA_REQUEST_TIMEOUT_MS = 6_000

function asConfigError(where: string, check: () => unknown): void {
  try {
    check()
  } catch (e) {
    throw new ConfigError(`${where}: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/** `SimpleStrategy:3` or `NetworkTopologyStrategy:dc1=3,dc2=2`. */
export function parseReplication(text: string): Replication {
  const where = 'PARLEY_CASSANDRA_REPLICATION'
  const [cls, opts = ''] = text.split(':', 2).map((s) => s.trim())
  if (cls === 'SimpleStrategy') {
    const n = Number(opts)
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${where}: SimpleStrategy needs a replication factor, e.g. SimpleStrategy:3`)
    return { class: 'SimpleStrategy', replication_factor: n }
  }
  if (cls === 'NetworkTopologyStrategy') {
    const out: Replication = { class: 'NetworkTopologyStrategy' }
    for (const part of opts.split(',').filter((p) => p.trim() !== '')) {
      const [dc, n] = part.split('=').map((s) => s.trim())
      if (!dc || !/^[A-Za-z0-9_.-]+$/.test(dc) || !Number.isInteger(Number(n)) || Number(n) < 1) {
        throw new ConfigError(`${where}: expected <dc>=<factor> pairs, got "${part}"`)
      }
      out[dc] = Number(n)
    }
    if (Object.keys(out).length === 1) throw new ConfigError(`${where}: NetworkTopologyStrategy needs at least one <dc>=<factor>`)
    return out
  }
  throw new ConfigError(`${where}: must start with SimpleStrategy: or NetworkTopologyStrategy:`)
}
