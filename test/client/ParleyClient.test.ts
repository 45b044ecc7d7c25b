/**
 * The client driver against an in-memory fake server (fixtures/fakeServer.ts): connection
 * lifecycle, catch-up, gap sync, send echo handling, resend after a drop, terminal closes.
 * Tests wait on client and server events, never on sleeps. End-to-end tests against the real
 * gateway live elsewhere; what is particular to several shards is in ParleyClientShards.test.ts.
 */
import t from 'tap'
import { ClientErrorCodes, ParleyClient } from '../../src/client/index.js'
import { text } from '../../src/client/elements.js'
import { messages, next, sends, setup, syncs } from './fixtures/clientSetup.js'
import { FakeServer } from './fixtures/fakeServer.js'
import { ME, msgEv } from './fixtures/events.js'

t.test('connect: login with the options, catch-up, then online', async (t) => {
  const { server, client, log } = setup(t)
  const sh = server.commit(ME, msgEv(1), false).sh
  await client.connect()
  t.equal(client.state, 'online')
  t.match(server.frames[0], { op: 'login', sdkAppId: 1400000001, userId: ME, userSig: 'sig', platform: 'Linux' })
  t.same(server.frames[1], { op: 'sync', rid: server.frames[1].rid, sh, after: 0, limit: 100 }, 'the shard login listed, from 0')
  t.same(log, ['state:connecting', 'message:k1', 'state:online'])
  await client.connect()
  t.equal(server.sockets.length, 1, 'connect() when online is a no-op')
})

t.test('catch-up replays the inbox in order over several pages', async (t) => {
  const { server, client, log } = setup(t, { syncPageSize: 2 })
  for (let i = 1; i <= 5; i++) server.commit(ME, msgEv(i), false)
  const sh = server.shardOf(ME, 'bob')
  const synced = next(client, 'synced')
  await client.connect()
  t.same(await synced, { cursor: { [sh]: 5 } })
  t.same(messages(log), ['message:k1', 'message:k2', 'message:k3', 'message:k4', 'message:k5'])
  t.same(syncs(server).map((f) => [f.sh, f.after]), [[sh, 0], [sh, 2], [sh, 4]])
  t.ok(log.indexOf('message:k5') < log.indexOf('state:online'), 'caught up before online')
})

t.test('a live gap triggers a sync; messages surface once, in order', async (t) => {
  const { server, client, log } = setup(t)
  const sh = server.commit(ME, msgEv(1), false).sh
  await client.connect()
  const fourth = next(client, 'message', (m) => m.message.msgKey === 'k4')
  server.commit(ME, msgEv(2))
  server.commit(ME, msgEv(3), false)
  server.commit(ME, msgEv(4))
  await fourth
  t.same(messages(log), ['message:k1', 'message:k2', 'message:k3', 'message:k4'])
  t.same(client.cursor, { [sh]: 4 })
  t.same(syncs(server).map((f) => f.after), [0, 2], 'one catch-up, one gap sync from the cursor')
})

t.test('resent events and online-only messages', async (t) => {
  const { server, client, log } = setup(t)
  server.commit(ME, msgEv(1), false)
  await client.connect()
  const e2 = server.commit(ME, msgEv(2))
  server.pushTo(ME, { op: 'ev', ev: e2 })
  const flash = next(client, 'message', (m) => m.onlineOnly)
  server.pushTo(ME, { op: 'ev', ev: msgEv(0, { key: 'flash' }) })
  t.match(await flash, { inboxSeq: 0, onlineOnly: true, message: { msgKey: 'flash' } })
  t.same(messages(log), ['message:k1', 'message:k2', 'message:flash'])
})

t.test('send: resolves with the stored message; its echo is not a new message', async (t) => {
  const { server, client, log } = setup(t)
  await client.connect()
  const sent = await client.send('bob', [text('hi')], { cloudCustomData: 'cd' })
  t.match(sent, { seq: 1, sh: server.shardOf(ME, 'bob'), inboxSeq: 1, message: { from: ME, to: 'bob', body: [text('hi')], seq: 1, flags: 0, cloudCustomData: 'cd' } })
  t.equal(sent.message.msgKey, sent.msgKey)
  t.equal(sent.message.time, sent.msgTime)
  const f = sends(server)[0]
  t.ok(Number.isInteger(f.random) && f.random! >= 0 && f.random! <= 0xffffffff, 'random u32 assigned')
  t.equal(`${f.msgSeq}_${f.random}_${sent.msgTime}`, sent.msgKey)
  // A message this user sent from another device does surface.
  const other = next(client, 'message')
  server.commit(ME, msgEv(2, { from: ME, to: 'bob', random: 999, key: 'other-device' }))
  t.match(await other, { peer: 'bob', message: { from: ME, msgKey: 'other-device' } })
  t.same(messages(log), ['message:other-device'])
  t.same(client.cursor, { [server.shardOf(ME, 'bob')]: 2 })
})

