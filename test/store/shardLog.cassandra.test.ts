/**
 * CassandraShardLog and CassandraConvIndex against a real Cassandra 5.0
 * (test/helpers/cassandra.ts): the ShardLog + ConvIndex conformance suite, plus what only this
 * backend promises — a second writer fences out the first (its appends refused, its rows
 * never replayed), the fence costs one LWT per shard per batch (counted at the driver), and a
 * checkpoint interrupted between its index rows and its checkpoint marker re-applies to
 * exactly the state of one apply (no unread counted twice).
 *
 * One keyspace per run (random name, dropped at the end); each case empties the one-writer tables.
 */
import cassandra from 'cassandra-driver'
import t, { type Test } from 'tap'
import { Checkpointer } from '../../actors/conv/Checkpointer.js'
import { ShardJournal } from '../../actors/conv/ShardJournal.js'
import type { RecordEntry } from '../../src/store/ConvIndex.js'
import { CassandraConvIndex } from '../../src/store/cassandra/CassandraConvIndex.js'
import { CassandraShardLog } from '../../src/store/cassandra/CassandraShardLog.js'
import { type CassandraHandle, connectCassandra, type CassandraStoreOptions } from '../../src/store/cassandra/connect.js'
import { CONV_TABLES, type Replication } from '../../src/store/cassandra/schema.js'
import type { ShardRef } from '../../src/store/ShardLog.js'
import { encodeShardRecord } from '../../src/store/shardRecordCodec.js'
import { ensureCassandra, freshKeyspaceName, runCql } from '../helpers/cassandra.js'
import { journalRecord, journalShard as s } from './fixtures/journalData.js'
import { shardLogConformance } from './shardLogConformance.js'

t.setTimeout(600_000)

const target = await ensureCassandra()
const keyspace = freshKeyspaceName('parley_shardlog')
const replication: Replication = { class: 'SimpleStrategy', replication_factor: 1 }
const options = (): CassandraStoreOptions => ({ ...target, keyspace, replication })

await (await connectCassandra(options())).release()
t.teardown(async () => {
  const client = new cassandra.Client({ ...target, socketOptions: { readTimeout: 120_000 } })
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)
  } finally {
    await client.shutdown()
  }
})

function emptyTables(): Promise<void> {
  return runCql(target, CONV_TABLES.map((table) => `TRUNCATE ${keyspace}.${table}`))
}

/** A log and an index on one new connection (as one node's thread has), closed at teardown. */
async function openBackend(t: Test) {
  const handle = await connectCassandra(options())
  const log = new CassandraShardLog(handle)
  const index = new CassandraConvIndex(handle)
  t.teardown(async () => {
    await log.close()
    await index.close()
  })
  return { handle, log, index }
}

shardLogConformance(t, 'cassandra', async (t) => {
  await emptyTables()
  const { log, index } = await openBackend(t)
  return { log, index, where: keyspace }
})

const bytesOf = (lsn: number, writer: string) => encodeShardRecord(journalRecord('a', 'b', lsn, lsn, lsn + (writer === 'second' ? 1000 : 0)))

t.test('cassandra: a second writer fences out the first; only its records count for the contested LSNs', async (t) => {
  await emptyTables()
  const first = await openBackend(t)
  const second = await openBackend(t)
  t.strictSame(await first.log.open(s), { lastLsn: 0, checkpointLsn: 0 })
  for (let lsn = 1; lsn <= 3; lsn++) await first.log.append(s, lsn, bytesOf(lsn, 'first'))
  t.strictSame(await second.log.open(s), { lastLsn: 3, checkpointLsn: 0 }, 'the second writer takes over after LSN 3')
  await t.rejects(first.log.append(s, 4, bytesOf(4, 'first')), { code: 20005, message: /fenced out by epoch 2/ }, "the first writer's next append is refused")
  await t.rejects(first.log.append(s, 5, bytesOf(5, 'first')), { code: 20005, message: /earlier batch failed/ }, 'and so is every later one')
  for (let lsn = 4; lsn <= 6; lsn++) await second.log.append(s, lsn, bytesOf(lsn, 'second'))

  const rows = await second.handle.client.execute(`SELECT lsn, epoch FROM ${keyspace}.shard_log WHERE app = ? AND shard = ? AND bucket = 0 AND lsn = 4`,
    [s.app, s.shard], { prepare: true })
  t.equal(rows.rowLength, 2, "the refused writer's row at LSN 4 is stored beside the second's (rows carry their epoch)")
  const reader = await openBackend(t)
  const replayed = await reader.log.replay(s, 0, 100)
  t.strictSame(replayed.map((e) => e.lsn), [1, 2, 3, 4, 5, 6], 'each LSN once')
  t.strictSame(replayed.map((e) => Buffer.from(e.bytes).equals(Buffer.from(bytesOf(e.lsn, e.lsn <= 3 ? 'first' : 'second')))),
    [true, true, true, true, true, true], "LSNs 1-3 hold the first writer's records, 4-6 the second's")
  t.strictSame(await reader.log.open(s), { lastLsn: 6, checkpointLsn: 0 })
})

