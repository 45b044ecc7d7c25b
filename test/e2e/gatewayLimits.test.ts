/**
 * Gateway limits over raw sockets: slow consumers are closed with 4100, sockets that never
 * log in with 4102, frames over the hard limit dropped by uWS (1006) — and none of it disturbs
 * other connections.
 */
import t from 'tap'
import { codec, RawClient } from '../helpers/rawClient.js'
import { restOk } from '../helpers/restAdmin.js'
import { startServer, type TestServer } from '../helpers/server.js'

let server: TestServer
t.before(async () => {
  server = await startServer({ config: { maxBackpressureBytes: 16 * 1024, loginTimeoutSeconds: 1, hardFrameBytes: 128 * 1024 } })
})
t.teardown(() => server.stop())

async function login(userId: string): Promise<RawClient> {
  const c = await RawClient.open(server.wsUrl)
  const res = await c.request('login', { sdkAppId: server.app.sdkAppId, userId, userSig: server.userSig(userId), platform: 'Linux' })
  if (res.ok !== true) throw new Error(`login ${userId} failed: ${JSON.stringify(res)}`)
  return c
}

const text = (s: string) => [{ MsgType: 'TIMTextElem', MsgContent: { Text: s } }]

t.test('a consumer that stops reading is closed with 4100; others carry on', async (t) => {
  const sender = await login('bp_sender')
  const slow = await login('bp_slow')
  const healthy = await login('bp_healthy')
  t.teardown(() => { sender.ws.close(); healthy.ws.close(); slow.ws.terminate() })
  // Stop reading on the slow socket: the server's send buffer for it grows.
  const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket
  socket.pause()
  // Send 10 KB messages until the server has ended the slow socket (the user shows offline),
  // then resume at once: uWS gives an ended socket a 16 s grace to drain its close frame.
  // The bound (40 MB) is far beyond the 16 KB limit plus what loopback TCP buffers hold.
  const payload = 'x'.repeat(10 * 1024)
  let sent = 0
  const online = async () => {
    const q = await restOk(server, 'openim/query_online_status', { To_Account: ['bp_slow'] })
    return q.QueryResult[0].Status === 'Online'
  }
  while (sent < 4000 && (sent % 50 !== 0 || await online())) {
    const r = await sender.request('send', { to: 'bp_slow', random: ++sent, body: text(payload) })
    if (r.ok !== true) t.fail(`send ${sent} failed: ${JSON.stringify(r)}`)
  }
  t.ok(sent < 4000, `the server ended the slow socket (after ${sent} messages)`)
  socket.resume()
  const closed = await slow.closed
  t.equal(closed.code, 4100, 'slow consumer closed with 4100')
  const status = await sender.request('send', { to: 'bp_healthy', random: 5000, body: text('still here') })
  t.equal(status.ok, true, 'sending to a healthy user still works')
  const ev = await healthy.next((f) => f.op === 'ev')
  t.equal((ev.ev as { type: string }).type, 'msg', 'the healthy user still receives')
  const pong = await sender.request('ping')
  t.equal(pong.op, 'pong', 'the sender is unaffected')
})

t.test('a socket that never logs in is closed with 4102', async (t) => {
  const c = await RawClient.open(server.wsUrl)
  const closed = await c.closed
  t.equal(closed.code, 4102)
})

t.test('a frame above the hard limit makes uWS drop the connection (1006); others carry on', async (t) => {
  const other = await login('hard_other')
  t.teardown(() => other.ws.close())
  const c = await RawClient.open(server.wsUrl)
  c.sendRaw(codec.pack({ op: 'ping', rid: 1, pad: 'x'.repeat(200 * 1024) }))
  const closed = await c.closed
  t.equal(closed.code, 1006, 'uWS closes without a close frame')
  const pong = await other.request('ping')
  t.equal(pong.op, 'pong')
})
