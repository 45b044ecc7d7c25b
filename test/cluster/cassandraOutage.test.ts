/**
 * Cassandra becoming unreachable under a two-node cluster (its own Cassandra process, frozen
 * with SIGSTOP so connections stay open and nothing answers): a send is refused with the
 * clear, retryable STORE_UNAVAILABLE (9012) rather than hanging or a generic error; the
 * nodes stay up; once Cassandra answers again (SIGCONT) the same send, retried with its
 * random, succeeds once, and everything acknowledged before and after is delivered once.
 */
import t from 'tap'
import { ParleyClientError } from '../../src/client/index.js'
import { startPrivateCassandra } from '../helpers/cassandra.js'
import { startLocalCluster } from '../helpers/cluster.js'
import { testApp } from '../helpers/server.js'
import { ClientPool, uid, withDeadline } from '../helpers/sdkClients.js'

t.setTimeout(400_000)
const app = testApp({ multiLogin: 'unlimited' })

t.test('senders get 9012 while Cassandra is unreachable; the node recovers when it returns', async (t) => {
  const cassandra = await startPrivateCassandra()
  t.teardown(() => cassandra.stop())
  const cluster = await startLocalCluster({ app, nodes: 2, cassandraContactPoints: cassandra.target.contactPoints.join(',') })
  const pool = new ClientPool(() => ({ wsUrl: cluster.wsUrls[0], app }))
  t.teardown(async () => {
    pool.closeAll()
    await cluster.close()
  })
  const alice = await pool.connect(uid('a'), { url: cluster.wsUrls[0], requestTimeoutMs: 60_000 })
  const bob = await pool.connect(uid('b'), { url: cluster.wsUrls[1], requestTimeoutMs: 60_000 })
  const before = await alice.client.sendText(bob.userId, 'before the outage')

  cassandra.pause()
  const random = 424242
  let refused: unknown
  try {
    await withDeadline(alice.client.sendText(bob.userId, 'during the outage', { random, msgSeq: 7 }), 45_000, 'the refusal')
  } catch (e) {
    refused = e
  } finally {
    cassandra.resume()
  }
  t.ok(refused instanceof ParleyClientError, `the send was refused: ${String(refused)}`)
  t.equal((refused as ParleyClientError).code, 9012, 'with STORE_UNAVAILABLE')
  t.ok((refused as ParleyClientError).retryable, 'which is retryable')
  t.equal(cluster.node(0)!.proc.exitCode, null, 'node 0 is still running')
  t.equal(cluster.node(1)!.proc.exitCode, null, 'node 1 is still running')

  // Cassandra answers again: the app retries the same message (same random) until it lands.
  let after
  for (let attempt = 1; ; attempt++) {
    try {
      after = await alice.client.sendText(bob.userId, 'during the outage', { random, msgSeq: 7 })
      break
    } catch (e) {
      // Each failed attempt is a round trip to a node (a 9012 takes the 6 s driver timeout).
      if (!(e instanceof ParleyClientError) || !e.retryable || attempt >= 30) throw e
    }
  }
  const later = await alice.client.sendText(bob.userId, 'after the outage')
  const keys = [before.msgKey, after.msgKey, later.msgKey]
  await bob.inbox.until((ev) => keys.every((k) => ev.some((e) => e.message.msgKey === k)), 'the three messages', 60_000)
  t.same(bob.inbox.from(alice.userId).map((e) => e.message.msgKey), keys, 'each delivered once, in order')
  const hist = await alice.client.history(bob.userId, { limit: 10 })
  t.same(hist.messages.map((m) => m.msgKey).reverse(), keys, 'history holds each once (the retried send was not duplicated)')
})
