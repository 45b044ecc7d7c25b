/**
 * The edge of one worker thread: its uWS app with the WebSocket gateway (`/ws`), the REST API
 * (`/v4/…`), the web page (`/`) and `/health`, listening on the node's shared port. The only
 * place a uWS app is created and listened on; the composition root hands it the router and
 * the services, and stops it before the actors.
 */
import uWS from 'uWebSockets.js'
import type { Router } from '../../actors/runtime/types.js'
import type { Logger } from '../core/log.js'
import type { AppRegistry, AppConfig } from '../model/apps.js'
import { CloseCodes } from '../protocol/frames.js'
import type { UserSigVerifier } from '../services/auth/verifier.js'
import type { GroupStore } from '../store/GroupStore.js'
import { Gateway, type GatewaySettings } from './gateway/Gateway.js'
import { installHealth } from './health.js'
import { installRest } from './rest/index.js'
import { installWeb } from './web/install.js'

/** The config fields the edge reads (node/config/schema.ts documents each). */
export interface EdgeSettings extends GatewaySettings {
  readonly host: string
  readonly restMaxBodyBytes: number
  readonly apps: readonly AppConfig[]
}

export interface EdgeDeps {
  readonly node: string
  readonly thread: number
  readonly router: Router
  readonly apps: AppRegistry
  readonly verifier: UserSigVerifier
  /** The app-wide group listing REST reads (`get_appid_group_list`). */
  readonly groupListing: Pick<GroupStore, 'listGroups'>
  readonly config: EdgeSettings
  readonly log: Logger
}

export interface Edge {
  readonly gateway: Gateway
  /** Listens on `port` (0 = any free port); resolves with the bound port. */
  listen(port: number): Promise<number>
  /** Stops accepting, answers /health with 503, closes every socket with 4101. */
  drain(): void
  /** Closes the uWS app (after `drain` and after the actors have stopped). */
  close(): void
}

export function createEdge(d: EdgeDeps): Edge {
  assertNativeUws()
  const gateway = new Gateway({ router: d.router, apps: d.apps, verifier: d.verifier, config: d.config, log: d.log, node: d.node, thread: d.thread })
  const app = uWS.App()
  gateway.install(app)
  installRest(app, { router: d.router, groupListing: d.groupListing, apps: d.apps, verifier: d.verifier, config: d.config, log: d.log })
  installWeb(app, { config: d.config })
  let draining = false
  installHealth(app, { node: d.node, thread: d.thread, connections: () => gateway.sockets.size, draining: () => draining })
  let listenSocket: uWS.us_listen_socket | undefined
  return {
    gateway,
    listen: (port) => new Promise((resolve, reject) => {
      app.listen(d.config.host, port, (s) => {
        if (!s) return reject(new Error(`thread ${d.thread}: cannot listen on ${d.config.host}:${port}`))
        listenSocket = s
        resolve(uWS.us_socket_local_port(s as unknown as uWS.us_socket))
      })
    }),
    drain() {
      draining = true
      if (listenSocket) uWS.us_listen_socket_close(listenSocket)
      listenSocket = undefined
      gateway.closeAll(CloseCodes.SHUTTING_DOWN, 'server shutting down')
    },
    close() {
      ;(app as unknown as { close(): void }).close()
    },
  }
}

/**
 * Throws unless uWS's native binary loaded: the npm build falls back to a slow pure-JS `ws`
 * shim when it fails to. Called before a thread opens anything (and again by createEdge).
 */
export function assertNativeUws(): void {
  if (!String(uWS.App).includes('[native code]')) {
    throw new Error('uWebSockets.js native binary did not load (JS fallback in use); Parley needs the native build')
  }
}
