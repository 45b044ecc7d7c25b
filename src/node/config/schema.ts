/**
 * The one config schema. Each field is declared once with its type, range, default,
 * environment variable (`env`) and a one-line doc (`description`); the check (load.ts), the
 * TypeScript type (`ParleyConfig`) and the README config table (`parley config-table`, which a
 * test keeps in agreement) all come from it. Precedence: environment > config file > default.
 */
import { availableParallelism, hostname } from 'node:os'
import { F, type Static, type TSchema } from '../../core/schema.js'
import { AppSchema } from '../../model/apps.js'

/** The levels `logLevel` takes (pino's, and `silent`). */
export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Extra options of a config field: where it comes from and how its default reads in the table. */
interface ConfigField {
  env: string
  description: string
  /** The default as the table shows it, when it is computed at start (e.g. 'CPU count'). */
  defaultDoc?: string
}

const int = (min: number, max: number, d: number | (() => number), o: ConfigField) => F.int({ min, max, default: d, ...o })
const str = (d: string | (() => string), o: ConfigField) => F.string({ nonEmpty: true, default: d, ...o })
/** A string that may be empty (empty = not set). */
const optstr = (o: ConfigField) => F.string({ default: '', ...o, configType: 'optstring' })

export const ConfigSchema = F.object({
  port: int(0, 65535, 8080, { env: 'PARLEY_PORT', description: 'TCP port for WebSocket, REST and the web page (0 = any free port).' }),
  host: str('0.0.0.0', { env: 'PARLEY_HOST', description: 'Address to listen on.' }),
  dataDir: str('./data', { env: 'PARLEY_DATA_DIR', description: 'Directory of the embedded LMDB store and the demo app key.' }),
  threads: int(1, 256, availableParallelism, { env: 'PARLEY_THREADS', defaultDoc: 'CPU count', description: 'Worker threads, each with its own uWS app on the shared port and its shard of actors.' }),
  nodeId: str(hostname, { env: 'PARLEY_NODE_ID', defaultDoc: 'host name', description: 'Name of this node (a boot incarnation is appended at start).' }),
  apps: F.array(AppSchema, { env: 'PARLEY_APPS', default: [], configType: 'apps', description: 'JSON array of apps: {"sdkAppId", "secretKey", "admins"?, "multiLogin"?, "recallWindowSeconds"?, "publicKeyPem"?}; an unknown key is refused.' }),
  logLevel: F.oneOf(LogLevels, { env: 'PARLEY_LOG_LEVEL', default: 'info', configType: 'level', description: 'Least severe log level written (fatal, error, warn, info, debug, trace) or silent; one JSON line per entry on stderr.' }),
  maxFrameBytes: int(1024, 16 * 1024 * 1024, 64 * 1024, { env: 'PARLEY_MAX_FRAME_BYTES', description: 'Largest client frame answered with a coded error (9003) instead of being processed, bytes.' }),
  hardFrameBytes: int(1024, 64 * 1024 * 1024, 1024 * 1024, { env: 'PARLEY_HARD_FRAME_BYTES', description: 'Frames above this make uWS drop the connection at once (the client sees 1006), bytes.' }),
  maxBackpressureBytes: int(1024, 1024 * 1024 * 1024, 1024 * 1024, { env: 'PARLEY_MAX_BACKPRESSURE', description: 'Bytes buffered for one slow socket before it is closed with 4100.' }),
  // 32: a full window is the work one connection puts ahead of everyone else's on its threads
  // (today's send path costs about 0.35 ms of CPU: ~11 ms). Measured with sendFlood.test.ts on
  // 2 shared cores (maxRefusedSends 1,000), a flood added ~25 ms to an unrelated pair's sends
  // at 32, ~40 ms at 64 and 90–150 ms at 256.
  maxSendsInFlight: int(1, 100000, 32, { env: 'PARLEY_MAX_SENDS_IN_FLIGHT', description: 'Sends (one-to-one and group) one connection may have awaiting their answer; beyond it a send is refused at once with 9013, neither stored nor delivered.' }),
  // 256: the gateway answers each refused frame of a read before it closes the connection, and
  // uWS hands over a whole read (up to 512 KiB) at once; at 1,000 that took 17–42 ms of one
  // thread here (cold code, shared cores), which everyone on the thread waited out.
  maxRefusedSends: int(1, 10000000, 256, { env: 'PARLEY_MAX_REFUSED_SENDS', description: 'A connection refused this many sends in a row (9013, none of its sends answered in between) is closed with 4104 as a flooder.' }),
  roomCoalesceMs: int(0, 1000, 50, { env: 'PARLEY_ROOM_COALESCE_MS', description: 'Group pushes to one thread leave at most once per this many ms, several events per frame (0: every event-loop turn).' }),
  groupMsgRate: int(1, 1000000, 40, { env: 'PARLEY_GROUP_MSG_RATE', description: 'Messages per second one group accepts (bursts up to one second\'s worth); beyond it sends get 10023, in an AVChatRoom Low and Lowest priorities first.' }),
  heartbeatTimeoutSeconds: int(8, 960, 120, { env: 'PARLEY_HEARTBEAT_TIMEOUT', description: 'A socket silent for this long is closed (uWS idleTimeout; clients ping every 30 s).' }),
  loginTimeoutSeconds: int(1, 600, 15, { env: 'PARLEY_LOGIN_TIMEOUT', description: 'A socket not logged in after this long is closed with 4102.' }),
  mailboxCapacity: int(16, 10000000, 10000, { env: 'PARLEY_MAILBOX_CAPACITY', description: 'Messages queued per actor before asks are refused with 9006 and tells dropped.' }),
  actorIdleMs: int(100, 86400000, 300000, { env: 'PARLEY_ACTOR_IDLE_MS', description: 'An actor idle this long (and with no online device) is deactivated, ms.' }),
  restMaxBodyBytes: int(1024, 64 * 1024 * 1024, 1024 * 1024, { env: 'PARLEY_REST_MAX_BODY', description: 'Largest REST request body, bytes (60008 above).' }),
  sigPoolThreads: int(1, 64, 1, { env: 'PARLEY_SIG_POOL_THREADS', description: 'piscina threads per worker for v1 (ECDSA) UserSig checks; started on first use.' }),
  redisUrl: optstr({ env: 'PARLEY_REDIS_URL', description: 'Redis URL (`redis://host:port`). Set, with cassandraContactPoints, to run as one node of a cluster; empty = embedded mode.' }),
  redisPrefix: str('parley', { env: 'PARLEY_REDIS_PREFIX', description: 'Prefix of every Redis key and channel; the nodes of one cluster share it.' }),
  clusterHeartbeatMs: int(50, 60000, 1000, { env: 'PARLEY_CLUSTER_HEARTBEAT_MS', description: 'How often a cluster node renews its membership entry and re-reads the member list, ms.' }),
  clusterNodeTtlMs: int(200, 600000, 5000, { env: 'PARLEY_CLUSTER_NODE_TTL_MS', description: 'A node that stops heartbeating drops out of the cluster this long after its last heartbeat, ms (> clusterHeartbeatMs).' }),
  serviceConnectTimeoutMs: int(100, 600000, 10000, { env: 'PARLEY_SERVICE_CONNECT_TIMEOUT_MS', description: 'How long start-up waits for Redis and Cassandra before the node refuses to start, ms.' }),
  cassandraContactPoints: optstr({ env: 'PARLEY_CASSANDRA_CONTACT_POINTS', description: 'Comma-separated `host[:port]` of Cassandra nodes. Set: every store is in Cassandra; empty: embedded LMDB.' }),
  cassandraLocalDc: str('datacenter1', { env: 'PARLEY_CASSANDRA_LOCAL_DC', description: 'The Cassandra data center this node prefers; `LOCAL_*` consistency levels refer to it.' }),
  cassandraKeyspace: str('parley', { env: 'PARLEY_CASSANDRA_KEYSPACE', description: 'Keyspace of every table; created and migrated at start.' }),
  cassandraReplication: str('SimpleStrategy:1', { env: 'PARLEY_CASSANDRA_REPLICATION', description: 'Replication when the keyspace is created: `SimpleStrategy:<factor>` or `NetworkTopologyStrategy:<dc>=<n>,<dc>=<n>`.' }),
  cassandraConsistency: str('LOCAL_QUORUM', { env: 'PARLEY_CASSANDRA_CONSISTENCY', description: 'Consistency of Cassandra reads and writes (see docs/cassandra.md).' }),
  cassandraSerialConsistency: str('LOCAL_SERIAL', { env: 'PARLEY_CASSANDRA_SERIAL_CONSISTENCY', description: 'Consistency of the Paxos phase of the sequence fence (`LOCAL_SERIAL` or `SERIAL`).' }),
}, { additionalProperties: false })

export type ParleyConfig = Static<typeof ConfigSchema>

/** A config field's schema with its config options. */
export type ConfigFieldSchema = TSchema & ConfigField & { configType?: string; default: unknown }

/** Every field of the schema, in order. */
export function configFields(): [string, ConfigFieldSchema][] {
  return Object.entries(ConfigSchema.properties) as unknown as [string, ConfigFieldSchema][]
}
