/**
 * GET /health: on a real node (one worker thread, so the connection count is this node's),
 * and both branches of the route on a fake uWS app (the draining answer needs a stop in
 * progress, which a real node reaches only for an instant).
 */
import t from 'tap'
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js'
import WebSocket from 'ws'
import { installHealth } from '../../src/edge/health.js'
import { startServer } from '../helpers/server.js'

t.test('a serving node answers 200 with its id, thread and connections; other methods get 405', async (t) => {
  const srv = await startServer({ threads: 1 })
  t.teardown(() => srv.stop())
  const first = await fetch(`${srv.url}/health`)
  t.equal(first.status, 200)
  t.equal(first.headers.get('content-type'), 'application/json')
  const body = await first.json() as { node: string }
  t.same(body, { status: 'ok', node: body.node, thread: 0, connections: 0 })
  t.ok(body.node.startsWith(`${srv.config.nodeId}#`), `the node's full id, with its boot incarnation: ${body.node}`)

  const ws = new WebSocket(srv.wsUrl)
  t.teardown(() => ws.close())
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject) })
  const second = await (await fetch(`${srv.url}/health`)).json() as { connections: number }
  t.equal(second.connections, 1, 'an open WebSocket is counted')

  const post = await fetch(`${srv.url}/health`, { method: 'POST' })
  t.equal(post.status, 405)
  t.equal(post.headers.get('allow'), 'GET')
})

t.test('while draining the route answers 503 with status draining', async (t) => {
  const handlers = new Map<string, (res: HttpResponse) => void>()
  const app = {
    get: (path: string, h: (res: HttpResponse) => void) => { handlers.set(`get ${path}`, h); return app },
    any: (path: string, h: (res: HttpResponse) => void) => { handlers.set(`any ${path}`, h); return app },
  }
  let draining = false
  installHealth(app as unknown as TemplatedApp, { node: 'n1', thread: 3, connections: () => 7, draining: () => draining })
  const ask = () => {
    const seen: { status?: string; body?: string } = {}
    const res = {
      cork: (f: () => void) => { f(); return res },
      writeStatus: (s: string) => { seen.status = s; return res },
      writeHeader: () => res,
      end: (b?: string) => { seen.body = b; return res },
    }
    handlers.get('get /health')!(res as unknown as HttpResponse)
    return { status: seen.status, body: JSON.parse(seen.body ?? 'null') as unknown }
  }
  t.same(ask(), { status: '200 OK', body: { status: 'ok', node: 'n1', thread: 3, connections: 7 } })
  draining = true
  t.same(ask(), { status: '503 Service Unavailable', body: { status: 'draining', node: 'n1', thread: 3, connections: 7 } })
})
