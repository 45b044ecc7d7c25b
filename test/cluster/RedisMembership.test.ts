/**
 * RedisMembership against a real Redis: the Membership conformance suite (with joins, leaves
 * and crashes), then Redis-specific behaviour: the key layout, start-up against an
 * unreachable Redis, re-registration after the entry is lost, and a Redis restart.
 */
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import type { Membership } from '../../cluster/Membership.js'
import { RedisMembership, membershipKeys } from '../../cluster/RedisMembership.js'
import { RecordingLog } from '../actors/fixtures/helpers.js'
import { deleteKeys, ensureRedis, freshPrefix, startPrivateRedis } from '../helpers/redis.js'
import { membershipConformance, record, until } from './fixtures/membershipSuite.js'

type Opts = ConstructorParameters<typeof RedisMembership>[0]

/** Members created here are stopped, and the prefix's keys deleted, at the test's teardown. */
function members(t: Test, url: string, prefix: string) {
  const created: RedisMembership[] = []
  t.teardown(async () => {
    await Promise.all(created.map((m) => m.stop()))
    await deleteKeys(url, prefix).catch(() => undefined)
  })
  return (self: string, extra: Partial<Opts> = {}) => {
    const m = new RedisMembership({ redis: url, prefix, self, log: new RecordingLog(), heartbeatMs: 200, ttlMs: 1_000, ...extra })
    created.push(m)
    return m
  }
}

membershipConformance(
  t,
  'RedisMembership',
  async (t) => {
    const { url, prefix } = await ensureRedis()
    const make = members(t, url, prefix)
    return {
      create: (self, _all, timing) => make(self, timing ?? {}),
      crash: (m: Membership) => (m as RedisMembership).crash(),
    }
  },
  { dynamic: true },
)

t.test('RedisMembership: key layout — a sorted set of expiries on the Redis clock and a version counter', async (t) => {
  const { url, prefix } = await ensureRedis()
  const m = members(t, url, prefix)('k#1', { ttlMs: 3_000 })
  await m.start()
  const redis = new Redis(url)
  t.teardown(() => redis.disconnect())
  const keys = membershipKeys(prefix)
  const [sec] = await redis.time()
  t.equal(await redis.zcard(keys.members), 1)
  const expiry = Number(await redis.zscore(keys.members, 'k#1'))
  const nowMs = Number(sec) * 1000
  t.ok(expiry > nowMs && expiry <= nowMs + 3_000 + 1_000, 'score = Redis time of the last heartbeat + ttl')
  t.equal(Number(await redis.get(keys.version)), m.snapshot().version, 'the counter is the snapshot version')
  await m.stop()
  t.equal(await redis.zcard(keys.members), 0, 'stop deregistered at once')
})

t.test('RedisMembership: a crashed member is removed when its entry expires, not at the next heartbeat', async (t) => {
  const { url, prefix } = await ensureRedis()
  const make = members(t, url, prefix)
  // Heartbeats far apart: waiting for the next one after the expiry would add up to 2.5 s.
  const timing = { heartbeatMs: 2_500, ttlMs: 3_000 }
  const a = make('a#1', timing)
  const b = make('b#1', timing)
  await a.start()
  await b.start()
  await until(a, (s) => s.nodes.length === 2)
  const t0 = performance.now()
  b.crash()
  await until(a, (s) => s.nodes.length === 1)
  const elapsed = performance.now() - t0
  // The crash came at most one heartbeat after b's last one, so its entry expired within ttl.
  t.ok(elapsed <= timing.ttlMs + 400, `dropped ${elapsed.toFixed(0)} ms after the crash (ttl ${timing.ttlMs} + 400 ms of round trips and timers)`)
  t.same(a.snapshot().nodes, ['a#1'])
})

