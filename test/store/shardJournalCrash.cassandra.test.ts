/**
 * The shard journal under kill -9 on Cassandra (journalCrashSuite.ts): a child appends and
 * checkpoints into one keyspace through CassandraShardLog and CassandraConvIndex and is killed
 * while appending, checkpointing, with a 3,000-record unindexed log and during its replay;
 * nothing acknowledged is lost or repeated. Every child's `open` claims the shard (a new
 * epoch), so the rows of a killed child's last, unacknowledged batch stay behind as a stale
 * epoch's rows that replay must skip.
 */
import { spawn } from 'node:child_process'
import cassandra from 'cassandra-driver'
import t from 'tap'
import { CassandraConvIndex } from '../../src/store/cassandra/CassandraConvIndex.js'
import { CassandraShardLog } from '../../src/store/cassandra/CassandraShardLog.js'
import { connectCassandra, type CassandraStoreOptions } from '../../src/store/cassandra/connect.js'
import { ensureCassandra, freshKeyspaceName } from '../helpers/cassandra.js'
import { journalCrashSuite } from './journalCrashSuite.js'

t.setTimeout(600_000)

const target = await ensureCassandra()
const options: CassandraStoreOptions = {
  ...target, keyspace: freshKeyspaceName('parley_journal'), replication: { class: 'SimpleStrategy', replication_factor: 1 },
}
await (await connectCassandra(options)).release()
t.teardown(async () => {
  const client = new cassandra.Client({ ...target, socketOptions: { readTimeout: 120_000 } })
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${options.keyspace}`)
  } finally {
    await client.shutdown()
  }
})

t.test('shard journal on Cassandra: kill -9 while appending, checkpointing and replaying loses and repeats nothing', async (t) => {
  await journalCrashSuite(t, {
    spawn,
    where: `cassandra:${JSON.stringify(options)}`,
    fullLog: 3000,
    open: async (t) => {
      const handle = await connectCassandra(options)
      const log = new CassandraShardLog(handle)
      const index = new CassandraConvIndex(handle)
      t.teardown(async () => {
        await log.close()
        await index.close()
      })
      return { log, index }
    },
  })
})
