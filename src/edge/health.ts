/**
 * `GET /health` on every worker thread's uWS app (the node's public port), for load
 * balancers and orchestrators: 200 `{"status":"ok", node, thread, connections}` while the
 * thread serves, 503 `{"status":"draining", …}` once its graceful stop has begun (a
 * keep-alive connection can still ask then; new connections are no longer accepted).
 * `connections` counts this thread's WebSocket connections. Any other method on the path is
 * 405. The route reads two values and never touches actors or stores, so it stays cheap
 * under load and answers even while Redis or Cassandra is unreachable.
 */
import type { TemplatedApp } from 'uWebSockets.js'

export interface HealthSource {
  readonly node: string
  readonly thread: number
  connections(): number
  draining(): boolean
}

export function installHealth(app: TemplatedApp, h: HealthSource): void {
  app.get('/health', (res) => {
    const draining = h.draining()
    const body = JSON.stringify({ status: draining ? 'draining' : 'ok', node: h.node, thread: h.thread, connections: h.connections() })
    res.cork(() => {
      res.writeStatus(draining ? '503 Service Unavailable' : '200 OK')
        .writeHeader('content-type', 'application/json')
        .writeHeader('cache-control', 'no-store')
        .end(body)
    })
  })
  app.any('/health', (res) => {
    res.cork(() => res.writeStatus('405 Method Not Allowed').writeHeader('allow', 'GET').end())
  })
}
