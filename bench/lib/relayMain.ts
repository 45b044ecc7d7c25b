/**
 * The raw uWS relay baseline: one process, one thread, no auth, no store, no actors. A socket
 * opened as `/ws?pair=N` is paired with the other socket of pair N; its first frame (the
 * client's `login`) is answered with a fixed `res ok`, and every later frame is forwarded
 * unchanged to the paired socket. Same uWS build, socket limits and ping settings as Parley's
 * gateway defaults, so the difference measured is Parley's own work.
 */
import uWS from 'uWebSockets.js'
import { encode } from '../../src/core/codec.js'
import { serveBenchIpc } from './serverIpc.js'

interface Peer {
  pair: number
  greeted: boolean
  peer: uWS.WebSocket<Peer> | undefined
  closed: boolean
}

const LOGIN_OK = encode({ op: 'res', rid: 1, ok: true, data: { userId: '', connId: 'relay', shards: [], serverTime: 0 } })
const waiting = new Map<number, uWS.WebSocket<Peer>>()
const app = uWS.App()

app.ws<Peer>('/ws', {
  maxPayloadLength: 1024 * 1024,
  maxBackpressure: 1024 * 1024,
  idleTimeout: 120,
  sendPingsAutomatically: true,
  upgrade: (res, req, ctx) => {
    const m = /(?:^|&)pair=(\d+)/.exec(req.getQuery() ?? '')
    res.upgrade<Peer>({ pair: m ? Number(m[1]) : -1, greeted: false, peer: undefined, closed: false },
      req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'), ctx)
  },
  open: (ws) => {
    const s = ws.getUserData()
    if (s.pair < 0) return
    const other = waiting.get(s.pair)
    if (other) {
      waiting.delete(s.pair)
      s.peer = other
      other.getUserData().peer = ws
    } else {
      waiting.set(s.pair, ws)
    }
  },
  message: (ws, data, isBinary) => {
    const s = ws.getUserData()
    if (!s.greeted) {
      s.greeted = true
      ws.send(LOGIN_OK, true)
      return
    }
    const peer = s.peer
    if (peer && !peer.getUserData().closed) peer.send(data, isBinary)
  },
  close: (ws) => {
    const s = ws.getUserData()
    s.closed = true
    if (s.peer) s.peer.getUserData().peer = undefined
    else if (waiting.get(s.pair) === ws) waiting.delete(s.pair)
  },
})

const listen = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
  app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('relay cannot listen'))))
})
const port = uWS.us_socket_local_port(listen as unknown as uWS.us_socket)
serveBenchIpc(port, 0, async () => {
  uWS.us_listen_socket_close(listen)
  ;(app as unknown as { close(): void }).close()
})
