/**
 * The SDK over a real socket: the `ws` package's WebSocket as WebSocketImpl, against a `ws`
 * server answering with the server codec. Checks what fakes cannot: binary frames arrive as
 * ArrayBuffers the codec decodes, and close codes and the `bye` frame propagate.
 */
import t from 'tap'
import { WebSocket, WebSocketServer } from 'ws'
import { ParleyClient } from '../../src/client/index.js'
import { decode, encode } from '../../src/core/codec.js'
import type { ServerFrame } from '../../src/protocol/frames.js'
import { parseClientFrame } from '../../src/protocol/validate.js'
import { ME, msgEv } from './fixtures/events.js'

t.test('login, catch-up, live event, send and a kick over ws', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/ws' })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  t.teardown(() => new Promise<void>((resolve) => wss.close(() => resolve())))
  const ops: string[] = []
  let serverSocket: WebSocket | undefined
  wss.on('connection', (ws) => {
    serverSocket = ws
    const send = (f: ServerFrame) => ws.send(encode(f))
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      t.ok(isBinary, 'client frames are binary')
      const f = parseClientFrame(decode(data))
      ops.push(f.op)
      if (f.op === 'login') send({ op: 'res', rid: f.rid, ok: true, data: { userId: f.userId, connId: 'x', inboxSeq: 1, serverTime: 0 } })
      else if (f.op === 'sync') send({ op: 'res', rid: f.rid, ok: true, data: { events: [msgEv(1)], upTo: 1, more: false } })
      else if (f.op === 'send') send({ op: 'res', rid: f.rid, ok: true, data: { msgKey: `${f.msgSeq}_${f.random}_5`, msgTime: 5, seq: 3, inboxSeq: 2 } })
    })
  })
  const port = (wss.address() as { port: number }).port
  const client = new ParleyClient({ url: `ws://127.0.0.1:${port}/ws`, sdkAppId: 1, userId: ME, userSig: 's', WebSocketImpl: WebSocket })
  t.teardown(() => client.close())
  const keys: string[] = []
  client.on('message', (m) => keys.push(m.message.msgKey))
  await client.connect()
  t.same(keys, ['k1'], 'catch-up event decoded')
  const live = new Promise<void>((resolve) => client.once('message', () => resolve()))
  serverSocket!.send(encode({ op: 'ev', ev: msgEv(2) }))
  await live
  t.same(keys, ['k1', 'k2'])
  const sent = await client.sendText('bob', 'hi')
  t.equal(sent.seq, 3)
  const kicked = new Promise((resolve) => client.once('kicked', resolve))
  serverSocket!.send(encode({ op: 'bye', code: 4002, reason: 'kicked by the app backend' }))
  serverSocket!.close(4002, 'kicked by the app backend')
  t.same(await kicked, { code: 4002, reason: 'kicked by the app backend' })
  t.equal(client.state, 'kicked', 'terminal: not offline-and-reconnecting')
  t.same(ops, ['login', 'sync', 'send'])
})