t.test('cassandra: a claim during a stream of appends splits the LSNs, none accepted twice', async (t) => {
  await emptyTables()
  const first = await openBackend(t)
  const second = await openBackend(t)
  await first.log.open(s)
  const accepted: number[] = []
  const refused: number[] = []
  const appends: Promise<void>[] = []
  let claimed: Promise<{ lastLsn: number }> | undefined
  for (let lsn = 1; lsn <= 60; lsn++) {
    appends.push(first.log.append(s, lsn, bytesOf(lsn, 'first')).then(() => { accepted.push(lsn) }, () => { refused.push(lsn) }))
    if (lsn % 10 === 0) await new Promise((r) => setImmediate(r))
    if (lsn === 20) claimed = second.log.open(s)
  }
  const { lastLsn } = await claimed!
  await Promise.all(appends)
  t.strictSame(accepted, Array.from({ length: accepted.length }, (_, i) => i + 1), 'the first writer had a prefix accepted, in order')
  t.equal(accepted.length, lastLsn, 'the claim starts right after the last accepted LSN')
  t.equal(accepted.length + refused.length, 60)
  t.comment(`the claim landed after LSN ${lastLsn}: ${accepted.length} of the first writer's appends accepted, ${refused.length} refused`)
  for (let lsn = lastLsn + 1; lsn <= lastLsn + 5; lsn++) await second.log.append(s, lsn, bytesOf(lsn, 'second'))
  const replayed = await second.log.replay(s, 0, 1000)
  t.strictSame(replayed.map((e) => e.lsn), Array.from({ length: lastLsn + 5 }, (_, i) => i + 1))
  const wrong = replayed.filter((e) => !Buffer.from(e.bytes).equals(Buffer.from(bytesOf(e.lsn, e.lsn <= lastLsn ? 'first' : 'second'))))
  t.strictSame(wrong.map((e) => e.lsn), [], 'no refused record is replayed')
})

/** Counts the conditional (LWT) and plain statements `handle`'s client sends. */
function countStatements(handle: CassandraHandle) {
  const counts = { lwt: 0, plain: 0 }
  const client = handle.client
  const execute = client.execute.bind(client) as (...a: unknown[]) => Promise<unknown>
  const batch = client.batch.bind(client) as (...a: unknown[]) => Promise<unknown>
  const isLwt = (q: string) => /\bIF\s+(NOT\s+EXISTS|\w+\s*=)/i.test(q)
  ;(client as { execute: unknown }).execute = (q: string, ...rest: unknown[]) => {
    if (isLwt(q)) counts.lwt++
    else counts.plain++
    return execute(q, ...rest)
  }
  ;(client as { batch: unknown }).batch = (qs: { query: string }[], ...rest: unknown[]) => {
    for (const { query } of qs) if (isLwt(query)) counts.lwt++
    counts.plain++
    return batch(qs, ...rest)
  }
  return {
    take() {
      const out = { ...counts }
      counts.lwt = counts.plain = 0
      return out
    },
  }
}

t.test('cassandra: appends of one turn cost one LWT per shard, and appends made during a batch one more', async (t) => {
  await emptyTables()
  const { handle, log } = await openBackend(t)
  const shards: ShardRef[] = [0, 1, 2].map((i) => ({ app: s.app, shard: 20 + i }))
  const counter = countStatements(handle)
  for (const x of shards) await log.open(x)
  t.equal(counter.take().lwt, 3, 'one claim per shard')

  const N = 300
  const t0 = performance.now()
  await Promise.all(Array.from({ length: N }, (_, i) => log.append(shards[0]!, i + 1, bytesOf(i + 1, 'first'))))
  const ms = performance.now() - t0
  const one = counter.take()
  t.equal(one.lwt, 1, `${N} appends in one turn on one shard: one LWT`)
  t.ok(one.plain >= 1, `their rows went as plain writes (${one.plain} requests)`)
  t.comment(`${N} appends in one batch: ${ms.toFixed(1)} ms, ${one.plain} plain requests, ${one.lwt} LWT`)

  await Promise.all(shards.flatMap((x) => Array.from({ length: 100 }, (_, i) => log.append(x, (x === shards[0] ? N : 0) + i + 1, bytesOf(i + 1, 'first')))))
  t.equal(counter.take().lwt, 3, '100 appends on each of three shards in one turn: one LWT per shard')

  const x = shards[1]!
  const early = log.append(x, 101, bytesOf(101, 'first'))
  await new Promise((r) => setImmediate(r)) // the log's batch (LSN 101) is now in flight
  const late = Array.from({ length: 50 }, (_, i) => log.append(x, 102 + i, bytesOf(102 + i, 'first')))
  await Promise.all([early, ...late])
  t.equal(counter.take().lwt, 2, 'appends made while a batch is in flight form the next batch: one more LWT')
  t.strictSame((await log.replay(x, 0, 1000)).map((e) => e.lsn), Array.from({ length: 151 }, (_, i) => i + 1), 'all in order')
})

