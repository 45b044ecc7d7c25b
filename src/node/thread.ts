/**
 * One worker thread's components, wired: stores → actor host → mesh → router → gateway and
 * REST on a uWS app. Stopped in reverse order. No module state: each call builds its own.
 */
import { ActorHost } from '../../actors/runtime/ActorHost.js'
import { MeshRouter } from '../../actors/runtime/MeshRouter.js'
import { ThreadMesh } from '../../actors/runtime/ThreadMesh.js'
import type { ActorDeps } from '../../actors/deps.js'
import { UserSession } from '../../actors/user/UserSession.js'
import { Group } from '../../actors/group/Group.js'
import { GroupIndex } from '../../actors/group/GroupIndex.js'
import { Checkpointer } from '../../actors/conv/Checkpointer.js'
import { ConvShard } from '../../actors/conv/ConvShard.js'
import { DEFAULT_CONV_SHARDS } from '../../actors/conv/shardOfPair.js'
import { createLazySigPool } from '../services/auth/lazyPool.js'
import { createUserSigVerifier } from '../services/auth/verifier.js'
import { createAppRegistry } from '../model/apps.js'
import { createLogger } from './log.js'
import { LocalConnectionRegistry } from '../../actors/connections.js'
import { placeActor, type MembershipSnapshot } from '../../actors/runtime/placement.js'
import { ForwardedMembership } from '../../cluster/ForwardedMembership.js'
import { deploymentOf } from './config/deployment.js'
import { assertNativeUws, createEdge } from '../edge/server.js'
import { type ClusterLinks, openClusterLinks } from './clusterLinks.js'
import type { WorkerData } from './messages.js'
import { openThreadStores } from './stores.js'

export interface RunningThread {
  /** Listens on `port` (0 = any free port); resolves with the bound port. */
  listen(port: number): Promise<number>
  /** Cluster mode: the node adopted a new membership snapshot. */
  membership(snapshot: MembershipSnapshot): void
  stop(): Promise<void>
}

export async function startThread(data: WorkerData): Promise<RunningThread> {
  const { config, node } = data
  const thread = data.mesh.thread
  const log = createLogger({ node, thread }, config.logLevel)
  assertNativeUws()
  const deployment = deploymentOf(config)
  // Embedded: this node alone, for good. Cluster: the main thread forwards every snapshot.
  const membership = new ForwardedMembership(node, log, deployment.redis ? undefined : { version: 1, nodes: [node] })
  const links: ClusterLinks | undefined = deployment.redis
    ? await openClusterLinks(deployment.redis, node, thread, membership, log)
    : undefined
  const stores = await openThreadStores(config, deployment, log).catch(async (e: unknown) => {
    await links?.close()
    throw e
  })
  const apps = createAppRegistry(config.apps)
  const checkpointer = new Checkpointer(stores.shardLog, stores.convIndex)
  const deps: ActorDeps = {
    messages: stores.messages, accounts: stores.accounts, groups: stores.groups, apps, connections: links?.registry ?? LocalConnectionRegistry,
    groupMsgRate: config.groupMsgRate, checkpointer, convShards: DEFAULT_CONV_SHARDS,
  }
  const mesh = new ThreadMesh({ node, ports: data.mesh, log })
  const remote = links?.remote(mesh) ?? { send: () => log.warn('no remote nodes in embedded mode') }
  const router = new MeshRouter({ mesh, membership, remote, log })
  const host = new ActorHost<ActorDeps>({
    node, thread, router, replies: router, deps, log,
    factories: {
      user: (ctx) => new UserSession(ctx), group: (ctx) => new Group(ctx), groupIndex: (ctx) => new GroupIndex(ctx),
      convs: (ctx) => new ConvShard(ctx),
    },
    mailboxCapacity: config.mailboxCapacity, idleMs: config.actorIdleMs,
  })
  mesh.start(host)
  // Hand-off: actors whose home moved to another node leave; their next message finds them there.
  membership.onChange((snap) => {
    const moved = host.rehome((id) => placeActor(id, snap) === node)
    log.info('membership changed', { version: snap.version, nodes: snap.nodes.length, movedActors: moved })
  })
  const pool = createLazySigPool(config.sigPoolThreads)
  const verifier = createUserSigVerifier({ pool, getApp: (id) => apps.get(id) })
  const edge = createEdge({ node, thread, router, apps, verifier, groupListing: stores.groups, config, log })
  const gateway = edge.gateway
  mesh.setConnSink(gateway)
  // Cluster: after a Redis outage (possibly a restart that lost the registry), re-register
  // this thread's logged-in sockets so sessions activated later still find their devices.
  links?.registry.onRestored(() => {
    for (const d of gateway.liveDevices()) void links.registry.add(d.app, d.userId, d.device)
  })

  return {
    listen: (port) => edge.listen(port),
    membership: (snap) => { membership.adopt(snap) },
    async stop() {
      edge.drain()
      await host.stop()
      router.close()
      mesh.close()
      await pool.close()
      await checkpointer.close().catch((e: unknown) => log.error('final checkpoint failed; the next start replays the log', { error: String(e) }))
      await stores.close()
      await links?.close()
      edge.close()
      await log.flush()
    },
  }
}
