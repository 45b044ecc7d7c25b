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
import { ME, shardMsg } from './fixtures/events.js'

t.test('login, catch-up, live event, send and a kick over ws', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/ws' })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  t.teardown(() => new Promise<void>((resolve) => wss.close(() => resolve())))
  const ops: unknown[] = []
  let serverSocket: WebSocket | undefined
  wss.on('connection', (ws) => {
    serverSocket = ws
    const send = (f: ServerFrame) => ws.send(encode(f))
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      t.ok(isBinary, 'client frames are binary')
      const raw = decode(data) as { op: string; rid: number; sh?: number; after?: number; limit?: number }
      if (raw.op === 'sync') {
        // The planned sync (src/client/wire.ts): the server's schema does not know `sh` yet.
        ops.push({ op: 'sync', sh: raw.sh, after: raw.after, limit: raw.limit })
        return send({ op: 'res', rid: raw.rid, ok: true, data: { sh: 7, events: [shardMsg(7, 1, { key: 'k1' })], upTo: 1, more: false } })
      }
      const f = parseClientFrame(raw)
      ops.push(f.op)
      if (f.op === 'login') send({ op: 'res', rid: f.rid, ok: true, data: { userId: f.userId, connId: 'x', serverTime: 0, shards: [7] } })
      else if (f.op === 'send') send({ op: 'res', rid: f.rid, ok: true, data: { msgKey: `${f.msgSeq}_${f.random}_5`, msgTime: 5, seq: 3, sh: 7, inboxSeq: 2 } })
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
  serverSocket!.send(encode({ op: 'ev', ev: shardMsg(7, 2, { key: 'k2' }) }))
  await live
  t.same(keys, ['k1', 'k2'])
  t.same(client.cursor, { 7: 2 })
  const sent = await client.sendText('bob', 'hi')
  t.match(sent, { seq: 3, sh: 7, inboxSeq: 2 })
  const kicked = new Promise((resolve) => client.once('kicked', resolve))
  serverSocket!.send(encode({ op: 'bye', code: 4002, reason: 'kicked by the app backend' }))
  serverSocket!.close(4002, 'kicked by the app backend')
  t.same(await kicked, { code: 4002, reason: 'kicked by the app backend' })
  t.equal(client.state, 'kicked', 'terminal: not offline-and-reconnecting')
  t.same(ops, ['login', { op: 'sync', sh: 7, after: 0, limit: 100 }, 'send'])
})