t.test('cassandra: a checkpoint cut between its index rows and its marker re-applies to exactly one apply', async (t) => {
  await emptyTables()
  // a<->b, a<->c and a's conversation with itself; b and c send to a, so a's unread grows.
  const pairs: [string, string][] = [['a', 'b'], ['a', 'c'], ['a', 'a']]
  const records = Array.from({ length: 12 }, (_, i) => {
    const [x, y] = pairs[i % 3]!
    const seq = Math.floor(i / 3) + 1
    return journalRecord(x, y, seq, 0, 0)
  })
  // Stream seqs as the shard numbers them: per user, in LSN order (0: the sender keeps no copy).
  const heads = new Map<string, number>()
  const entries: RecordEntry[] = records.map((r, i) => {
    const next = (u: string) => { heads.set(u, (heads.get(u) ?? 0) + 1); return heads.get(u)! }
    const sa = next(r.a)
    const sb = r.a === r.b ? 0 : r.msg.from === r.b ? 0 : next(r.b)
    return { lsn: i + 1, rec: { ...r, sa, sb } }
  })
  const control: ShardRef = { app: s.app + 100, shard: s.shard }
  const { index } = await openBackend(t)
  await index.checkpoint([{ s: control, entries: entries.slice(0, 4) }])
  await index.checkpoint([{ s: control, entries: entries.slice(4) }])

  const cuts: [string, RegExp][] = [
    ['after every index row, before the marker', /shard_checkpoints/],
    ['after the views, before the streams and the marker', /conv_streams|shard_checkpoints/],
    ['after history and streams, before the views and the marker', /conv_views|shard_checkpoints/],
  ]
  for (const [i, [title, failing]] of cuts.entries()) {
    const x: ShardRef = { app: s.app + 1 + i, shard: s.shard }
    const crashed = await openBackend(t)
    await crashed.log.open(x)
    await Promise.all(entries.map((e) => crashed.log.append(x, e.lsn, encodeShardRecord(e.rec))))
    await crashed.index.checkpoint([{ s: x, entries: entries.slice(0, 4) }])
    failWrites(crashed.handle, failing)
    await t.rejects(crashed.index.checkpoint([{ s: x, entries: entries.slice(4) }]), /injected/, `${title}: the checkpoint fails`)
    t.equal(await crashed.index.checkpointLsn(x), 4, `${title}: the marker did not move`)
    if (!failing.test('conv_views')) {
      t.equal((await crashed.index.conversation(x.app, 'a', 'b'))?.unread, (await index.conversation(control.app, 'a', 'b'))?.unread,
        `${title}: the views already hold the cut batch (a blind re-apply would count its unread twice)`)
    }

    const next = await openBackend(t)
    const recovery = await new ShardJournal(x, new Checkpointer(next.log, next.index)).open()
    t.match(recovery, { checkpointLsn: 12, replayed: 8 }, `${title}: the next open re-applied the batch`)
    t.strictSame(await snapshot(next.index, x), await snapshot(index, control), `${title}: every index reads as after one apply`)
  }
  const views = await snapshot(index, control)
  t.match(views.views['a|b'], { unread: 2, lastSeq: 4 }, 'control: b sent a two of four messages')
})

/**
 * Makes every write `handle` sends that matches `failing` fail, as if the process died before
 * sending it; the other statements of a batch holding one are still written.
 */
function failWrites(handle: CassandraHandle, failing: RegExp): void {
  const client = handle.client
  const execute = client.execute.bind(client) as (...a: unknown[]) => Promise<unknown>
  const batch = client.batch.bind(client) as (...a: unknown[]) => Promise<unknown>
  const isWrite = (q: string) => /^\s*(INSERT|UPDATE|DELETE)/i.test(q) && failing.test(q)
  ;(client as { execute: unknown }).execute = (q: string, ...rest: unknown[]) =>
    isWrite(q) ? Promise.reject(new Error(`injected failure: ${q.slice(0, 40)}`)) : execute(q, ...rest)
  ;(client as { batch: unknown }).batch = async (qs: { query: string }[], ...rest: unknown[]) => {
    const kept = qs.filter(({ query }) => !isWrite(query))
    if (kept.length > 0) await batch(kept, ...rest)
    if (kept.length < qs.length) throw new Error('injected failure (batch)')
  }
}

/** Everything the index answers about users a, b, c of shard `x`. */
async function snapshot(index: CassandraConvIndex, x: ShardRef) {
  const users = ['a', 'b', 'c']
  const out = { views: {} as Record<string, unknown>, streams: {} as Record<string, unknown>, shards: {} as Record<string, unknown>, history: {} as Record<string, unknown> }
  for (const u of users) {
    out.shards[u] = await index.userShards(x.app, u)
    out.streams[u] = await index.stream(x, u, 0, 1000)
    for (const p of users) {
      const v = await index.conversation(x.app, u, p)
      if (v) out.views[`${u}|${p}`] = v
    }
  }
  for (const [a, b] of [['a', 'b'], ['a', 'c'], ['a', 'a']] as const) out.history[`${a}|${b}`] = await index.history(x.app, a, b, { limit: 100 })
  return out
}