t.test('RedisMembership: options are validated; a client factory may supply the connections', async (t) => {
  const { url, prefix } = await ensureRedis()
  const log = new RecordingLog()
  t.throws(() => new RedisMembership({ redis: url, prefix, self: 'x', log, heartbeatMs: 1_000, ttlMs: 1_000 }), {
    name: 'RangeError',
    message: /ttlMs \(1000\) must be greater than heartbeatMs \(1000\)/,
  })
  t.throws(() => new RedisMembership({ redis: url, prefix, self: 'x', log, heartbeatMs: 0 }), RangeError)
  const roles: string[] = []
  const m = new RedisMembership({
    redis: (role) => {
      roles.push(role)
      return new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 })
    },
    prefix,
    self: 'f#1',
    log,
  })
  t.teardown(() => deleteKeys(url, prefix))
  await m.start()
  t.same(roles.sort(), ['command', 'subscriber'])
  t.same(m.snapshot().nodes, ['f#1'])
  await m.stop()
})

t.test('RedisMembership: start() rejects with a clear error when Redis cannot be reached', async (t) => {
  // A private server, stopped: nothing listens on its port any more.
  const dead = await startPrivateRedis()
  await dead.stop()
  const log = new RecordingLog()
  const m = new RedisMembership({ redis: dead.url, prefix: freshPrefix(), self: 'lonely#1', log, connectTimeoutMs: 300 })
  const t0 = performance.now()
  await t.rejects(m.start(), {
    message: new RegExp(`^membership: cannot reach Redis at redis://127\\.0\\.0\\.1:${dead.port}.*after 300 ms.*ECONNREFUSED`),
  })
  t.ok(performance.now() - t0 < 3_000, 'bounded by connectTimeoutMs')
  t.equal(m.snapshot().nodes.length, 0)
  await m.stop()
})

t.test('RedisMembership: a member whose entry was lost re-registers at its next heartbeat', async (t) => {
  const { url, prefix } = await ensureRedis()
  const make = members(t, url, prefix)
  const bLog = new RecordingLog()
  const a = make('a#1', { heartbeatMs: 100, ttlMs: 5_000 })
  const b = make('b#1', { heartbeatMs: 100, ttlMs: 5_000, log: bLog })
  await a.start()
  await b.start()
  const before = await until(a, (s) => s.nodes.length === 2)
  const redis = new Redis(url)
  t.teardown(() => redis.disconnect())
  // Lost without a version change or an announcement: only b's own heartbeat can notice.
  await redis.zrem(membershipKeys(prefix).members, 'b#1')
  const back = await until(a, (s) => s.version > before.version)
  t.same(back.nodes, ['a#1', 'b#1'], 'the re-registration is a change everyone sees')
  t.ok(await redis.zscore(membershipKeys(prefix).members, 'b#1'), 'b is registered again')
  t.ok(bLog.lines.some((l) => l.level === 'warn' && /re-registered/.test(l.msg)), 'and b logged it')
})

t.test('RedisMembership: after a Redis restart members re-register and converge', async (t) => {
  const server = await startPrivateRedis()
  t.teardown(() => server.stop())
  const prefix = freshPrefix()
  const make = members(t, server.url, prefix)
  const logs = ['a#1', 'b#1', 'c#1'].map(() => new RecordingLog())
  const ms = ['a#1', 'b#1', 'c#1'].map((id, i) => make(id, { heartbeatMs: 100, ttlMs: 1_000, log: logs[i]! }))
  const histories = ms.map(record)
  for (const m of ms) await m.start()
  await Promise.all(ms.map((m) => until(m, (s) => s.nodes.length === 3)))
  const before = Math.max(...ms.map((m) => m.snapshot().version))

  await server.restart()

  // Redis came back empty: each member re-registers (a change each), so versions climb past `before`.
  await Promise.all(ms.map((m) => until(m, (s) => s.nodes.length === 3 && s.version > before)))
  const top = Math.max(...ms.map((m) => m.snapshot().version))
  await Promise.all(ms.map((m) => until(m, (s) => s.version >= top)))
  for (const m of ms) t.same(m.snapshot(), ms[0]!.snapshot(), `${m.self} converged`)
  t.same(ms[0]!.snapshot().nodes, ['a#1', 'b#1', 'c#1'])
  for (const h of histories) {
    t.ok(h.every((x, i) => i === 0 || x.version > h[i - 1]!.version), 'no member saw its version go down')
  }
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  t.equal(await redis.zcard(membershipKeys(prefix).members), 3, 'all three registered in the new Redis')
  await Promise.all(logs.map((l) => l.waitFor((x) => /redis connection lost/.test(x.msg))))
  t.pass('each member logged the outage')
})
