/**
 * The Cassandra stores against a real Cassandra 5.0 (test/helpers/cassandra.ts starts one
 * when none answers): the conformance suites (messages, accounts, profiles, friends), plus what only this backend promises — the
 * per-owner head fences concurrent writers, a decided commit survives its writer's failure,
 * partitions are bucketed by seq, and the schema is created and versioned at start.
 *
 * One keyspace per run (random name, dropped at the end); each case empties its tables.
 */
import t from 'tap'
import cassandra, { type Client } from 'cassandra-driver'
import { type AddressInfo, type Socket, connect, createServer } from 'node:net'
import { c2cConv } from '../../src/protocol/events.js'
import type { UserCommit, UserRef } from '../../src/store/MessageStore.js'
import { CassandraAccountStore } from '../../src/store/cassandra/CassandraAccountStore.js'
import { CassandraFriendStore } from '../../src/store/cassandra/CassandraFriendStore.js'
import { CassandraMessageStore } from '../../src/store/cassandra/CassandraMessageStore.js'
import { CassandraProfileStore } from '../../src/store/cassandra/CassandraProfileStore.js'
import { connectCassandra, isTransient, type CassandraHandle, type CassandraStoreOptions } from '../../src/store/cassandra/connect.js'
import { resolveConsistency } from '../../src/store/cassandra/consistency.js'
import { CassandraSchemaError, CONV_TABLES, DATA_TABLES, LATEST_SCHEMA_VERSION, MIGRATIONS, type Replication } from '../../src/store/cassandra/schema.js'
import { ensureCassandra, freshKeyspaceName, runCql } from '../helpers/cassandra.js'
import { accountStoreConformance } from './accountStoreConformance.js'
import type { StoreFactory } from './conformance.js'
import { friendStoreConformance } from './friendStoreConformance.js'
import { message, messageStoreConformance, msgEvent } from './messageStoreConformance.js'
import { profileStoreConformance } from './profileStoreConformance.js'

// A cold first run fetches the jars and boots the node before any case starts.
t.setTimeout(600_000)

const target = await ensureCassandra()
const keyspace = freshKeyspaceName()
const replication: Replication = { class: 'SimpleStrategy', replication_factor: 1 }
const options = (ks = keyspace): CassandraStoreOptions => ({ ...target, keyspace: ks, replication })
const extraKeyspaces: string[] = []

await (await connectCassandra(options())).release()
t.teardown(() => runCql(target, [keyspace, ...extraKeyspaces].map((ks) => `DROP KEYSPACE IF EXISTS ${ks}`)))

/** Empties every data table, so each case starts from an empty store. */
function emptyTables(): Promise<void> {
  return runCql(target, DATA_TABLES.map((table) => `TRUNCATE ${keyspace}.${table}`))
}

async function messageStore(): Promise<CassandraMessageStore> {
  return new CassandraMessageStore(await connectCassandra(options()))
}

/** Each case's store: `make` over a new connection to the emptied tables (a new one on reopen). */
function cassandraFactory<S>(make: (handle: CassandraHandle) => S): StoreFactory<S> {
  return async () => {
    await emptyTables()
    const open = async () => make(await connectCassandra(options()))
    return { store: await open(), reopen: open, cleanup: async () => undefined }
  }
}

messageStoreConformance(t, 'cassandra', cassandraFactory((h) => new CassandraMessageStore(h)))

accountStoreConformance(t, 'cassandra', cassandraFactory((h) => new CassandraAccountStore(h)))

profileStoreConformance(t, 'cassandra', cassandraFactory((h) => new CassandraProfileStore(h)))

friendStoreConformance(t, 'cassandra', cassandraFactory((h) => new CassandraFriendStore(h)))

const APP = 1400000001
const conv = c2cConv('peer')

/** Everything one step of `node` writes when it stores message `seq` (inbox, message, list, dedupe). */
function stepOf(node: string, seq: number): UserCommit {
  const msg = message(seq, node, 5000 + seq + 100 * node.charCodeAt(0))
  return {
    inbox: [msgEvent(seq, conv, msg)],
    messages: [{ conv, msg }],
    conversations: [{ conv, lastSeq: seq, lastMsg: msg, lastTime: msg.time, unread: seq, readSeq: 0, pinned: false, deleted: false }],
    dedupe: [{ conv, random: msg.random, record: { msgKey: msg.msgKey, time: msg.time } }],
  }
}

