/**
 * Diagnostic (not part of run-all): the Cassandra message store alone, as a session uses it
 * for one stored one-to-one message (inbox event, message, conversation, dedupe record).
 * `owners` simulated sessions each commit one after another for `measureMs`, in two phases:
 *   1. `commit` — CassandraMessageStore.commit: one LWT on the owner's head, then the rows
 *      as unlogged batches (group commit never merges here: one commit in flight per owner);
 *   2. `rowsOnly` (the baseline) — the same rows through the same applier, with no head and
 *      no LWT: what any design that still writes every row would cost.
 * Each phase reports commits/s and the Cassandra process's CPU per commit (read from /proc,
 * so the figure is less sensitive to other load on the machine than the rate), and the
 * one-to-one ceiling that CPU implies per Cassandra core (a delivered message is two
 * commits: the two users' views). Cassandra: the node `scripts/cassandra/cassandra.sh` runs
 * (its pid file); a fresh keyspace, dropped after.
 *
 *   npm run build && node dist/bench/cassandraCommits.js [--owners 200] [--measureMs 10000]
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { StoredMessage } from '../src/model/message.js'
import type { UserCommit, UserRef } from '../src/store/MessageStore.js'
import { CommitApplier } from '../src/store/cassandra/applyCommit.js'
import { connectCassandra } from '../src/store/cassandra/connect.js'
import { CassandraMessageStore } from '../src/store/cassandra/CassandraMessageStore.js'
import { Histogram } from './lib/histogram.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress } from './lib/report.js'

const defaults = { owners: 200, measureMs: 10_000, port: 9042 }
const PID_FILE = fileURLToPath(new URL('../../.cassandra/cassandra.pid', import.meta.url))
const log = (m: string) => progress('cassandraCommits', m)

/** CPU seconds (user + system) of process `pid` so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

const body = [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'hello world' } }] as StoredMessage['body']

/** What a session commits for one incoming message at `seq`. */
function messageCommit(o: UserRef, i: number, seq: number): UserCommit {
  const msg: StoredMessage = { msgKey: `k${i}_${seq}`, from: 'peer', to: o.user, msgSeq: seq, random: seq, time: 1, body, seq, flags: 0 }
  return {
    inbox: [{ type: 'msg', seq, conv: 'c2c:peer', msg }],
    messages: [{ conv: 'c2c:peer', msg }],
    conversations: [{ conv: 'c2c:peer', lastSeq: seq, readSeq: 0, unread: seq, lastMsg: msg, pinned: false, deleted: false, lastTime: 1 }],
    dedupe: [{ conv: 'c2c:peer<', random: seq, record: { msgKey: msg.msgKey, time: 1 } }],
  }
}

interface Phase { commitsPerSec: number; cassandraCpuMsPerCommit: number; c2cCeilingPerCassandraCore: number; latencyMs: ReturnType<Histogram['summaryMs']> }

/** Runs `owners` committers of `commit` for `measureMs`, starting each at its `start` seq. */
async function phase(name: string, p: typeof defaults, pid: number, start: (o: UserRef) => Promise<number>,
  commit: (o: UserRef, c: UserCommit) => Promise<void>): Promise<Phase> {
  let commits = 0
  let stop = false
  const latency = new Histogram()
  const owner = async (i: number) => {
    const o = { app: 1, user: `u${i}` }
    let seq = await start(o)
    while (!stop) {
      seq++
      const t0 = performance.now()
      await commit(o, messageCommit(o, i, seq))
      latency.record((performance.now() - t0) * 1000)
      commits++
    }
  }
  log(`${name}: ${p.owners} owners committing for ${p.measureMs} ms`)
  const cpu0 = cpuSeconds(pid)
  const t0 = Date.now()
  const timer = setTimeout(() => { stop = true }, p.measureMs)
  await Promise.all(Array.from({ length: p.owners }, (_, i) => owner(i)))
  clearTimeout(timer)
  const seconds = (Date.now() - t0) / 1000
  const cpuMs = (cpuSeconds(pid) - cpu0) * 1000 / commits
  const out: Phase = {
    commitsPerSec: Math.round(commits / seconds),
    cassandraCpuMsPerCommit: Number(cpuMs.toFixed(3)),
    c2cCeilingPerCassandraCore: Math.round(1000 / (2 * cpuMs)),
    latencyMs: latency.summaryMs(),
  }
  log(`${name}: ${out.commitsPerSec} commits/s, Cassandra ${out.cassandraCpuMsPerCommit} ms CPU per commit ` +
    `(one-to-one ceiling ${out.c2cCeilingPerCassandraCore} msgs/s per Cassandra core), p50 ${out.latencyMs.p50} ms, p99 ${out.latencyMs.p99} ms`)
  return out
}

async function run(p: typeof defaults): Promise<Record<string, unknown>> {
  const pid = Number(readFileSync(PID_FILE, 'utf8'))
  const keyspace = `bench_${Date.now().toString(36)}`
  const handle = await connectCassandra({
    contactPoints: [`127.0.0.1:${p.port}`], localDataCenter: 'datacenter1', keyspace,
    replication: { class: 'SimpleStrategy', replication_factor: 1 },
  })
  const store = new CassandraMessageStore(handle)
  const applier = new CommitApplier(handle)
  try {
    const commit = await phase('commit', p, pid, (o) => store.lastInboxSeq(o), (o, c) => store.commit(o, c))
    // Owners of their own (no head rows), write timestamps from the clock as a commit's would be.
    let ts = Date.now() * 1000
    const rowsOnly = await phase('rowsOnly', p, pid, async () => 0, (o, c) => applier.apply({ ...o, user: `r${o.user}` }, (ts += 2), c))
    return {
      bench: 'cassandraCommits', params: p, machine: machineInfo(), code: codeVersion(),
      commit, rowsOnly, lwtShareOfCpu: Number((1 - rowsOnly.cassandraCpuMsPerCommit / commit.cassandraCpuMsPerCommit).toFixed(2)),
    }
  } finally {
    await handle.client.execute(`DROP KEYSPACE ${keyspace}`)
    await store.close()
  }
}

printResult(await run(parseFlags(process.argv.slice(2), defaults)))
