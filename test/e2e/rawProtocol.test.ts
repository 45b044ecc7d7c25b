/**
 * An independent client: speaks the wire protocol with `ws` and a plain msgpack codec,
 * without the SDK, to prove the protocol as documented in docs/protocol.md is what runs.
 */
import t from 'tap'
import { codec, RawClient } from '../helpers/rawClient.js'
import { startServer, type TestServer } from '../helpers/server.js'

let server: TestServer
t.before(async () => { server = await startServer() })
t.teardown(() => server.stop())

const text = (s: string) => [{ MsgType: 'TIMTextElem', MsgContent: { Text: s } }]

t.test('login, send, receive, history over raw msgpack frames', async (t) => {
  const a = await RawClient.open(server.wsUrl)
  const b = await RawClient.open(server.wsUrl)
  t.teardown(() => { a.ws.close(); b.ws.close() })
  const la = await a.request('login', { sdkAppId: server.app.sdkAppId, userId: 'raw_a', userSig: server.userSig('raw_a'), platform: 'Linux' })
  t.equal(la.ok, true, 'a logged in')
  const lb = await b.request('login', { sdkAppId: server.app.sdkAppId, userId: 'raw_b', userSig: server.userSig('raw_b'), platform: 'Web' })
  t.equal(lb.ok, true, 'b logged in')

  const sent = await a.request('send', { to: 'raw_b', random: 42, body: text('hello b') })
  t.equal(sent.ok, true)
  const data = sent.data as { msgKey: string; seq: number; msgTime: number }
  t.match(data.msgKey, /^\d+_42_\d+$/, 'MsgKey is {MsgSeq}_{MsgRandom}_{MsgTime}')
  t.equal(data.seq, 1, 'first message of the conversation in the sender view')

  const ev = await b.next((f) => f.op === 'ev')
  const e = ev.ev as { type: string; seq: number; conv: string; msg: { msgKey: string; from: string; body: unknown } }
  t.equal(e.type, 'msg')
  t.equal(e.conv, 'c2c:raw_a')
  t.equal(e.msg.msgKey, data.msgKey)
  t.same(e.msg.body, text('hello b'))

  const hist = await b.request('history', { peer: 'raw_a', limit: 10 })
  const msgs = (hist.data as { messages: { msgKey: string }[] }).messages
  t.same(msgs.map((m) => m.msgKey), [data.msgKey], 'history holds the message')
})

t.test('JSON text frames are the debug alternative', async (t) => {
  const c = await RawClient.open(server.wsUrl, true)
  t.teardown(() => c.ws.close())
  const pong = await c.request('login', { sdkAppId: server.app.sdkAppId, userId: 'json_u', userSig: server.userSig('json_u'), platform: 'Web' })
  t.equal(pong.ok, true)
  const convs = await c.request('convs')
  t.same(convs.data, { conversations: [], totalUnread: 0 })
})

t.test('bad frames get coded errors and leave the socket usable', async (t) => {
  const c = await RawClient.open(server.wsUrl)
  t.teardown(() => c.ws.close())
  c.sendRaw(Buffer.from([0xc1, 0xff, 0x00]))
  const bad = await c.next((f) => f.op === 'res')
  t.equal(bad.code, 9004, 'undecodable msgpack → 9004')
  const unknown = await c.request('fly')
  t.equal(unknown.code, 9002, 'unknown op → 9002')
  const early = await c.request('convs')
  t.equal(early.code, 9001, 'op before login → 9001')
  const wrongType = await c.request('login', { sdkAppId: 'x', userId: 'u', userSig: 's', platform: 'Web' })
  t.equal(wrongType.code, 20001, 'wrong field type → 20001')
  c.sendRaw(codec.pack({ op: 'ping', rid: 7, pad: 'x'.repeat(server.config.maxFrameBytes) }))
  const big = await c.next((f) => f.op === 'res' && f.code === 9003)
  t.equal(big.code, 9003, 'frame above maxFrameBytes → 9003')
  const pong = await c.request('ping')
  t.equal(pong.op, 'pong', 'socket still serves requests')
})

t.test('a bad token is refused with its code and the socket closed 4003', async (t) => {
  const c = await RawClient.open(server.wsUrl)
  const res = await c.request('login', { sdkAppId: server.app.sdkAppId, userId: 'victim', userSig: server.userSig('someone_else'), platform: 'Web' })
  t.equal(res.code, 70013, 'UserID mismatch → 70013')
  const closed = await c.closed
  t.equal(closed.code, 4003)
})

t.test('the server\'s own @TIM#SYSTEM cannot log in, even with a valid token', async (t) => {
  const c = await RawClient.open(server.wsUrl)
  t.teardown(() => c.ws.close())
  const res = await c.request('login', { sdkAppId: server.app.sdkAppId, userId: '@TIM#SYSTEM', userSig: server.userSig('@TIM#SYSTEM'), platform: 'Web' })
  t.equal(res.code, 70402, 'a reserved UserID → 70402')
})
