/** The test Redis helper: a Redis that answers, fresh prefixes, and private servers that restart. */
import { Redis } from 'ioredis'
import t from 'tap'
import { ensureRedis, pingRedis, startPrivateRedis } from '../helpers/redis.js'

t.test('ensureRedis answers PING and gives a fresh prefix per call', async (t) => {
  const one = await ensureRedis()
  const two = await ensureRedis()
  t.equal(one.url, two.url, 'one Redis per process')
  t.not(one.prefix, two.prefix)
  t.match(one.prefix, /^parley-test:\d+:[0-9a-f]{8}$/)
  t.equal(await pingRedis(one.url), undefined)
})

t.test('a private redis-server keeps its port across a restart and loses its data', async (t) => {
  const server = await startPrivateRedis()
  t.teardown(() => server.stop())
  const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 })
  client.on('error', () => undefined)
  t.teardown(() => client.disconnect())
  await client.set('k', 'v')
  await server.restart()
  t.equal(await client.get('k'), null, 'nothing kept (no persistence)')
  t.equal(server.url, `redis://127.0.0.1:${server.port}`)
  await server.stop()
  t.match(await pingRedis(server.url), /ECONNREFUSED/, 'stopped means nothing listens')
  await t.rejects(server.restart(), /stopped/)
})
