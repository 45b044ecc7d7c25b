/**
 * A Redis restart mid-traffic (its own redis-server, SIGKILLed and started again empty on the
 * same port) under a three-node cluster: membership, node bus and connection registry come
 * back by themselves (nodes re-register, gateways re-register their sockets), asks lost in
 * the outage are answered by their timeout and retried by the senders, and afterwards every
 * acknowledged message reached every receiver device exactly once, in order.
 */
import t from 'tap'
import { startLocalCluster } from '../helpers/cluster.js'
import { startPrivateRedis } from '../helpers/redis.js'
import { testApp } from '../helpers/server.js'
import { ClientPool, type TestClient, uid, withDeadline } from '../helpers/sdkClients.js'
import { checkDelivery, startTraffic } from './traffic.js'

t.setTimeout(400_000)
const app = testApp({ multiLogin: 'unlimited' })
const rotated = (urls: readonly string[], first: number) => urls.map((_, i) => urls[(first + i) % urls.length])

t.test('a Redis restart mid-traffic loses no acknowledged message', async (t) => {
  const redis = await startPrivateRedis()
  const cluster = await startLocalCluster({ app, redisUrl: redis.url })
  const pool = new ClientPool(() => ({ wsUrl: cluster.wsUrls[0], app }))
  t.teardown(async () => {
    pool.closeAll()
    await cluster.close()
    await redis.stop()
  })
  const connect = (user: string, node: number) =>
    pool.connect(user, { requestTimeoutMs: 120_000, reconnect: { minMs: 50, maxMs: 300 }, url: rotated(cluster.wsUrls, node) })
  const receivers = [uid('r'), uid('r')]
  const devices = new Map<string, TestClient[]>([
    [receivers[0], [await connect(receivers[0], 0), await connect(receivers[0], 1)]],
    [receivers[1], [await connect(receivers[1], 1), await connect(receivers[1], 2)]],
  ])
  const senders = [await connect(uid('s'), 0), await connect(uid('s'), 1), await connect(uid('s'), 2)]

  const traffic = startTraffic(senders, receivers, 500, 8)
  await withDeadline(traffic.acks(400), 120_000, '400 acks before the restart')
  await redis.restart()
  t.ok(traffic.acked.length < 1500, `restarted mid-traffic (${traffic.acked.length} acknowledged)`)
  await withDeadline(traffic.done, 300_000, 'every send settled')
  t.same(traffic.failures, [], 'every send was eventually acknowledged')
  t.equal(traffic.acked.length, 1500)
  await checkDelivery(t, traffic.acked, devices, senders.map((s) => s.userId))
})
