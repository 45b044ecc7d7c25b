/**
 * Diagnostic (not part of run-all): CassandraMessageStore alone, as a session uses it for one
 * stored one-to-one message (inbox event, message, conversation in one commit: one LWT on the
 * owner's head plus its batches). `owners` simulated sessions each commit one after another
 * for `measureMs`; reports commits/s and the Cassandra process's CPU per commit (read from
 * /proc, so the figure is less sensitive to other load on the machine than the rate).
 * Cassandra: the node `scripts/cassandra/cassandra.sh` runs (its pid file); a fresh keyspace,
 * dropped after. Parley stores each delivered message twice (the two users' views).
 *
 *   npm run build && node dist/bench/cassandraCommits.js [--owners 200] [--measureMs 10000]
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { StoredMessage } from '../src/protocol/message.js'
import { connectCassandra } from '../src/store/cassandra/connect.js'
import { CassandraMessageStore } from '../src/store/cassandra/CassandraMessageStore.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress } from './lib/report.js'

const defaults = { owners: 200, measureMs: 10_000, port: 9042 }
const PID_FILE = fileURLToPath(new URL('../../.cassandra/cassandra.pid', import.meta.url))
const log = (m: string) => progress('cassandraCommits', m)

/** CPU seconds (user + system) of process `pid` so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

async function run(p: typeof defaults): Promise<Record<string, unknown>> {
  const pid = Number(readFileSync(PID_FILE, 'utf8'))
  const keyspace = `bench_${Date.now().toString(36)}`
  const handle = await connectCassandra({
    contactPoints: [`127.0.0.1:${p.port}`], localDataCenter: 'datacenter1', keyspace,
    replication: { class: 'SimpleStrategy', replication_factor: 1 },
  })
  const store = new CassandraMessageStore(handle)
  const body = [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'hello world' } }] as StoredMessage['body']
  let commits = 0
  let stop = false
  const owner = async (i: number) => {
    const o = { app: 1, user: `u${i}` }
    let seq = await store.lastInboxSeq(o)
    while (!stop) {
      seq++
      const msg: StoredMessage = { msgKey: `k${i}_${seq}`, from: 'peer', to: o.user, msgSeq: seq, random: seq, time: 1, body, seq, flags: 0 }
      await store.commit(o, {
        inbox: [{ type: 'msg', seq, conv: 'c2c:peer', msg }],
        messages: [{ conv: 'c2c:peer', msg }],
        conversations: [{ conv: 'c2c:peer', lastSeq: seq, readSeq: 0, unread: seq, lastMsg: msg, pinned: false, deleted: false, lastTime: 1 }],
      })
      commits++
    }
  }
  log(`${p.owners} owners committing for ${p.measureMs} ms (keyspace ${keyspace})`)
  const cpu0 = cpuSeconds(pid)
  const t0 = Date.now()
  const timer = setTimeout(() => { stop = true }, p.measureMs)
  await Promise.all(Array.from({ length: p.owners }, (_, i) => owner(i)))
  clearTimeout(timer)
  const seconds = (Date.now() - t0) / 1000
  const cpu = cpuSeconds(pid) - cpu0
  await handle.client.execute(`DROP KEYSPACE ${keyspace}`)
  await store.close()
  return {
    bench: 'cassandraCommits', params: p, machine: machineInfo(), code: codeVersion(),
    commits, commitsPerSec: Math.round(commits / seconds), cassandraCpuMsPerCommit: Number((cpu * 1000 / commits).toFixed(3)),
  }
}

printResult(await run(parseFlags(process.argv.slice(2), defaults)))