t.test('a send cut off by a drop is resent as the same frame and confirmed once', async (t) => {
  const { server, client, log } = setup(t)
  await client.connect()
  server.dropAfterNextSend = true
  const offline = next(client, 'state', (s) => s.state === 'offline')
  const online = next(client, 'state', (s) => s.state === 'online')
  const p = client.sendText('bob', 'are you there?')
  await offline
  await online
  const sent = await p
  const [first, second] = sends(server)
  t.ok(second, 'resent after the reconnect')
  t.equal(second.random, first.random, 'same random: the server dedupes')
  t.equal(second.msgSeq, first.msgSeq)
  t.equal(second.rid, first.rid, 'the very same frame')
  t.equal(server.inbox('bob').length, 1, 'stored once')
  t.equal(sent.msgKey, (server.inbox(ME)[0] as ReturnType<typeof msgEv>).msg.msgKey)
  t.same(messages(log), [], 'the echo (caught up by sync) is not a new message')
  t.equal(server.sockets.length, 2)
})

t.test('a send whose ack is lost but whose echo arrived is sent once more, and resolves from that answer', async (t) => {
  const { server, client, log } = setup(t, { requestTimeoutMs: 40 })
  await client.connect()
  server.muteSendAcks = true
  const firstFrame = server.nextFrame('send')
  const sending = client.sendText('bob', 'ack lost')
  const first = await firstFrame
  server.muteSendAcks = false
  const sent = await sending
  const resent = sends(server)
  t.equal(resent.length, 2, 'sent once more after the deadline')
  t.match(resent[1], { random: (first as { random: number }).random, msgSeq: (first as { msgSeq: number }).msgSeq }, 'with the same random and msgSeq')
  const echo = server.inbox(ME)[0] as ReturnType<typeof msgEv>
  t.equal(sent.msgKey, echo.msg.msgKey, 'answered from the stored copy')
  t.equal(sent.seq, echo.msg.seq)
  t.equal(server.inbox('bob').length, 1, 'stored once')
  t.same(messages(log), [], 'the echo is not a new message')
})

t.test('a send that fails after its echo, and again when sent once more, rejects', async (t) => {
  // The echo proves only this user's copy; the receiver's may be missing (see ParleyClient.send).
  const { server, client } = setup(t, { requestTimeoutMs: 40 })
  await client.connect()
  server.muteSendAcks = true
  await t.rejects(client.sendText('bob', 'never confirmed'), { code: ClientErrorCodes.REQUEST_TIMEOUT })
  t.equal(server.frames.filter((f) => f.op === 'send').length, 2, 'one resend, no more')
})

t.test('a send that fails with a retryable code before any echo is sent once more and completes', async (t) => {
  // The receiver sequenced and stored it; the sender's own step failed, so no echo came.
  const { server, client, log } = setup(t)
  await client.connect()
  server.failSenderStep = 1
  const sent = await client.sendText('bob', 'half stored')
  const [first, second] = sends(server)
  t.ok(second, 'sent once more')
  t.match(second, { random: first!.random, msgSeq: first!.msgSeq }, 'with the same random and msgSeq')
  t.equal(server.inbox('bob').length, 1, 'the receiver holds it once')
  t.equal(server.inbox(ME).length, 1, 'the sender\'s copy is now stored')
  t.equal(sent.msgKey, (server.inbox('bob')[0] as ReturnType<typeof msgEv>).msg.msgKey, 'resolved with the receiver\'s key')
  t.same(messages(log), [], 'the echo is not a new message')
})

t.test('a retryable failure is resent once only; a refusal is not resent', async (t) => {
  const { server, client } = setup(t)
  await client.connect()
  server.failSenderStep = 2
  await t.rejects(client.sendText('bob', 'twice failed'), { code: 20005 }, 'a retryable failure twice rejects')
  t.equal(sends(server).length, 2, 'one resend, no more')
  server.refuseNextSend = 20003
  await t.rejects(client.sendText('bob', 'to no one'), { code: 20003, retryable: false }, 'a refused send rejects')
  t.equal(sends(server).length, 3, 'and is not sent again')
})

t.test('another device of the same user sees this device\'s send as a message', async (t) => {
  const { server, client } = setup(t)
  const other = new ParleyClient({ url: 'ws://fake/ws', sdkAppId: 1400000001, userId: ME, userSig: 'sig', WebSocketImpl: server.WebSocketImpl })
  t.teardown(() => other.close())
  await client.connect()
  await other.connect()
  const seen = next(other, 'message')
  const mine: string[] = []
  client.on('message', (m) => mine.push(m.message.msgKey))
  const sent = await client.sendText('bob', 'from device A')
  t.match(await seen, { peer: 'bob', message: { msgKey: sent.msgKey, from: ME } })
  t.same(mine, [])
})

