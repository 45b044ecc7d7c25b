/**
 * Node failures under traffic, three Parley processes over a real Redis and Cassandra:
 * 1. `kill -9` of one node while three senders send 10,002 messages to two receivers with a
 *    device on each of two nodes: clients of the dead node reconnect to the others, the dead
 *    node's actors are reactivated elsewhere from Cassandra, and afterwards every acknowledged
 *    message reached every receiver device exactly once, in order, with no seq used twice.
 * 2. A rolling restart (graceful stop, then start, of each node in turn) under traffic loses
 *    nothing, with the same checks.
 */
import t from 'tap'
import { startLocalCluster } from '../helpers/cluster.js'
import { testApp } from '../helpers/server.js'
import { ClientPool, type TestClient, uid, withDeadline } from '../helpers/sdkClients.js'
import { type Acked, checkDelivery, startTraffic } from './traffic.js'

// Both phases under load on a 2-core CI host: the kill phase alone has taken 240 s there.
t.setTimeout(1_200_000)
const app = testApp({ multiLogin: 'unlimited' })
/** Each client starts on its own node and moves round robin to the next one on a reconnect. */
const rotated = (urls: readonly string[], first: number) => urls.map((_, i) => urls[(first + i) % urls.length])
const clientOpts = { requestTimeoutMs: 120_000, reconnect: { minMs: 50, maxMs: 300 } }

t.test('kill -9 of a node, then a rolling restart, under traffic', async (t) => {
  const cluster = await startLocalCluster({ app })
  const pool = new ClientPool(() => ({ wsUrl: cluster.wsUrls[0], app }))
  t.teardown(async () => {
    pool.closeAll()
    await cluster.close()
  })
  const connect = (user: string, node: number) => pool.connect(user, { ...clientOpts, url: rotated(cluster.wsUrls, node) })

  const receivers = [uid('r'), uid('r')]
  const devices = new Map<string, TestClient[]>([
    [receivers[0], [await connect(receivers[0], 0), await connect(receivers[0], 1)]],
    [receivers[1], [await connect(receivers[1], 1), await connect(receivers[1], 2)]],
  ])
  const senders = [await connect(uid('s'), 0), await connect(uid('s'), 1), await connect(uid('s'), 2)]
  const everAcked: Acked[] = []

  await t.test('kill -9 of node 1 while 10,002 messages are sent', async (t) => {
    const traffic = startTraffic(senders, receivers, 3334, 8)
    await withDeadline(traffic.acks(2000), 120_000, '2,000 acks before the kill')
    await cluster.kill9(1)
    t.ok(traffic.acked.length < 10_002, `killed mid-traffic (${traffic.acked.length} acknowledged)`)
    await withDeadline(traffic.done, 400_000, 'every send settled')
    t.comment(`retried after: ${JSON.stringify([...traffic.retried])} (code, count)`)
    t.same(traffic.failures, [], 'every send was eventually acknowledged')
    t.equal(traffic.acked.length, 10_002)
    const movedOff = [devices.get(receivers[0])![1], devices.get(receivers[1])![0], senders[1]]
    t.ok(movedOff.every((c) => c.probe.sockets.length >= 2), 'the clients of the killed node reconnected elsewhere')
    everAcked.push(...traffic.acked)
    await checkDelivery(t, traffic.acked, devices, senders.map((s) => s.userId))
    await cluster.startNode(1)
  })

  await t.test('rolling restart of all three nodes', async (t) => {
    for (const devs of devices.values()) for (const d of devs) d.inbox.events.length = 0
    const traffic = startTraffic(senders, receivers, 600, 8)
    for (let i = 0; i < 3; i++) {
      await withDeadline(traffic.acks(300 * (i + 1)), 120_000, `${300 * (i + 1)} acks`)
      await cluster.stopNode(i)
      await cluster.startNode(i)
    }
    await withDeadline(traffic.done, 300_000, 'every send settled')
    t.comment(`retried after: ${JSON.stringify([...traffic.retried])} (code, count)`)
    t.same(traffic.failures, [], 'every send was eventually acknowledged')
    t.equal(traffic.acked.length, 1800)
    everAcked.push(...traffic.acked)
    await checkDelivery(t, traffic.acked, devices, senders.map((s) => s.userId), everAcked)
  })
})
