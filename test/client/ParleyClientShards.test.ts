/**
 * The client driver on the one-to-one wire of one event stream per (user, conversation shard)
 * (src/client/wire.ts), against the fake server: catch-up of several shards at login, shards
 * first seen live, per-shard gaps and retries, the version-2 cursor. Tests wait on client and
 * server events; the one timed wait is the client's own gap retry (1 s).
 */
import t from 'tap'
import { ClientErrorCodes } from '../../src/client/index.js'
import type { StoredShardCursor } from '../../src/client/types.js'
import { messages, next, setup, syncs } from './fixtures/clientSetup.js'
import { ME, msgEv } from './fixtures/events.js'
import { FakeServer } from './fixtures/fakeServer.js'

/** An app's cursor store in memory: what it holds, and every record saved. */
function memoryStore(initial?: StoredShardCursor | number) {
  const store = {
    held: initial,
    saves: [] as StoredShardCursor[],
    load: async () => store.held,
    save: (c: StoredShardCursor) => {
      store.saves.push(c)
      store.held = c
    },
  }
  return store
}

/** Stores `n` messages from `peer` in ME's stream (keys `<key>1`, `<key>2`, …), unpushed. */
function seed(server: FakeServer, peer: string, key: string, from: number, to: number): void {
  for (let i = from; i <= to; i++) server.commit(ME, msgEv(i, { from: peer, key: `${key}${i}` }), false)
}

t.test('several shards catch up at login concurrently, one sync per shard at a time', async (t) => {
  const { server, client, log } = setup(t, { syncPageSize: 2 })
  const peers = [0, 1, 2].map((sh) => server.peerIn(ME, sh))
  peers.forEach((p, sh) => seed(server, p, `s${sh}.`, 1, 3))
  let synced = 0
  client.on('synced', () => synced++)
  server.holdSync = () => true
  const connected = client.connect()
  await server.until(() => server.syncsInFlight === 3)
  t.same(syncs(server).map((f) => [f.sh, f.after]).sort(), [[0, 0], [1, 0], [2, 0]], 'every listed shard asked at once, from 0')
  // A live event of shard 0 while its sync is running is held, and asks for no second sync.
  server.commit(ME, msgEv(4, { from: peers[0], key: 's0.4' }))
  server.holdSync = () => false
  server.releaseSyncs()
  await connected
  t.equal(server.maxSyncsInFlight, 3, 'the three shards synced concurrently')
  t.same([0, 1, 2].map((sh) => server.maxSyncsInFlightOf.get(sh)), [1, 1, 1], 'never two syncs of one shard at once')
  for (const sh of [0, 1, 2]) {
    const want = sh === 0 ? ['s0.1', 's0.2', 's0.3', 's0.4'] : [`s${sh}.1`, `s${sh}.2`, `s${sh}.3`]
    t.same(messages(log).filter((m) => m.startsWith(`message:s${sh}.`)), want.map((k) => `message:${k}`), `shard ${sh} in order, once`)
  }
  t.equal(messages(log).length, 10)
  t.same(client.cursor, { 0: 4, 1: 3, 2: 3 })
  t.equal(synced, 1, 'one synced event for the login\'s catch-up')
  t.ok(log.indexOf('message:s2.3') < log.indexOf('state:online'), 'caught up before online')
})

t.test('shard sync runs are bounded: at most 16 in flight at once', async (t) => {
  const { server, client, log } = setup(t, {}, { shards: 64 })
  for (let sh = 0; sh < 20; sh++) seed(server, server.peerIn(ME, sh), `s${sh}.`, 1, 1)
  server.holdSync = () => true
  const connected = client.connect()
  await server.until(() => server.syncsInFlight === 16)
  // Frames arrive in the order written: once this answer is in, every sync written before it is too.
  await client.conversations()
  t.equal(syncs(server).length, 16, 'the other 4 wait for a slot')
  server.holdSync = () => false
  server.releaseSyncs()
  await connected
  t.equal(syncs(server).length, 20)
  t.equal(server.maxSyncsInFlight, 16)
  t.equal(messages(log).length, 20)
})

t.test('a shard first seen in a live event after login is synced from 0 before its events apply', async (t) => {
  const { server, client, log } = setup(t)
  const home = server.commit(ME, msgEv(1), false).sh
  const peer = server.peerIn(ME, (home + 1) % server.V)
  const fresh = server.shardOf(ME, peer)
  await client.connect()
  t.same(syncs(server).map((f) => f.sh), [home], 'login listed only the shard with a stream')
  const synced = next(client, 'synced')
  server.commit(ME, msgEv(1, { from: peer, key: 'c1' }), false)
  server.commit(ME, msgEv(2, { from: peer, key: 'c2' }))
  t.same(await synced, { cursor: { [home]: 1, [fresh]: 2 } }, 'a re-sync after login reports the whole cursor')
  t.same(messages(log), ['message:k1', 'message:c1', 'message:c2'])
  t.same(syncs(server).filter((f) => f.sh === fresh).map((f) => f.after), [0], 'one sync of the new shard, from 0')
})

