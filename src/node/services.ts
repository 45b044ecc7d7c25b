/**
 * The node-wide side of the external services, run on the node's main thread:
 * - before any thread starts, a check that each configured service answers (Cassandra:
 *   connect, create and migrate the keyspace; Redis: a ready connection), so a node that
 *   cannot reach one refuses to start with a message naming it;
 * - in cluster mode, the node's RedisMembership: `join` registers the node once its threads
 *   are ready and forwards every adopted snapshot to them; `leave` deregisters at once, so
 *   other nodes take over this node's actors without waiting for its entry to expire.
 */
import type { MembershipSnapshot } from '../../actors/runtime/placement.js'
import type { Logger } from '../core/log.js'
import { RedisMembership } from '../../cluster/RedisMembership.js'
import { RedisConnection } from '../../cluster/redisConnection.js'
import type { Deployment } from './config/deployment.js'
import { connectCassandra } from '../store/cassandra/connect.js'
import { cassandraUnreachable } from './stores.js'

export interface NodeServices {
  /** Cluster mode: joins and forwards snapshots (the first before this resolves). Embedded: no-op. */
  join(forward: (s: MembershipSnapshot) => void): Promise<void>
  /** Leaves the membership. Never rejects. */
  leave(): Promise<void>
}

export async function startNodeServices(d: Deployment, self: string, log: Logger): Promise<NodeServices> {
  const r = d.redis
  if (r) {
    const probe = new RedisConnection(r.url, { component: 'node start', role: 'command', log, reconnectMaxMs: 500 })
    try {
      await probe.ready(r.connectTimeoutMs)
    } finally {
      probe.close()
    }
  }
  if (d.cassandra) {
    const c = d.cassandra
    try {
      const handle = await connectCassandra(c)
      await handle.release()
    } catch (err) {
      throw cassandraUnreachable(c, err)
    }
  }
  if (!r) return { join: async () => undefined, leave: async () => undefined }
  const membership = new RedisMembership({
    redis: r.url, prefix: r.prefix, self, log, heartbeatMs: r.heartbeatMs, ttlMs: r.ttlMs, connectTimeoutMs: r.connectTimeoutMs,
  })
  return {
    async join(forward) {
      // start() adopts the first snapshot, and onChange hears every adoption, that one included.
      membership.onChange(forward)
      await membership.start()
    },
    leave: () => membership.stop(),
  }
}
