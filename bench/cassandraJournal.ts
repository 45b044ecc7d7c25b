/**
 * Diagnostic (not part of run-all): the one-writer store on Cassandra alone —
 * CassandraShardLog and CassandraConvIndex under ShardJournal + Checkpointer, as the
 * conversation shards will use them. `shards` shards each run `writers` concurrent senders
 * (each awaits its append before the next, as a shard awaits before it acks) for `measureMs`,
 * in two phases:
 *   1. `log` — appends only (the rows, and one LWT per shard per batch);
 *   2. `journal` — appends plus checkpoints into the indexes (every `intervalMs`).
 * Each phase reports records/s, LWTs per record (counted at the driver), the Cassandra
 * process's CPU per record (from /proc) and this process's, and append latency. Cassandra: the node whose pid is
 * `--pid` (default: the one `scripts/cassandra/cassandra.sh` runs, its pid file); a fresh
 * keyspace, dropped after.
 *
 *   npm run build && node dist/bench/cassandraJournal.js [--shards 64] [--writers 8] [--measureMs 10000]
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Checkpointer } from '../actors/conv/Checkpointer.js'
import { ShardJournal } from '../actors/conv/ShardJournal.js'
import type { MsgRecord } from '../src/store/ConvIndex.js'
import { CassandraConvIndex } from '../src/store/cassandra/CassandraConvIndex.js'
import { CassandraShardLog } from '../src/store/cassandra/CassandraShardLog.js'
import { connectCassandra } from '../src/store/cassandra/connect.js'
import { encodeShardRecord } from '../src/store/shardRecordCodec.js'
import { Histogram } from './lib/histogram.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress } from './lib/report.js'

const defaults = { shards: 64, writers: 8, measureMs: 10_000, intervalMs: 100, port: 9042, pid: 0 }
const PID_FILE = fileURLToPath(new URL('../../.cassandra/cassandra.pid', import.meta.url))
const log = (m: string) => progress('cassandraJournal', m)

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

/** Writer `w` of a shard: its own pair, messages numbered 1, 2, 3, … in both streams. */
function record(shard: number, w: number, seq: number): MsgRecord {
  const a = `s${shard}a${w}`
  const b = `s${shard}b${w}`
  return {
    t: 'msg', a, b, sa: seq, sb: seq,
    msg: { msgKey: `${seq}_${a}`, from: a, to: b, msgSeq: seq, random: seq, time: 1700000000 + seq, body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'hello world' } }], seq, flags: 0 },
  }
}

interface Phase { recordsPerSec: number; lwtPerRecord: number; cassandraCpuMsPerRecord: number; clientCpuMsPerRecord: number; checkpoints?: number; latencyMs: ReturnType<Histogram['summaryMs']> }

async function run(p: typeof defaults): Promise<Record<string, unknown>> {
  const pid = p.pid || Number(readFileSync(PID_FILE, 'utf8'))
  const keyspace = `bench_${Date.now().toString(36)}`
  const handle = await connectCassandra({
    contactPoints: [`127.0.0.1:${p.port}`], localDataCenter: 'datacenter1', keyspace,
    replication: { class: 'SimpleStrategy', replication_factor: 1 },
  })
  let lwts = 0
  const execute = handle.client.execute.bind(handle.client) as (...a: unknown[]) => Promise<unknown>
  ;(handle.client as { execute: unknown }).execute = (q: string, ...rest: unknown[]) => {
    if (/ IF /.test(q)) lwts++
    return execute(q, ...rest)
  }
  const slog = new CassandraShardLog(handle)
  const index = new CassandraConvIndex(handle)

  const phase = async (name: string, app: number, append: (shard: number, rec: MsgRecord) => Promise<void>, done?: () => Promise<number>): Promise<Phase> => {
    let records = 0
    let stop = false
    const latency = new Histogram()
    log(`${name}: ${p.shards} shards × ${p.writers} writers for ${p.measureMs} ms`)
    const [cpu0, lwt0, t0, own0] = [cpuSeconds(pid), lwts, Date.now(), process.cpuUsage()]
    const timer = setTimeout(() => { stop = true }, p.measureMs)
    await Promise.all(Array.from({ length: p.shards * p.writers }, async (_, i) => {
      const shard = i % p.shards
      const w = Math.floor(i / p.shards)
      for (let seq = 1; !stop; seq++) {
        const t1 = performance.now()
        await append(shard, record(shard, w, seq))
        latency.record((performance.now() - t1) * 1000)
        records++
      }
    }))
    clearTimeout(timer)
    const checkpoints = done ? await done() : undefined
    const seconds = (Date.now() - t0) / 1000
    const out: Phase = {
      recordsPerSec: Math.round(records / seconds),
      lwtPerRecord: Number(((lwts - lwt0) / records).toFixed(4)),
      cassandraCpuMsPerRecord: Number(((cpuSeconds(pid) - cpu0) * 1000 / records).toFixed(3)),
      clientCpuMsPerRecord: Number((((u) => u.user + u.system)(process.cpuUsage(own0)) / 1000 / records).toFixed(3)),
      ...(checkpoints !== undefined ? { checkpoints } : {}),
      latencyMs: latency.summaryMs(),
    }
    log(`${name}: ${out.recordsPerSec} records/s, ${out.lwtPerRecord} LWT per record, Cassandra ${out.cassandraCpuMsPerRecord} ms CPU per record ` +
      `(this process ${out.clientCpuMsPerRecord} ms), ${checkpoints ?? 0} checkpoints, ` +
      `p50 ${out.latencyMs.p50} ms, p99 ${out.latencyMs.p99} ms`)
    return out
  }

  try {
    const next = new Map<number, number>()
    for (let shard = 0; shard < p.shards; shard++) await slog.open({ app: 1, shard })
    const logOnly = await phase('log', 1, (shard, rec) => {
      const lsn = (next.get(shard) ?? 0) + 1
      next.set(shard, lsn)
      return slog.append({ app: 1, shard }, lsn, encodeShardRecord(rec))
    })
    const cp = new Checkpointer(slog, index, { intervalMs: p.intervalMs })
    const journals = await Promise.all(Array.from({ length: p.shards }, async (_, shard) => {
      const j = new ShardJournal({ app: 2, shard }, cp)
      await j.open()
      return j
    }))
    const journal = await phase('journal', 2, (shard, rec) => journals[shard]!.append(rec).then(() => undefined), async () => {
      await cp.close()
      return cp.runs
    })
    return { bench: 'cassandraJournal', params: p, machine: machineInfo(), code: codeVersion(), log: logOnly, journal }
  } finally {
    await handle.client.execute(`DROP KEYSPACE ${keyspace}`)
    await slog.close()
    await index.close()
  }
}

printResult(await run(parseFlags(process.argv.slice(2), defaults)))