t.test('cassandra: two nodes commit the same owner\'s next seq at once — exactly one wins, the loser wrote nothing', async (t) => {
  await emptyTables()
  const nodes = { A: await messageStore(), B: await messageStore() }
  t.teardown(() => Promise.all([nodes.A.close(), nodes.B.close()]))
  const owner: UserRef = { app: APP, user: 'fenced' }
  const wins = { A: 0, B: 0 }
  for (let seq = 1; seq <= 20; seq++) {
    // Both nodes believe they own the session and hold the same head.
    t.equal(await nodes.A.lastInboxSeq(owner), seq - 1)
    t.equal(await nodes.B.lastInboxSeq(owner), seq - 1)
    const [a, b] = await Promise.allSettled([nodes.A.commit(owner, stepOf('A', seq)), nodes.B.commit(owner, stepOf('B', seq))])
    const won = [a.status === 'fulfilled' ? 'A' : undefined, b.status === 'fulfilled' ? 'B' : undefined].filter(Boolean)
    t.same(won.length, 1, `seq ${seq}: exactly one commit is acknowledged`)
    const winner = a.status === 'fulfilled' ? 'A' : 'B'
    const loser = winner === 'A' ? 'B' : 'A'
    const rejected = a.status === 'rejected' ? a : b
    t.match(rejected.status === 'rejected' ? rejected.reason : undefined, { code: 20005 }, 'the loser is rejected with a coded error')
    wins[winner]++

    const reader = nodes[loser]
    const mine = stepOf(winner, seq)
    const theirs = stepOf(loser, seq)
    t.equal(await reader.lastInboxSeq(owner), seq, 'the seq was assigned once')
    t.same(await reader.readInbox(owner, seq - 1, 10), mine.inbox, 'the inbox holds the winner\'s event only')
    t.same(await reader.getMessage(owner, conv, seq), mine.messages![0]!.msg, 'the message is the winner\'s')
    t.same(await reader.getConversation(owner, conv), mine.conversations![0], 'the conversation record is the winner\'s')
    t.equal(await reader.findByKey(owner, conv, theirs.messages![0]!.msg.msgKey), undefined, 'no index entry of the loser')
    t.equal(await reader.getDedupe(owner, conv, theirs.dedupe![0]!.random), undefined, 'no dedupe record of the loser')
  }
  t.equal(wins.A + wins.B, 20)
  t.comment(`wins: A ${wins.A}, B ${wins.B}`)
  t.same((await nodes.A.readInbox(owner, 0, 100)).map((e) => e.seq), Array.from({ length: 20 }, (_, i) => i + 1),
    'seqs 1..20, no gap, no duplicate')
})

t.test('cassandra: a stale node whose seq was taken is rejected even after other commits', async (t) => {
  await emptyTables()
  const live = await messageStore()
  const stale = await messageStore()
  t.teardown(() => Promise.all([live.close(), stale.close()]))
  const owner: UserRef = { app: APP, user: 'failover' }
  await stale.commit(owner, stepOf('stale', 1))
  for (let seq = 2; seq <= 4; seq++) await live.commit(owner, stepOf('live', seq))
  await t.rejects(stale.commit(owner, stepOf('stale', 2)), { code: 20005 }, 'seq 2 is taken')
  t.equal(await live.lastInboxSeq(owner), 4)
  t.same(await live.getMessage(owner, conv, 2), stepOf('live', 2).messages![0]!.msg, 'the live node\'s message stands')
  await stale.commit(owner, stepOf('stale', 5))
  t.equal(await live.lastInboxSeq(owner), 5, 'the stale node continues from the real head once it uses it')
})

/**
 * A handle whose data writes (everything but head reads and the head LWT) fail while
 * `failing` is on, like a coordinator lost between deciding a commit and writing it.
 */
function withFailingWrites(handle: CassandraHandle): { handle: CassandraHandle; fail(on: boolean): void } {
  const real = handle.client
  let failing = false
  const execute = real.execute.bind(real) as (query: string, ...rest: unknown[]) => Promise<unknown>
  const client = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'batch' && failing) return async () => { throw new Error('injected: batch lost') }
      if (prop === 'execute') {
        return (query: string, ...rest: unknown[]) => failing && query.includes('USING TIMESTAMP')
          ? Promise.reject(new Error('injected: write lost'))
          : execute(query, ...rest)
      }
      return Reflect.get(target, prop, receiver) as unknown
    },
  }) as Client
  return { handle: { ...handle, client }, fail: (on) => { failing = on } }
}