t.test('a gap in one shard holds back no other, and is retried for that shard alone', async (t) => {
  const { server, client, log } = setup(t)
  const a = server.peerIn(ME, 0)
  const b = server.peerIn(ME, 1)
  seed(server, a, 'a', 1, 1)
  seed(server, b, 'b', 1, 1)
  await client.connect()
  const atLogin = syncs(server).length
  const gapSync = server.nextFrame('sync')
  // Seq 3 of shard 0 is pushed before the server holds seq 2 (and 3): the gap sync finds nothing.
  server.pushTo(ME, { op: 'ev', ev: { ...msgEv(3, { from: a, key: 'a3' }), sh: 0 } })
  t.match(await gapSync, { sh: 0, after: 1 })
  const b2 = next(client, 'message', (m) => m.message.msgKey === 'b2')
  server.commit(ME, msgEv(2, { from: b, key: 'b2' }))
  await b2
  t.notOk(log.includes('message:a3'), 'shard 0 holds its event above the gap')
  const a3 = next(client, 'message', (m) => m.message.msgKey === 'a3')
  seed(server, a, 'a', 2, 3)
  await a3
  t.same(messages(log).slice(2), ['message:b2', 'message:a2', 'message:a3'])
  t.same(syncs(server).slice(atLogin).map((f) => [f.sh, f.after]), [[0, 1], [0, 1]], 'shard 0 re-synced from its cursor; shard 1 never')
  t.same(client.cursor, { 0: 3, 1: 2 })
})

t.test('after a reconnect every shard resumes from its own cursor', async (t) => {
  const { server, client, log } = setup(t)
  const a = server.peerIn(ME, 0)
  const b = server.peerIn(ME, 3)
  seed(server, a, 'a', 1, 2)
  seed(server, b, 'b', 1, 1)
  await client.connect()
  const atLogin = syncs(server).length
  const offline = next(client, 'state', (s) => s.state === 'offline')
  server.sockets[0].serverClose(1006)
  await offline
  seed(server, a, 'a', 3, 3)
  seed(server, b, 'b', 2, 3)
  const synced = next(client, 'synced')
  await next(client, 'state', (s) => s.state === 'online')
  t.same(await synced, { cursor: { 0: 3, 3: 3 } })
  t.same(syncs(server).slice(atLogin).map((f) => [f.sh, f.after]), [[0, 2], [3, 1]])
  t.same(messages(log).sort(), ['message:a1', 'message:a2', 'message:a3', 'message:b1', 'message:b2', 'message:b3'], 'each once')
})

t.test('the cursor is stored as version 2 and a restarted client resumes each shard from it', async (t) => {
  const server = new FakeServer()
  const a = server.peerIn(ME, 1)
  const b = server.peerIn(ME, 2)
  seed(server, a, 'a', 1, 2)
  seed(server, b, 'b', 1, 1)
  const store = memoryStore()
  const first = setup(t, { cursorStore: store }, { server })
  await first.client.connect()
  t.same(store.held, { v: 2, shards: { 1: 2, 2: 1 } })
  first.client.close()
  seed(server, a, 'a', 3, 3)
  seed(server, b, 'b', 2, 2)
  const before = syncs(server).length
  const second = setup(t, { cursorStore: store }, { server })
  await second.client.connect()
  t.same(syncs(server).slice(before).map((f) => [f.sh, f.after]), [[1, 2], [2, 1]], 'each shard from its stored seq')
  t.same(messages(second.log).sort(), ['message:a3', 'message:b2'], 'only what it missed')
  t.same(store.held, { v: 2, shards: { 1: 3, 2: 2 } })
})

t.test('a stored version-1 number is reported as CURSOR_RESET, replayed from 0 and replaced', async (t) => {
  const { server, client, log } = setup(t, { cursorStore: memoryStore(57) })
  const sh = server.commit(ME, msgEv(1), false).sh
  await client.connect()
  t.same(log, ['state:connecting', `error:${ClientErrorCodes.CURSOR_RESET}`, 'message:k1', 'state:online'])
  t.same(syncs(server).map((f) => [f.sh, f.after]), [[sh, 0]])
  const empty = memoryStore(12)
  const other = setup(t, { cursorStore: empty })
  await other.client.connect()
  t.same(empty.saves, [{ v: 2, shards: {} }], 'replaced even when the server holds nothing')
})

t.test('a cursor shard the server does not list restarts at 0 (CURSOR_RESET)', async (t) => {
  const server = new FakeServer()
  const sh = server.commit(ME, msgEv(1), false).sh
  const stale = (sh + 2) % server.V
  const store = memoryStore({ v: 2, shards: { [stale]: 5 } })
  const { client, log } = setup(t, { cursorStore: store }, { server })
  await client.connect()
  t.same(log, ['state:connecting', `error:${ClientErrorCodes.CURSOR_RESET}`, 'message:k1', 'state:online'])
  t.same(syncs(server).map((f) => [f.sh, f.after]).sort(), [[sh, 0], [stale, 0]].sort(), 'both synced from 0')
  t.same(client.cursor, { [sh]: 1 })
  t.same(store.held, { v: 2, shards: { [sh]: 1 } })
})

t.test('a login reply without shards (the single-inbox wire) ends the session, coded', async (t) => {
  const { server, client } = setup(t)
  server.legacyLogin = true
  await t.rejects(client.connect(), { code: ClientErrorCodes.BAD_SERVER_FRAME })
  t.equal(client.state, 'closed')
  t.equal(syncs(server).length, 0)
})