t.test('requests made while offline wait for the next login', async (t) => {
  const { server, client } = setup(t)
  await client.connect()
  const offline = next(client, 'state', (s) => s.state === 'offline')
  server.sockets[0].serverClose(4101, 'shutting down')
  await offline
  const r = await client.conversations()
  t.same(r, { conversations: [], totalUnread: 0 })
  t.equal(server.sockets.length, 2)
})

t.test('transient closes reconnect with backoff; refused connections keep retrying', async (t) => {
  const { server, client } = setup(t)
  await client.connect()
  server.refuse = true
  const retried = server.nextFrame('login', server.frames.length)
  server.sockets[0].serverClose(1006)
  await new Promise<void>((resolve) => {
    const off = client.on('state', () => {
      if (server.sockets.length >= 3) {
        off()
        resolve()
      }
    })
  })
  server.refuse = false
  await retried
  await next(client, 'state', (s) => s.state === 'online')
  t.ok(server.sockets.length >= 4)
})

t.test('kicked (4001): terminal, no reconnect, pending requests fail', async (t) => {
  const { server, client, log } = setup(t)
  await client.connect()
  server.holdSends = true
  const pending = client.sendText('bob', 'x')
  await server.nextFrame('send')
  const kicked = next(client, 'kicked')
  server.sockets[0].push({ op: 'bye', code: 4001, reason: 'kicked by a newer login on Linux' })
  server.sockets[0].serverClose(4001, 'kicked by a newer login on Linux')
  t.same(await kicked, { code: 4001, reason: 'kicked by a newer login on Linux' })
  await t.rejects(pending, { code: ClientErrorCodes.SESSION_ENDED, closeCode: 4001 })
  t.equal(client.state, 'kicked')
  t.same(log, ['state:connecting', 'state:online', 'state:kicked', 'kicked:4001'])
  await t.rejects(client.conversations(), { code: ClientErrorCodes.NOT_CONNECTED })
})

t.test('the bye frame names the close even if the socket then drops abnormally', async (t) => {
  const { server, client } = setup(t)
  await client.connect()
  const kicked = next(client, 'kicked')
  server.sockets[0].push({ op: 'bye', code: 4002, reason: 'kicked by the app backend' })
  server.sockets[0].serverClose(1006)
  t.same(await kicked, { code: 4002, reason: 'kicked by the app backend' })
})

t.test('login refused (4003): connect rejects with the server code', async (t) => {
  const { server, client } = setup(t)
  server.loginErrors = [70001]
  const kicked = next(client, 'kicked')
  await t.rejects(client.connect(), { code: 70001, retryable: false })
  t.match(await kicked, { code: 4003, error: { code: 70001 } })
  t.equal(client.state, 'kicked')
})

t.test('login refused with a retryable code reconnects', async (t) => {
  const { server, client } = setup(t)
  server.loginErrors = [9006]
  await client.connect()
  t.equal(server.sockets.length, 2)
})

t.test('getUserSig is called per attempt; after a kick, connect() starts a new session', async (t) => {
  const sigs: string[] = []
  const { server, client } = setup(t, { userSig: undefined, getUserSig: async () => { sigs.push('s'); return `sig${sigs.length}` } })
  server.loginErrors = [70001]
  await t.rejects(client.connect(), { code: 70001 })
  await client.connect()
  t.same(server.frames.filter((f) => f.op === 'login').map((f) => (f as { userSig: string }).userSig), ['sig1', 'sig2'])
})

t.test('requests time out with 9501', async (t) => {
  const { server, client } = setup(t, { requestTimeoutMs: 30 })
  await client.connect()
  server.holdSends = true
  await t.rejects(client.sendText('bob', 'x'), { code: ClientErrorCodes.REQUEST_TIMEOUT, retryable: true })
})

t.test('requests before connect() or after close() fail; close() fails pending ones', async (t) => {
  const { server, client, log } = setup(t)
  await t.rejects(client.history('bob'), { code: ClientErrorCodes.NOT_CONNECTED })
  await client.connect()
  server.holdSends = true
  const pending = client.sendText('bob', 'x')
  await server.nextFrame('send')
  client.close()
  await t.rejects(pending, { code: ClientErrorCodes.CLIENT_CLOSED })
  t.equal(client.state, 'closed')
  t.equal(server.sockets[0].clientClose, 1000)
  t.same(log, ['state:connecting', 'state:online', 'state:closed'])
})

t.test('frames above maxFrameBytes fail locally and are never sent', async (t) => {
  const { server, client } = setup(t, { maxFrameBytes: 1024 })
  await client.connect()
  await t.rejects(client.sendText('bob', 'x'.repeat(2000)), { code: 9003 })
  t.equal(sends(server).length, 0)
})

