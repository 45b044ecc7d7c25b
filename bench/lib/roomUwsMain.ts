/**
 * The raw uWS topic baseline of the broadcast benchmark (the ceiling): one process, one
 * thread, no auth, no actors, no coalescing. A member socket's first frame (its `login`) is
 * answered with a fixed `res ok` (rid 1), its second (`groupApply`) subscribes it to the one
 * topic and is answered `res ok` (rid 2). The publisher's socket (`/ws?pub=1`) gets its login
 * answered, and every later frame it sends is published unchanged to the topic with uWS's
 * native `app.publish` — one publish per message, as it arrives. Same uWS build and socket
 * limits as Parley's gateway defaults (1 MiB + 64 KiB backpressure, 120 s idle, pings).
 */
import uWS from 'uWebSockets.js'
import { encode } from '../../src/core/codec.js'
import { serveBenchIpc } from './serverIpc.js'

interface Conn {
  publisher: boolean
  frames: number
}

const TOPIC = 'room'
const LOGIN_OK = encode({ op: 'res', rid: 1, ok: true, data: { userId: '', connId: 'uws-room', shards: [], serverTime: 0 } })
const JOIN_OK = encode({ op: 'res', rid: 2, ok: true, data: { result: 'joined' } })
const app = uWS.App()

app.ws<Conn>('/ws', {
  maxPayloadLength: 1024 * 1024,
  maxBackpressure: 1024 * 1024 + 64 * 1024,
  idleTimeout: 120,
  sendPingsAutomatically: true,
  upgrade: (res, req, ctx) => {
    res.upgrade<Conn>({ publisher: /(?:^|&)pub=1/.test(req.getQuery() ?? ''), frames: 0 },
      req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'), ctx)
  },
  message: (ws, data, isBinary) => {
    const s = ws.getUserData()
    s.frames++
    if (s.frames === 1) {
      ws.send(LOGIN_OK, true)
    } else if (s.publisher) {
      app.publish(TOPIC, data, isBinary)
    } else if (s.frames === 2) {
      ws.subscribe(TOPIC)
      ws.send(JOIN_OK, true)
    }
  },
})

const listen = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
  app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('uws room cannot listen'))))
})
const port = uWS.us_socket_local_port(listen as unknown as uWS.us_socket)
serveBenchIpc(port, 0, async () => {
  uWS.us_listen_socket_close(listen)
  ;(app as unknown as { close(): void }).close()
})
