/**
 * Connecting the Cassandra stores: one driver `Client` per call of `connectCassandra`
 * (normally one per worker thread), shared by the stores built on it, with the keyspace
 * created and migrated before any store uses it (schema.ts).
 */
import { setTimeout as delay } from 'node:timers/promises'
import cassandra, { type Client } from 'cassandra-driver'
import { resolveConsistency, type Consistencies, type ConsistencySettings } from './consistency.js'
import { checkKeyspaceName, migrate, type Replication } from './schema.js'

export interface CassandraStoreOptions {
  /** `host` or `host:port` (default port 9042), e.g. from PARLEY_CASSANDRA_CONTACT_POINTS. */
  contactPoints: string[]
  /** The data center the driver prefers and `LOCAL_*` levels refer to (`datacenter1` for SimpleSnitch). */
  localDataCenter: string
  /** Keyspace of every table; created if missing. Lower case, [a-z][a-z0-9_]{0,47}. */
  keyspace: string
  /** Replication used when the keyspace is created; an existing keyspace keeps its own. */
  replication: Replication
  /** Consistency levels; defaults in consistency.ts. */
  consistency?: Partial<ConsistencySettings>
  /**
   * Owners whose commit head a message store remembers between commits (an LRU). A miss
   * costs one serial read before the next commit of that owner. Default 100,000.
   */
  headCacheSize?: number
  /** Driver connect timeout per host, ms. Default 5,000. */
  connectTimeoutMs?: number
  /** Driver per-request timeout, ms. Default 12,000 (the driver's). */
  requestTimeoutMs?: number
  /**
   * How long `connectCassandra` keeps retrying a connect-and-migrate that failed on a
   * transient error (no host answered, a timeout, an unavailable or overloaded replica), ms.
   * Default 0: one attempt. A node sets its PARLEY_SERVICE_CONNECT_TIMEOUT_MS here, so a
   * node restarting while Cassandra is busy waits for it instead of refusing to start.
   */
  retryForMs?: number
}

/**
 * A connected, migrated keyspace. Every store built on it calls `acquire()` once and the
 * returned release function when it closes; the client shuts down when the last user
 * releases it. A handle no store ever acquired is shut down with `release()`.
 */
export interface CassandraHandle {
  readonly client: Client
  readonly keyspace: string
  readonly consistency: Consistencies
  readonly headCacheSize: number
  acquire(): () => Promise<void>
  /** Shuts the client down now if no store holds it. */
  release(): Promise<void>
}

/**
 * Connects, creates the keyspace and tables if missing, migrates, and returns the handle.
 * A transient failure is retried (backoff 250 ms doubling to 2 s) until `retryForMs` has
 * passed since the first attempt; then the last error is thrown. Other errors (a keyspace
 * newer than this build, a bad replication option) are thrown at once.
 */
export async function connectCassandra(opts: CassandraStoreOptions): Promise<CassandraHandle> {
  const keyspace = checkKeyspaceName(opts.keyspace)
  const consistency = resolveConsistency(opts.consistency)
  const giveUpAt = Date.now() + (opts.retryForMs ?? 0)
  for (let backoff = 250; ; backoff = Math.min(backoff * 2, 2000)) {
    try {
      return await connectOnce(opts, keyspace, consistency)
    } catch (err) {
      if (!isTransient(err) || Date.now() + backoff > giveUpAt) throw err
      await delay(backoff)
    }
  }
}

/** Driver errors that a later attempt may not meet: no host, timeouts, unavailable, overloaded, bootstrapping. */
export function isTransient(err: unknown): boolean {
  if (err instanceof cassandra.errors.NoHostAvailableError || err instanceof cassandra.errors.OperationTimedOutError) return true
  if (!(err instanceof cassandra.errors.ResponseError)) return false
  const c = cassandra.types.responseErrorCodes
  return [c.unavailableException, c.overloaded, c.isBootstrapping, c.writeTimeout, c.readTimeout].includes(err.code)
}

async function connectOnce(opts: CassandraStoreOptions, keyspace: string, consistency: Consistencies): Promise<CassandraHandle> {
  const client = new cassandra.Client({
    contactPoints: opts.contactPoints,
    localDataCenter: opts.localDataCenter,
    socketOptions: {
      connectTimeout: opts.connectTimeoutMs ?? 5000,
      readTimeout: opts.requestTimeoutMs ?? 12000,
    },
    queryOptions: { consistency: consistency.read, serialConsistency: consistency.serial },
  })
  try {
    await client.connect()
    await migrate(client, keyspace, opts.replication, consistency)
  } catch (err) {
    await client.shutdown().catch(() => undefined)
    throw err
  }
  let users = 0
  let shutdown: Promise<void> | undefined
  const close = (): Promise<void> => (shutdown ??= client.shutdown())
  return {
    client,
    keyspace,
    consistency,
    headCacheSize: opts.headCacheSize ?? 100_000,
    acquire() {
      if (shutdown) throw new Error(`Cassandra handle for keyspace ${keyspace} is closed`)
      users++
      let released = false
      return async () => {
        if (released) return
        released = true
        if (--users === 0) await close()
      }
    },
    async release() {
      if (users === 0) await close()
    },
  }
}
