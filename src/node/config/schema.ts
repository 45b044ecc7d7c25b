/**
 * The one config schema. Each field has a type, a default, an environment variable and a
 * one-line doc; the README config table is generated from it (`parley config-table`), and
 * a test keeps the two in agreement. Precedence: environment > config file > default.
 */
import { availableParallelism, hostname } from 'node:os'
import type { AppConfig } from '../../model/apps.js'

/** `optstring`: a string that may be empty (empty = not set). */
type FieldType = 'int' | 'string' | 'optstring' | 'apps'

interface Field<T> {
  type: FieldType
  env: string
  default: () => T
  doc: string
  min?: number
  max?: number
}

export const ConfigSchema = {
  port: { type: 'int', env: 'PARLEY_PORT', default: () => 8080, min: 0, max: 65535, doc: 'TCP port for WebSocket, REST and the web page (0 = any free port).' } as Field<number>,
  host: { type: 'string', env: 'PARLEY_HOST', default: () => '0.0.0.0', doc: 'Address to listen on.' } as Field<string>,
  dataDir: { type: 'string', env: 'PARLEY_DATA_DIR', default: () => './data', doc: 'Directory of the embedded LMDB store and the demo app key.' } as Field<string>,
  threads: { type: 'int', env: 'PARLEY_THREADS', default: () => availableParallelism(), min: 1, max: 256, doc: 'Worker threads, each with its own uWS app on the shared port and its shard of actors.' } as Field<number>,
  nodeId: { type: 'string', env: 'PARLEY_NODE_ID', default: () => hostname(), doc: 'Name of this node (a boot incarnation is appended at start).' } as Field<string>,
  apps: { type: 'apps', env: 'PARLEY_APPS', default: () => [], doc: 'JSON array of apps: {"sdkAppId", "secretKey", "admins", "multiLogin"?, "recallWindowSeconds"?, "publicKeyPem"?}.' } as Field<AppConfig[]>,
  maxFrameBytes: { type: 'int', env: 'PARLEY_MAX_FRAME_BYTES', default: () => 64 * 1024, min: 1024, max: 16 * 1024 * 1024, doc: 'Largest client frame answered with a coded error (9003) instead of being processed, bytes.' } as Field<number>,
  hardFrameBytes: { type: 'int', env: 'PARLEY_HARD_FRAME_BYTES', default: () => 1024 * 1024, min: 1024, max: 64 * 1024 * 1024, doc: 'Frames above this make uWS drop the connection at once (the client sees 1006), bytes.' } as Field<number>,
  maxBackpressureBytes: { type: 'int', env: 'PARLEY_MAX_BACKPRESSURE', default: () => 1024 * 1024, min: 1024, max: 1024 * 1024 * 1024, doc: 'Bytes buffered for one slow socket before it is closed with 4100.' } as Field<number>,
  roomCoalesceMs: { type: 'int', env: 'PARLEY_ROOM_COALESCE_MS', default: () => 50, min: 0, max: 1000, doc: 'Group pushes to one thread leave at most once per this many ms, several events per frame (0: every event-loop turn).' } as Field<number>,
  groupMsgRate: { type: 'int', env: 'PARLEY_GROUP_MSG_RATE', default: () => 40, min: 1, max: 1000000, doc: 'Messages per second one group accepts (bursts up to one second\'s worth); beyond it sends get 10023, in an AVChatRoom Low and Lowest priorities first.' } as Field<number>,
  heartbeatTimeoutSeconds: { type: 'int', env: 'PARLEY_HEARTBEAT_TIMEOUT', default: () => 120, min: 8, max: 960, doc: 'A socket silent for this long is closed (uWS idleTimeout; clients ping every 30 s).' } as Field<number>,
  loginTimeoutSeconds: { type: 'int', env: 'PARLEY_LOGIN_TIMEOUT', default: () => 15, min: 1, max: 600, doc: 'A socket not logged in after this long is closed with 4102.' } as Field<number>,
  mailboxCapacity: { type: 'int', env: 'PARLEY_MAILBOX_CAPACITY', default: () => 10000, min: 16, max: 10000000, doc: 'Messages queued per actor before asks are refused with 9006 and tells dropped.' } as Field<number>,
  actorIdleMs: { type: 'int', env: 'PARLEY_ACTOR_IDLE_MS', default: () => 300000, min: 100, max: 86400000, doc: 'An actor idle this long (and with no online device) is deactivated, ms.' } as Field<number>,
  restMaxBodyBytes: { type: 'int', env: 'PARLEY_REST_MAX_BODY', default: () => 1024 * 1024, min: 1024, max: 64 * 1024 * 1024, doc: 'Largest REST request body, bytes (60008 above).' } as Field<number>,
  sigPoolThreads: { type: 'int', env: 'PARLEY_SIG_POOL_THREADS', default: () => 1, min: 1, max: 64, doc: 'piscina threads per worker for v1 (ECDSA) UserSig checks; started on first use.' } as Field<number>,
  redisUrl: { type: 'optstring', env: 'PARLEY_REDIS_URL', default: () => '', doc: 'Redis URL (`redis://host:port`). Set, with cassandraContactPoints, to run as one node of a cluster; empty = embedded mode.' } as Field<string>,
  redisPrefix: { type: 'string', env: 'PARLEY_REDIS_PREFIX', default: () => 'parley', doc: 'Prefix of every Redis key and channel; the nodes of one cluster share it.' } as Field<string>,
  clusterHeartbeatMs: { type: 'int', env: 'PARLEY_CLUSTER_HEARTBEAT_MS', default: () => 1000, min: 50, max: 60000, doc: 'How often a cluster node renews its membership entry and re-reads the member list, ms.' } as Field<number>,
  clusterNodeTtlMs: { type: 'int', env: 'PARLEY_CLUSTER_NODE_TTL_MS', default: () => 5000, min: 200, max: 600000, doc: 'A node that stops heartbeating drops out of the cluster this long after its last heartbeat, ms (> clusterHeartbeatMs).' } as Field<number>,
  serviceConnectTimeoutMs: { type: 'int', env: 'PARLEY_SERVICE_CONNECT_TIMEOUT_MS', default: () => 10000, min: 100, max: 600000, doc: 'How long start-up waits for Redis and Cassandra before the node refuses to start, ms.' } as Field<number>,
  cassandraContactPoints: { type: 'optstring', env: 'PARLEY_CASSANDRA_CONTACT_POINTS', default: () => '', doc: 'Comma-separated `host[:port]` of Cassandra nodes. Set: every store is in Cassandra; empty: embedded LMDB.' } as Field<string>,
  cassandraLocalDc: { type: 'string', env: 'PARLEY_CASSANDRA_LOCAL_DC', default: () => 'datacenter1', doc: 'The Cassandra data center this node prefers; `LOCAL_*` consistency levels refer to it.' } as Field<string>,
  cassandraKeyspace: { type: 'string', env: 'PARLEY_CASSANDRA_KEYSPACE', default: () => 'parley', doc: 'Keyspace of every table; created and migrated at start.' } as Field<string>,
  cassandraReplication: { type: 'string', env: 'PARLEY_CASSANDRA_REPLICATION', default: () => 'SimpleStrategy:1', doc: 'Replication when the keyspace is created: `SimpleStrategy:<factor>` or `NetworkTopologyStrategy:<dc>=<n>,<dc>=<n>`.' } as Field<string>,
  cassandraConsistency: { type: 'string', env: 'PARLEY_CASSANDRA_CONSISTENCY', default: () => 'LOCAL_QUORUM', doc: 'Consistency of Cassandra reads and writes (see docs/cassandra.md).' } as Field<string>,
  cassandraSerialConsistency: { type: 'string', env: 'PARLEY_CASSANDRA_SERIAL_CONSISTENCY', default: () => 'LOCAL_SERIAL', doc: 'Consistency of the Paxos phase of the sequence fence (`LOCAL_SERIAL` or `SERIAL`).' } as Field<string>,
} as const

type Schema = typeof ConfigSchema
export type ParleyConfig = { [K in keyof Schema]: Schema[K] extends Field<infer T> ? T : never }
