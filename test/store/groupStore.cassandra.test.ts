/**
 * The GroupStore conformance suite against a real Cassandra (test/helpers/cassandra.ts),
 * plus what only this backend promises: two writers of one group are fenced by the group's
 * head, so exactly one of two concurrent commits of the same next seq is acknowledged.
 */
import cassandra from 'cassandra-driver'
import t from 'tap'
import { CassandraGroupStore } from '../../src/store/cassandra/CassandraGroupStore.js'
import { connectCassandra, type CassandraStoreOptions } from '../../src/store/cassandra/connect.js'
import { DATA_TABLES, type Replication } from '../../src/store/cassandra/schema.js'
import { ensureCassandra, freshKeyspaceName, runCql } from '../helpers/cassandra.js'
import { groupMessage, groupRecord, groupStoreConformance } from './groupStoreConformance.js'

t.setTimeout(600_000)

const target = await ensureCassandra()
const keyspace = freshKeyspaceName('parley_group')
const replication: Replication = { class: 'SimpleStrategy', replication_factor: 1 }
const options = (): CassandraStoreOptions => ({ ...target, keyspace, replication })

await (await connectCassandra(options())).release()
t.teardown(async () => {
  // Dropping a keyspace of many tables can outlast the driver's default 12 s request timeout.
  const client = new cassandra.Client({ ...target, socketOptions: { readTimeout: 120_000 } })
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)
  } finally {
    await client.shutdown()
  }
})

const open = async (): Promise<CassandraGroupStore> => new CassandraGroupStore(await connectCassandra(options()))

groupStoreConformance(t, 'cassandra', async () => {
  await runCql(target, DATA_TABLES.filter((x) => x.startsWith('group')).map((x) => `TRUNCATE ${keyspace}.${x}`))
  return { store: await open(), reopen: open, cleanup: async () => undefined }
})

t.test('cassandra: two writers of one group commit the same next seq — exactly one wins', async (t) => {
  const [a, b] = [await open(), await open()]
  t.teardown(() => Promise.all([a.close(), b.close()]))
  const g = { app: 1400000009, groupId: `fenced-${Date.now()}` }
  await a.commit(g, { group: groupRecord(g.groupId) })
  for (let seq = 1; seq <= 10; seq++) {
    // Both believe they host the group's actor and have loaded the same state.
    t.equal((await a.load(g)).lastSeq, seq - 1)
    t.equal((await b.load(g)).lastSeq, seq - 1)
    const results = await Promise.allSettled([a.commit(g, { messages: [groupMessage(seq, 'A')] }), b.commit(g, { messages: [groupMessage(seq, 'B')] })])
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `seq ${seq}: exactly one acknowledged`)
    const winner = results[0]!.status === 'fulfilled' ? 'A' : 'B'
    const [stored] = await a.readMessages(g, { limit: 1 })
    t.same(stored, groupMessage(seq, winner), 'the stored message is the acknowledged one')
  }
})
