/**
 * The socket.io peer of the broadcast benchmark: a socket.io server (its defaults: Node's
 * http server and the `ws` WebSocket server; websocket transport only, no compression) with
 * one room. A client's `join` puts its socket in the room and is acknowledged; a `pub` event
 * is broadcast to the room with `io.to(room).emit('m', event)` (socket.io encodes the packet
 * once and writes it to each member's socket). No auth, one process, one thread.
 */
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { serveBenchIpc } from './serverIpc.js'

const ROOM = 'room'
const http = createServer()
const ioServer = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false })

ioServer.on('connection', (socket) => {
  socket.on('join', (ack: unknown) => {
    void socket.join(ROOM)
    if (typeof ack === 'function') ack()
  })
  socket.on('pub', (ev: unknown) => {
    ioServer.to(ROOM).emit('m', ev)
  })
})

const port = await new Promise<number>((resolve, reject) => {
  http.once('error', reject)
  http.listen(0, '127.0.0.1', () => {
    const a = http.address()
    resolve(typeof a === 'object' && a ? a.port : 0)
  })
})
serveBenchIpc(port, 0, () => new Promise<void>((resolve) => {
  ioServer.close(() => resolve())
}))
