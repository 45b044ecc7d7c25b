/**
 * A worker thread's links to the rest of a cluster (cluster mode only): its node bus
 * endpoint on Redis pub/sub, the RemoteNodes over it, and the Redis connection registry.
 * Opened before the thread takes traffic; a Redis that cannot be reached fails the open,
 * naming Redis (so the node refuses to start).
 */
import type { MembershipView } from '../../actors/runtime/MeshRouter.js'
import type { RemoteNodes } from '../../actors/runtime/RemoteNodes.js'
import type { Logger } from '../core/log.js'
import { BusRemoteNodes, type RelayReceiver } from '../../cluster/BusRemoteNodes.js'
import { RedisConnectionRegistry } from '../../cluster/RedisConnectionRegistry.js'
import { RedisNodeBus } from '../../cluster/RedisNodeBus.js'
import type { RedisSettings } from './config/deployment.js'

export interface ClusterLinks {
  readonly registry: RedisConnectionRegistry
  /** Starts forwarding the bus's arrivals to `mesh`; returns the router's RemoteNodes. */
  remote(mesh: RelayReceiver): RemoteNodes
  /** Drains and stops the bus, closes the registry. Never rejects. */
  close(): Promise<void>
}

export async function openClusterLinks(
  r: RedisSettings, node: string, thread: number, membership: MembershipView, log: Logger,
): Promise<ClusterLinks> {
  const bus = new RedisNodeBus({ redis: r.url, prefix: r.prefix, node, thread, log, connectTimeoutMs: r.connectTimeoutMs })
  const registry = new RedisConnectionRegistry({ redis: r.url, prefix: r.prefix, membership, log, connectTimeoutMs: r.connectTimeoutMs })
  try {
    await Promise.all([bus.start(), registry.start()])
  } catch (err) {
    await bus.stop()
    registry.close()
    throw err
  }
  let remote: BusRemoteNodes | undefined
  return {
    registry,
    remote(mesh) {
      remote ??= new BusRemoteNodes({ bus, mesh })
      return remote
    },
    async close() {
      remote?.close()
      await bus.stop()
      registry.close()
    },
  }
}
