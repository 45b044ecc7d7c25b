/**
 * RedisNodeBus against a real Redis: the NodeBus conformance suite, then Redis-specific
 * behaviour: the channel layout, garbage on a channel, start-up against an unreachable
 * Redis, and a Redis restart (messages sent meanwhile are lost; delivery resumes).
 */
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import type { NodeBus } from '../../cluster/NodeBus.js'
import { RedisNodeBus, busChannel } from '../../cluster/RedisNodeBus.js'
import { encodeBatch } from '../../actors/runtime/envelope.js'
import { RecordingLog } from '../actors/fixtures/helpers.js'
import { ensureRedis, freshPrefix, startPrivateRedis } from '../helpers/redis.js'
import { Inbox, nodeBusConformance, tell } from './fixtures/nodeBusSuite.js'

function buses(t: Test, url: string, prefix: string) {
  const created: RedisNodeBus[] = []
  t.teardown(async () => {
    await Promise.all(created.map((b) => b.stop()))
  })
  return (node: string, thread: number, log = new RecordingLog()) => {
    const bus = new RedisNodeBus({ redis: url, prefix, node, thread, log, reconnectMaxMs: 100 })
    created.push(bus)
    return bus
  }
}

nodeBusConformance(t, 'RedisNodeBus', async (t) => {
  const { url, prefix } = await ensureRedis()
  const make = buses(t, url, prefix)
  return { create: (node, thread) => make(node, thread) }
})

t.test('RedisNodeBus: one channel per node thread; one PUBLISH per batch', async (t) => {
  const { url, prefix } = await ensureRedis()
  const make = buses(t, url, prefix)
  const a = make('A#1', 0)
  await a.start()
  const spy = new Redis(url)
  t.teardown(() => spy.disconnect())
  const channel = busChannel(prefix, 'B#1', 2)
  t.equal(channel, `${prefix}:bus:B#1:2`)
  const payloads: Buffer[] = []
  const got = new Promise<void>((resolve) => spy.on('messageBuffer', (_c: Buffer, m: Buffer) => (payloads.push(m), resolve())))
  await spy.subscribe(channel)
  for (let i = 0; i < 5; i++) a.send('B#1', 2, tell('B#1', 2, i))
  await a.drain()
  await got
  t.equal(payloads.length, 1, 'five messages, one publish')
  t.same(Buffer.from(payloads[0]!), Buffer.from(encodeBatch([0, 1, 2, 3, 4].map((i) => tell('B#1', 2, i)))), 'a msgpack batch')
  t.match(a.stats(), { sent: 5, batchesSent: 1, dropped: 0 })
})

t.test('RedisNodeBus: garbage on the channel is logged and dropped; delivery goes on', async (t) => {
  const { url, prefix } = await ensureRedis()
  const make = buses(t, url, prefix)
  const log = new RecordingLog()
  const [a, b] = [make('A#1', 0), make('B#1', 0, log)] as [NodeBus, NodeBus]
  await Promise.all([a.start(), b.start()])
  const inbox = new Inbox(b)
  const raw = new Redis(url)
  t.teardown(() => raw.disconnect())
  const channel = busChannel(prefix, 'B#1', 0)
  await raw.publish(channel, Buffer.from([0xc1]))
  await raw.publish(channel, Buffer.from(encodeBatch([{ t: 'tell', to: 'user/1/u', msg: { kind: 'not a relay' } }])))
  a.send('B#1', 0, tell('B#1', 0, 7))
  await inbox.count(1)
  t.same(inbox.numbers(), [7])
  t.match(b.stats(), { dropped: 2, received: 1 })
  t.ok(log.lines.some((l) => /undecodable batch/.test(l.msg)))
  t.ok(log.lines.some((l) => /not node messages/.test(l.msg)))
})

t.test('RedisNodeBus: start() rejects with a clear error when Redis cannot be reached', async (t) => {
  const dead = await startPrivateRedis()
  await dead.stop()
  const bus = new RedisNodeBus({ redis: dead.url, prefix: freshPrefix(), node: 'A#1', thread: 0, log: new RecordingLog(), connectTimeoutMs: 300 })
  await t.rejects(bus.start(), { message: /^node bus: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+.*after 300 ms.*ECONNREFUSED/ })
  bus.send('B#1', 0, tell('B#1', 0, 1))
  t.match(bus.stats(), { sent: 0, dropped: 1 }, 'a bus that failed to start drops')
  await bus.stop()
})

t.test('RedisNodeBus: across a Redis restart messages may be lost, never duplicated, and delivery resumes', async (t) => {
  const server = await startPrivateRedis()
  t.teardown(() => server.stop())
  const make = buses(t, server.url, freshPrefix())
  const logA = new RecordingLog()
  const logB = new RecordingLog()
  const [a, b] = [make('A#1', 0, logA), make('B#1', 0, logB)] as [NodeBus, NodeBus]
  await Promise.all([a.start(), b.start()])
  const inbox = new Inbox(b)
  let i = 0
  a.send('B#1', 0, tell('B#1', 0, i++))
  await inbox.count(1)

  await server.restart()
  // Sent while down or reconnecting: refused at once, counted as dropped, nothing thrown.
  a.send('B#1', 0, tell('B#1', 0, i++))
  await a.drain()
  t.ok(a.stats().dropped >= 1, 'lost while Redis was down')

  // The connections come back by themselves: A's publisher, B's subscriber (which then
  // resubscribes). Each probe waits for its publish's answer, and a turn of the event loop:
  // probes are lost until B's subscription is back.
  const restored = (l: RecordingLog, role: string) => l.waitFor((x) => /connection restored/.test(x.msg) && x.fields['role'] === role)
  await Promise.all([restored(logA, 'publisher'), restored(logB, 'subscriber')])
  for (;;) {
    const lostBefore = a.stats().dropped
    a.send('B#1', 0, tell('B#1', 0, i++))
    await a.drain()
    if (a.stats().dropped === lostBefore) break
    await new Promise((r) => setImmediate(r))
  }
  a.send('B#1', 0, tell('B#1', 0, i))
  await inbox.count(3)
  const got = inbox.numbers()
  t.equal(got[0], 0)
  t.same(got.slice(-2), [i - 1, i], 'delivery resumed, in order')
  t.equal(new Set(got).size, got.length, 'no duplicates')
  t.ok(got.every((x, k) => k === 0 || x > got[k - 1]!), 'in send order, with gaps')
})
