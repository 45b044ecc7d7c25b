/**
 * One worker thread's components, wired: stores → actor host → mesh → router → gateway and
 * REST on a uWS app. Stopped in reverse order. No module state: each call builds its own.
 */
import uWS from 'uWebSockets.js'
import { ActorHost } from '../../actors/runtime/ActorHost.js'
import { MeshRouter } from '../../actors/runtime/MeshRouter.js'
import { ThreadMesh } from '../../actors/runtime/ThreadMesh.js'
import type { ActorDeps } from '../../actors/deps.js'
import { UserSession } from '../../actors/UserSession.js'
import { createLazySigPool } from '../auth/lazyPool.js'
import { createUserSigVerifier } from '../auth/verifier.js'
import { createAppRegistry } from '../config/apps.js'
import { Gateway } from '../gateway/Gateway.js'
import { createLogger } from '../log.js'
import { CloseCodes } from '../protocol/frames.js'
import { installRest } from '../rest/index.js'
import { openLmdbStores } from '../store/lmdb/openLmdb.js'
import { installWeb } from '../web/install.js'
import type { WorkerData } from './messages.js'

export interface RunningThread {
  /** Listens on `port` (0 = any free port); resolves with the bound port. */
  listen(port: number): Promise<number>
  stop(): Promise<void>
}

export async function startThread(data: WorkerData): Promise<RunningThread> {
  const { config, node } = data
  const thread = data.mesh.thread
  const log = createLogger({ node, thread }, process.env.PARLEY_LOG_LEVEL)
  assertNativeUws()
  const stores = await openLmdbStores(config.dataDir)
  const apps = createAppRegistry(config.apps)
  const deps: ActorDeps = { messages: stores.messages, accounts: stores.accounts, apps }
  const mesh = new ThreadMesh({ node, ports: data.mesh, log })
  const membership = { snapshot: () => ({ version: 1, nodes: [node] }) }
  const remote = { send: () => log.warn('no remote nodes in embedded mode') }
  const router = new MeshRouter({ mesh, membership, remote, log })
  const host = new ActorHost<ActorDeps>({
    node, thread, router, replies: router, deps, log,
    factories: { user: (ctx) => new UserSession(ctx) },
    mailboxCapacity: config.mailboxCapacity, idleMs: config.actorIdleMs,
  })
  mesh.start(host)
  const pool = createLazySigPool(config.sigPoolThreads)
  const verifier = createUserSigVerifier({ pool, getApp: (id) => apps.get(id) })
  const gateway = new Gateway({ router, apps, verifier, config, log, node, thread })
  mesh.setConnSink(gateway.sockets)
  const app = uWS.App()
  gateway.install(app)
  installRest(app, { router, apps, verifier, config, log })
  installWeb(app, { config })
  let listenSocket: uWS.us_listen_socket | undefined

  return {
    listen: (port) => new Promise((resolve, reject) => {
      app.listen(config.host, port, (s) => {
        if (!s) return reject(new Error(`thread ${thread}: cannot listen on ${config.host}:${port}`))
        listenSocket = s
        resolve(uWS.us_socket_local_port(s as unknown as uWS.us_socket))
      })
    }),
    async stop() {
      if (listenSocket) uWS.us_listen_socket_close(listenSocket)
      listenSocket = undefined
      gateway.closeAll(CloseCodes.SHUTTING_DOWN, 'server shutting down')
      await host.stop()
      mesh.close()
      await pool.close()
      await stores.close()
      ;(app as unknown as { close(): void }).close()
    },
  }
}

/** The npm build falls back to a slow pure-JS `ws` shim when its binary fails to load. */
function assertNativeUws(): void {
  if (!String(uWS.App).includes('[native code]')) {
    throw new Error('uWebSockets.js native binary did not load (JS fallback in use); Parley needs the native build')
  }
}