t.test('cassandra: a commit decided by a writer that failed before writing is applied by the next reader', async (t) => {
  await emptyTables()
  const owner: UserRef = { app: APP, user: 'rollforward' }
  const healthy = await messageStore()
  t.teardown(() => healthy.close())
  await healthy.commit(owner, stepOf('x', 1))

  const faulty = withFailingWrites(await connectCassandra(options()))
  const failing = new CassandraMessageStore(faulty.handle)
  t.teardown(() => failing.close())
  t.equal(await failing.lastInboxSeq(owner), 1, 'the failing node activates normally')
  faulty.fail(true)
  await t.rejects(failing.commit(owner, stepOf('y', 2)), { code: 20005 }, 'the writer reports the failure')
  t.equal(await healthy.getMessage(owner, conv, 2), undefined, 'nothing of it is written yet')

  const next = await messageStore()
  t.teardown(() => next.close())
  t.equal(await next.lastInboxSeq(owner), 2, 'the decided seq is the head')
  const step = stepOf('y', 2)
  t.same(await next.readInbox(owner, 0, 10), [...stepOf('x', 1).inbox!, ...step.inbox!], 'its event was applied')
  t.same(await next.getMessage(owner, conv, 2), step.messages![0]!.msg, 'its message was applied')
  t.same(await next.getConversation(owner, conv), step.conversations![0], 'its conversation record was applied')
  t.same(await next.getDedupe(owner, conv, step.dedupe![0]!.random), step.dedupe![0]!.record, 'its dedupe record was applied')
  await t.rejects(healthy.commit(owner, stepOf('x', 2)), { code: 20005 }, 'seq 2 is not handed out again')
  await healthy.commit(owner, stepOf('x', 3))
  t.equal(await next.lastInboxSeq(owner), 3)
})

t.test('cassandra: reads cross inbox and message buckets (1,000 seqs per partition)', async (t) => {
  await emptyTables()
  const store = await messageStore()
  t.teardown(() => store.close())
  const owner: UserRef = { app: APP, user: 'buckets' }
  const bob = c2cConv('bob')
  const total = 1005
  for (let from = 1; from <= total; from += 201) {
    const seqs = Array.from({ length: Math.min(201, total - from + 1) }, (_, i) => from + i)
    const msgs = seqs.map((s) => message(s, 'bob', 1000 + s))
    await store.commit(owner, {
      inbox: msgs.map((m) => msgEvent(m.seq, bob, m)),
      messages: msgs.map((msg) => ({ conv: bob, msg })),
    })
  }
  const inbox = async (after: number, limit: number) => (await store.readInbox(owner, after, limit)).map((e) => e.seq)
  t.same(await inbox(995, 3), [996, 997, 998])
  t.same(await inbox(997, 5), [998, 999, 1000, 1001, 1002], 'a page across the bucket boundary')
  t.same(await inbox(998, 1), [999], 'a page that ends at the boundary')
  t.same(await inbox(999, 100), [1000, 1001, 1002, 1003, 1004, 1005], 'a page that starts a bucket')
  t.equal((await store.readInbox(owner, 0, 2000)).length, total, 'everything in order')
  t.same(await inbox(total, 10), [])

  const hist = async (q: Parameters<CassandraMessageStore['readHistory']>[2]) =>
    (await store.readHistory(owner, bob, q)).map((m) => m.seq)
  t.same(await hist({ limit: 3 }), [1005, 1004, 1003])
  t.same(await hist({ beforeSeq: 1002, limit: 4 }), [1001, 1000, 999, 998], 'history across the bucket boundary')
  t.same(await hist({ beforeSeq: 1000, limit: 2 }), [999, 998], 'beforeSeq at a bucket start')
  t.same(await hist({ minTime: 1997, maxTime: 2003, limit: 100 }), [1003, 1002, 1001, 1000, 999, 998, 997],
    'time bounds across buckets')
  t.same(await hist({ maxTime: 1002, limit: 100 }), [2, 1], 'a time window in the oldest bucket')
  t.same(await store.getMessage(owner, bob, 1000), message(1000, 'bob', 2000))

  await store.commit(owner, { clearHistory: [bob], messages: [{ conv: bob, msg: message(1006, 'bob', 3000) }] })
  t.same(await hist({ limit: 10 }), [1006], 'a clear removes every bucket; the same commit\'s message stays')
  t.equal(await store.getMessage(owner, bob, 999), undefined)
  t.equal(await store.findByKey(owner, bob, message(1000, 'bob', 2000).msgKey), undefined)
  t.equal(await store.lastInboxSeq(owner), total, 'the inbox is untouched')
})