t.test('logout: the server answers and closes with 4004; the client ends quietly', async (t) => {
  const { server, client, log } = setup(t)
  await client.connect()
  await client.logout()
  t.equal(client.state, 'closed')
  t.ok(server.frames.some((f) => f.op === 'logout'))
  t.notOk(log.some((l) => l.startsWith('error')))
})

t.test('cursorStore: loaded on connect, saved as the cursor moves', async (t) => {
  const saved: unknown[] = []
  const server = new FakeServer()
  const sh = server.shardOf(ME, 'bob')
  const { client, log } = setup(t, { cursorStore: { load: async () => ({ v: 2, shards: { [sh]: 2 } }), save: (c) => { saved.push(c) } } }, { server })
  for (let i = 1; i <= 3; i++) server.commit(ME, msgEv(i), false)
  await client.connect()
  t.match(server.frames[1], { op: 'sync', sh, after: 2 })
  t.same(messages(log), ['message:k3'])
  t.same(saved, [{ v: 2, shards: { [sh]: 3 } }])
})

t.test('cursorStore failures: load fails connect(); save failures are reported, delivery goes on', async (t) => {
  const broken = setup(t, { cursorStore: { load: () => { throw new Error('disk gone') }, save: () => {} } })
  await t.rejects(broken.client.connect(), { code: ClientErrorCodes.CURSOR_STORE_FAILED })
  t.equal(broken.client.state, 'closed')
  const bad = setup(t, { cursorStore: { load: () => ({ v: 2, shards: { x: 1 } }), save: () => {} } })
  await t.rejects(bad.client.connect(), { code: ClientErrorCodes.CURSOR_STORE_FAILED }, 'a stored value that is not a cursor')
  const { server, client, log } = setup(t, { cursorStore: { load: () => undefined, save: async () => { throw new Error('quota') } } })
  await client.connect()
  const failed = next(client, 'error', (e) => e.code === ClientErrorCodes.CURSOR_STORE_FAILED)
  server.commit(ME, msgEv(1))
  await failed
  t.ok(log.includes('message:k1'))
  t.same(client.cursor, { [server.shardOf(ME, 'bob')]: 1 })
})

t.test('a cursor above the server stream head restarts at 0 (reported)', async (t) => {
  const server = new FakeServer()
  const sh = server.commit(ME, msgEv(1), false).sh
  const { client, log } = setup(t, { cursorStore: { load: () => ({ v: 2, shards: { [sh]: 50 } }), save: () => {} } }, { server })
  await client.connect()
  t.same(syncs(server).map((f) => [f.sh, f.after]), [[sh, 50], [sh, 0]], 'the server answered upTo 1 below 50: replayed from 0')
  t.same(log, ['state:connecting', `error:${ClientErrorCodes.CURSOR_RESET}`, 'message:k1', 'state:online'])
  t.same(client.cursor, { [sh]: 1 })
})

t.test('pings at the interval; a missing pong reconnects', async (t) => {
  const { server, client } = setup(t, { pingIntervalMs: 10 })
  await client.connect()
  await server.nextFrame('ping')
  server.mutePings = true
  await next(client, 'state', (s) => s.state === 'offline')
  server.mutePings = false
  await next(client, 'state', (s) => s.state === 'online')
  t.ok(server.sockets[0].clientClose !== undefined, 'the silent socket was closed by the client')
})

t.test('JSON text frames work end to end', async (t) => {
  const { server, client, log } = setup(t, { encoding: 'json' })
  await client.connect()
  const m = next(client, 'message')
  server.commit(ME, msgEv(1))
  await m
  const sent = await client.sendText('bob', 'json')
  t.ok(server.sockets[0].json)
  t.equal(sent.seq, 2)
  t.same(messages(log), ['message:k1'])
})

t.test('other inbox events surface as their own events', async (t) => {
  const { server, client } = setup(t)
  await client.connect()
  const got: string[] = []
  client.on('recall', (e) => got.push(`recall:${e.msgKey}`))
  client.on('read', (e) => got.push(`read:${e.readSeq}`))
  client.on('peerRead', (e) => got.push(`peerRead:${e.upToTime}`))
  const done = next(client, 'conversation')
  client.on('conversation', (e) => got.push(`conv:${e.pinned}`))
  server.commit(ME, { type: 'recall', conv: 'c2c:bob', msgKey: 'k', convSeq: 1 })
  server.commit(ME, { type: 'read', conv: 'c2c:bob', readSeq: 4 })
  server.commit(ME, { type: 'peerRead', conv: 'c2c:bob', upToTime: 77 })
  server.commit(ME, { type: 'conv', conv: 'c2c:bob', pinned: true })
  await done
  t.same(got, ['recall:k', 'read:4', 'peerRead:77', 'conv:true'])
})
