/**
 * A local Parley cluster for tests: N nodes as separate OS processes (serverProcess.ts) on
 * 127.0.0.1, sharing a real Redis (a fresh key prefix) and a real Cassandra (a fresh
 * keyspace, dropped in teardown). A test may kill -9 a node, stop it gracefully and start it
 * again on the same port. Not a test file itself.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import type { AppConfig } from '../../src/model/apps.js'
import { type CassandraTarget, ensureCassandra, freshKeyspaceName, runCql } from './cassandra.js'
import { deleteKeys, ensureRedis, freshPrefix } from './redis.js'
import { withDeadline } from './sdkClients.js'
import { freePort, type ServerProcess, spawnServer } from './serverProcess.js'

export interface LocalCluster {
  readonly app: AppConfig
  readonly ports: readonly number[]
  /** `ws://127.0.0.1:<port>/ws` of every node, in node order. */
  readonly wsUrls: readonly string[]
  readonly keyspace: string
  readonly redisUrl: string
  readonly prefix: string
  /** The running process of node `i` (undefined while it is down). */
  node(i: number): ServerProcess | undefined
  kill9(i: number): Promise<void>
  /** Graceful stop (SIGTERM: leave the membership, close sockets with 4101). */
  stopNode(i: number): Promise<void>
  /** Resolves once the cluster's Redis membership lists exactly `n` nodes (checked on each change). */
  untilMembers(n: number, timeoutMs?: number): Promise<void>
  /** Starts node `i` again on its port (a new boot incarnation). */
  startNode(i: number): Promise<void>
  /** Stops every node, drops the keyspace and the Redis keys, removes the data dir. */
  close(): Promise<void>
}

export interface LocalClusterOptions {
  app: AppConfig
  nodes?: number
  /** Worker threads per node: one count for all, or one per node (default 2). */
  threads?: number | number[]
  /** Redis URL (default: the test Redis); a test that restarts Redis passes its private one. */
  redisUrl?: string
  /** Cassandra contact points as `host:port` (default: the test Cassandra). */
  cassandraContactPoints?: string
  /** More PARLEY_* settings for every node. */
  env?: Record<string, string>
}

export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  const n = o.nodes ?? 3
  const cassandra: CassandraTarget = await ensureCassandra()
  const redisUrl = o.redisUrl ?? (await ensureRedis()).url
  const prefix = freshPrefix()
  const keyspace = freshKeyspaceName('parley_cl')
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-cluster-'))
  const ports: number[] = []
  for (let i = 0; i < n; i++) ports.push(await freePort())
  const env = {
    PARLEY_REDIS_URL: redisUrl,
    PARLEY_REDIS_PREFIX: prefix,
    PARLEY_CASSANDRA_CONTACT_POINTS: o.cassandraContactPoints ?? cassandra.contactPoints.join(','),
    PARLEY_CASSANDRA_LOCAL_DC: cassandra.localDataCenter,
    PARLEY_CASSANDRA_KEYSPACE: keyspace,
    PARLEY_CLUSTER_HEARTBEAT_MS: '200',
    PARLEY_CLUSTER_NODE_TTL_MS: '1500',
    PARLEY_LOG_LEVEL: 'warn',
    ...o.env,
  }
  const procs: (ServerProcess | undefined)[] = new Array(n).fill(undefined)
  const start = async (i: number) => {
    procs[i] = await spawnServer({
      dataDir: join(dataDir, `node${i}`), port: ports[i], apps: [o.app], threads: Array.isArray(o.threads) ? o.threads[i] : (o.threads ?? 2), nodeId: `node${i}`, env,
    })
  }
  const cluster: LocalCluster = {
    app: o.app,
    ports,
    wsUrls: ports.map((p) => `ws://127.0.0.1:${p}/ws`),
    keyspace,
    redisUrl,
    prefix,
    node: (i) => procs[i],
    async kill9(i) {
      await procs[i]?.kill9()
      procs[i] = undefined
    },
    async stopNode(i) {
      await procs[i]?.stop()
      procs[i] = undefined
    },
    startNode: start,
    untilMembers: (n, timeoutMs = 20_000) => untilMembers(redisUrl, prefix, n, timeoutMs),
    async close() {
      await Promise.all(procs.map((p) => p?.stop()))
      await runCql(cassandra, [`DROP KEYSPACE IF EXISTS ${keyspace}`]).catch(() => undefined)
      await deleteKeys(redisUrl, prefix).catch(() => undefined)
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
  try {
    // The first node creates the keyspace; the others then find it migrated.
    await start(0)
    await Promise.all(ports.slice(1).map((_, k) => start(k + 1)))
  } catch (e) {
    await cluster.close()
    throw e
  }
  return cluster
}

async function untilMembers(url: string, prefix: string, n: number, timeoutMs: number): Promise<void> {
  const cmd = new Redis(url)
  const sub = new Redis(url)
  try {
    const reached = async () => (await cmd.zcard(`${prefix}:members`)) === n
    await sub.subscribe(`${prefix}:members:changes`)
    const changed = new Promise<void>((resolve) => {
      sub.on('message', () => { void reached().then((ok) => { if (ok) resolve() }) })
    })
    if (await reached()) return
    await withDeadline(changed, timeoutMs, `${n} nodes in the membership`)
  } finally {
    cmd.disconnect()
    sub.disconnect()
  }
}