t.test('cassandra: schema is created once, versioned, and shared by nodes starting together', async (t) => {
  const ks = freshKeyspaceName('parley_schema')
  extraKeyspaces.push(ks)
  const handles = await Promise.all([1, 2, 3].map(() => connectCassandra(options(ks))))
  await Promise.all(handles.map((h) => h.release()))
  const client = (await connectCassandra(options(ks))).client
  t.teardown(() => client.shutdown())
  const rows = (await client.execute(`SELECT version, description FROM ${ks}.schema_version WHERE component = 'parley'`)).rows
  t.same(rows.map((r) => r['version']), MIGRATIONS.map((m) => m.version).reverse(), 'each migration recorded once')
  t.equal(rows[0]?.['version'], LATEST_SCHEMA_VERSION)
  const tables = (await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [ks])).rows
    .map((r) => r['table_name'] as string)
  for (const table of [...DATA_TABLES, ...CONV_TABLES]) t.ok(tables.includes(table), `table ${table} exists`)

  await client.execute(`INSERT INTO ${ks}.schema_version (component, version, description) VALUES ('parley', 99, 'future')`)
  await t.rejects(connectCassandra({ ...options(ks), retryForMs: 600_000 }), CassandraSchemaError,
    'a keyspace from a newer build is refused at once, not retried')
})

/**
 * A TCP front for Cassandra that destroys the first `refuse` connections it accepts (a
 * node that does not answer yet) and forwards the later ones to the real contact point.
 */
async function flakyFront(refuse: number): Promise<{ contactPoint: string; accepted(): number; close(): void }> {
  const [host, port] = (target.contactPoints[0] ?? '127.0.0.1:9042').split(':')
  let accepted = 0
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    sockets.add(client)
    client.once('close', () => sockets.delete(client))
    if (++accepted <= refuse) return void client.destroy()
    const upstream = connect(Number(port ?? 9042), host ?? '127.0.0.1')
    sockets.add(upstream)
    upstream.once('close', () => { sockets.delete(upstream); client.destroy() })
    client.once('close', () => upstream.destroy())
    client.on('error', () => undefined)
    upstream.on('error', () => undefined)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    contactPoint: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted: () => accepted,
    close() {
      server.close()
      for (const s of sockets) s.destroy()
    },
  }
}

t.test('cassandra: start-up retries a Cassandra that does not answer yet, within retryForMs', async (t) => {
  const front = await flakyFront(2)
  t.teardown(() => front.close())
  // A refused connection costs an attempt its request timeout (the driver awaits the answer to STARTUP).
  const quick = { connectTimeoutMs: 1000, requestTimeoutMs: 1000 }
  const handle = await connectCassandra({ ...options(), ...quick, contactPoints: [front.contactPoint], retryForMs: 60_000 })
  t.teardown(() => handle.release())
  t.ok(front.accepted() > 2, `connected after ${front.accepted() - 1} refused connection(s)`)
  t.ok((await handle.client.execute('SELECT release_version FROM system.local')).first(), 'the client answers')
})

t.test('cassandra: start-up gives up after retryForMs with the driver\'s error, having retried', async (t) => {
  const front = await flakyFront(Number.MAX_SAFE_INTEGER)
  t.teardown(() => front.close())
  const quick = { connectTimeoutMs: 300, requestTimeoutMs: 300 }
  await t.rejects(connectCassandra({ ...options(), ...quick, contactPoints: [front.contactPoint], retryForMs: 3000 }),
    { name: 'NoHostAvailableError' })
  const retried = front.accepted()
  t.ok(retried >= 2, `tried ${retried} times`)
  await t.rejects(connectCassandra({ ...options(), ...quick, contactPoints: [front.contactPoint] }), { name: 'NoHostAvailableError' })
  t.equal(front.accepted(), retried + 1, 'without retryForMs: one attempt')
})

t.test('cassandra: transient errors are those a later attempt may not meet', async (t) => {
  const { errors, types } = cassandra
  const response = (code: number) => new errors.ResponseError(code, 'x')
  const table: Array<[unknown, boolean]> = [
    [new errors.NoHostAvailableError({}), true],
    [new errors.OperationTimedOutError('x'), true],
    [response(types.responseErrorCodes.unavailableException), true],
    [response(types.responseErrorCodes.overloaded), true],
    [response(types.responseErrorCodes.readTimeout), true],
    [response(types.responseErrorCodes.writeTimeout), true],
    [response(types.responseErrorCodes.invalid), false],
    [response(types.responseErrorCodes.syntaxError), false],
    [new CassandraSchemaError('newer'), false],
    [new Error('x'), false],
  ]
  for (const [err, transient] of table) t.equal(isTransient(err), transient, String(err))
})

t.test('cassandra: consistency settings are validated by name', async (t) => {
  t.ok(resolveConsistency({}), 'defaults resolve')
  t.ok(resolveConsistency({ read: 'ONE', write: 'ALL', serial: 'SERIAL' }))
  t.throws(() => resolveConsistency({ read: 'ANY' }), /consistency\.read/)
  t.throws(() => resolveConsistency({ serial: 'QUORUM' as never }), /consistency\.serial/)
  await t.rejects(connectCassandra({ ...options(), keyspace: 'Bad-Name' }), CassandraSchemaError)
})
