/**
 * Diagnostic (not part of run-all): the embedded store alone, as the c2c path uses it.
 *
 * `committers` simulated sessions per worker thread each commit, one after another, what a
 * session commits for one stored one-to-one message (inbox event, message, conversation,
 * dedupe record) through `LmdbMessageStore.commit`, which resolves once the commit is synced
 * to disk. Runs: one committer on one thread (the latency floor of one durable commit), then
 * `committers` on 1 thread, then on `threads` threads sharing the one LMDB environment, as
 * Parley's worker threads do. Nothing else runs on those threads, so the commits/s are the
 * store's ceiling; Parley stores each delivered message twice (receiver's and sender's view).
 *
 * `--records` narrows what each commit holds (a comma list of `inbox`, `message` — the message
 * and its msgKey index entry —, `conversation`, `dedupe`; default all four), to see what each
 * record kind costs.
 *
 *   npm run build && node dist/bench/store.js [--committers 500] [--threads 2] [--measureMs 8000] [--records inbox]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { openLmdbStores } from '../src/store/lmdb/openLmdbStores.js'
import type { ConvId } from '../src/protocol/events.js'
import type { MsgElement, StoredMessage } from '../src/model/message.js'
import { cpuSeconds } from './lib/clients.js'
import { Histogram, type HistogramData } from './lib/histogram.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress, round } from './lib/report.js'

interface Job { dir: string; committers: number; measureMs: number; tag: string; records: string[] }
interface JobResult { commits: number; latency: HistogramData }

const RECORD_KINDS = ['inbox', 'message', 'conversation', 'dedupe']
const defaults = { committers: 500, threads: 2, measureMs: 8000, records: RECORD_KINDS.join(',') }
const log = (m: string) => progress('store', m)

/** In a worker: `committers` loops of commit-and-await for `measureMs`. */
async function runJob(job: Job): Promise<JobResult> {
  const stores = await openLmdbStores(job.dir)
  const hist = new Histogram()
  let commits = 0
  const end = performance.now() + job.measureMs
  const body: MsgElement[] = [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'benchmark message, 36 bytes of text' } }]
  const conv = 'c2c:peer' as ConvId
  const has = (r: string) => job.records.includes(r)
  await Promise.all(Array.from({ length: job.committers }, async (_, i) => {
    const owner = { app: 1, user: `${job.tag}${i}` }
    for (let seq = 1; performance.now() < end; seq++) {
      const msg: StoredMessage = { msgKey: `${seq}_${seq}_1`, from: 'peer', to: owner.user, msgSeq: seq, random: seq, time: 1, body, seq, flags: 0 }
      const t = performance.now()
      await stores.messages.commit(owner, {
        inbox: has('inbox') ? [{ type: 'msg', seq, conv, msg }] : undefined,
        messages: has('message') ? [{ conv, msg }] : undefined,
        conversations: has('conversation')
          ? [{ conv, lastSeq: seq, lastMsg: msg, lastTime: 1, unread: seq, readSeq: 0, pinned: false, deleted: false }]
          : undefined,
        dedupe: has('dedupe') ? [{ conv, random: seq, record: { msgKey: msg.msgKey, time: 1 } }] : undefined,
      })
      hist.record((performance.now() - t) * 1000)
      commits++
    }
  }))
  await stores.close()
  return { commits, latency: hist.toData() }
}

async function runThreads(threads: number, committers: number, measureMs: number, records: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-store-'))
  try {
    const cpu0 = await cpuSeconds(process.pid)
    const results = await Promise.all(Array.from({ length: threads }, (_, t) => new Promise<JobResult>((resolve, reject) => {
      const job: Job = { dir, committers, measureMs, tag: `t${t}u`, records }
      const w = new Worker(new URL(import.meta.url), { workerData: job })
      w.once('message', resolve)
      w.once('error', reject)
    })))
    const cores = ((await cpuSeconds(process.pid)) - cpu0) / (measureMs / 1000)
    const hist = new Histogram()
    for (const r of results) hist.add(r.latency)
    const commits = results.reduce((a, r) => a + r.commits, 0)
    const out = { threads, committersPerThread: committers, commitsPerSec: round(commits / (measureMs / 1000), 0), cores: round(cores, 2), latencyMs: hist.summaryMs() }
    log(`${threads} thread(s) × ${committers} committers: ${out.commitsPerSec} commits/s, p50 ${out.latencyMs.p50} ms, p99 ${out.latencyMs.p99} ms, ${out.cores} cores`)
    return out
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(p: typeof defaults): Promise<void> {
  const records = p.records.split(',').map((r) => r.trim())
  const unknown = records.filter((r) => !RECORD_KINDS.includes(r))
  if (unknown.length) throw new Error(`--records: unknown record kind(s) ${unknown.join(', ')}; known: ${RECORD_KINDS.join(',')}`)
  const single = await runThreads(1, 1, p.measureMs, records)
  const oneThread = await runThreads(1, p.committers, p.measureMs, records)
  const allThreads = await runThreads(p.threads, p.committers, p.measureMs, records)
  printResult({
    bench: 'store', date: new Date().toISOString(), machine: machineInfo(), code: codeVersion(), params: p,
    singleCommitter: single, oneThread, allThreads,
    c2cCeilingMsgsPerSec: round(allThreads.commitsPerSec / 2, 0),
  })
}

if (isMainThread) {
  main(parseFlags(process.argv.slice(2), defaults)).catch((e: unknown) => {
    process.stderr.write(`store failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exitCode = 1
  })
} else {
  runJob(workerData as Job).then((r) => parentPort!.postMessage(r))
}
