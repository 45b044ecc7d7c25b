/**
 * Diagnostic (not part of run-all): the durable work of one one-to-one message, old design
 * against new, in one process and one run, on a fresh LMDB environment each.
 *
 * - `journal` (the one-writer design, docs/one-writer.md): a conversation shard appends one
 *   record per message to its ShardLog (the only write before the ack) and checkpoints the
 *   derived indexes (history, both users' streams and views, shard heads) in batches: one
 *   Checkpointer for all `shards` journals (default 4,000 records or 100 ms).
 * - `views` (today's path): two LmdbMessageStore commits per message, the receiver's view
 *   (inbox event, message, msgKey, conversation, dedupe) and then the sender's.
 *
 * Each is measured at saturation (`pairs` conversations, each with one message in flight:
 * append and await, then the next) and at a fixed offered `rate` (messages issued every
 * 10 ms, open loop). Reported: messages/s, CPU µs per message (this process, user + system,
 * LMDB's write thread included), ack latency p50/p99.
 *
 *   npm run build && node dist/bench/journal.js [--pairs 500] [--rate 1000] [--measureMs 6000]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Checkpointer } from '../actors/conv/Checkpointer.js'
import { ShardJournal } from '../actors/conv/ShardJournal.js'
import type { MsgElement, StoredMessage } from '../src/model/message.js'
import type { MsgRecord } from '../src/store/ConvIndex.js'
import { LmdbConvIndex } from '../src/store/lmdb/LmdbConvIndex.js'
import { LmdbMessageStore } from '../src/store/lmdb/LmdbMessageStore.js'
import { LmdbShardLog } from '../src/store/lmdb/LmdbShardLog.js'
import { openLmdb } from '../src/store/lmdb/openLmdb.js'
import { Histogram } from './lib/histogram.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress, round } from './lib/report.js'

const defaults = { pairs: 500, rate: 1000, measureMs: 6000, shards: 64 }
type Params = typeof defaults
const log = (m: string) => progress('journal', m)
const body: MsgElement[] = [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'benchmark message, 36 bytes of text' } }]

/** Sends one message of pair `i` and resolves when it is durable. */
type SendOne = (i: number) => Promise<void>

interface Design { send: SendOne; close(): Promise<void> }

function message(a: string, b: string, seq: number): StoredMessage {
  return { msgKey: `${seq}_${seq}_1700000000`, from: a, to: b, msgSeq: seq, random: seq, time: 1700000000, body, seq, flags: 0 }
}

function journalDesign(dir: string, p: Params): Promise<Design> {
  const handle = openLmdb(dir)
  const log = new LmdbShardLog(handle)
  const index = new LmdbConvIndex(handle)
  const cp = new Checkpointer(log, index)
  const journals = Array.from({ length: p.shards }, (_, shard) => new ShardJournal({ app: 1, shard }, cp))
  const seqs = new Array<number>(p.pairs).fill(0)
  return Promise.all(journals.map((j) => j.open())).then(() => ({
    send: async (i) => {
      const seq = ++seqs[i]!
      const rec: MsgRecord = { t: 'msg', a: `a${i}`, b: `b${i}`, msg: message(`a${i}`, `b${i}`, seq), sa: seq, sb: seq }
      await journals[i % p.shards]!.append(rec)
    },
    close: async () => {
      await cp.close()
      await handle.close()
    },
  }))
}

async function viewsDesign(dir: string, p: Params): Promise<Design> {
  const store = new LmdbMessageStore(openLmdb(dir))
  const seqs = new Array<number>(p.pairs).fill(0)
  return {
    send: async (i) => {
      const seq = ++seqs[i]!
      const msg = message(`a${i}`, `b${i}`, seq)
      for (const [user, conv, incoming] of [[`b${i}`, `c2c:a${i}`, true], [`a${i}`, `c2c:b${i}`, false]] as const) {
        await store.commit({ app: 1, user }, {
          inbox: [{ type: 'msg', seq, conv, msg }],
          messages: [{ conv, msg }],
          conversations: [{ conv, lastSeq: seq, lastMsg: msg, lastTime: msg.time, unread: incoming ? seq : 0, readSeq: incoming ? 0 : seq, pinned: false, deleted: false }],
          dedupe: [{ conv: incoming ? conv : `${conv}\u0001sent`, random: seq, record: { msgKey: msg.msgKey, time: msg.time } }],
        })
      }
    },
    close: () => store.close(),
  }
}

interface Run { msgsPerSec: number; cpuUsPerMsg: number; cores: number; latencyMs: { p50: number; p99: number } }

async function measure(design: Design, p: Params, rate: number | undefined): Promise<Run> {
  const hist = new Histogram()
  let done = 0
  const timed = async (i: number) => {
    const t = performance.now()
    await design.send(i)
    hist.record((performance.now() - t) * 1000)
    done++
  }
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const end = t0 + p.measureMs
  if (rate === undefined) {
    await Promise.all(Array.from({ length: p.pairs }, async (_, i) => {
      while (performance.now() < end) await timed(i)
    }))
  } else {
    const perTick = rate / 100
    let owed = 0
    let next = 0
    const inFlight: Promise<void>[] = []
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (performance.now() >= end) {
          clearInterval(timer)
          resolve()
          return
        }
        owed += perTick
        for (; owed >= 1; owed--) inFlight.push(timed(next++ % p.pairs))
      }, 10)
    })
    await Promise.all(inFlight)
  }
  const secs = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const cpuUs = cpu.user + cpu.system
  const s = hist.summaryMs()
  return { msgsPerSec: round(done / secs, 0), cpuUsPerMsg: round(cpuUs / done, 1), cores: round(cpuUs / 1e6 / secs, 2), latencyMs: { p50: s.p50, p99: s.p99 } }
}

async function runDesign(name: string, open: (dir: string, p: Params) => Promise<Design>, p: Params) {
  const out: Record<string, Run> = {}
  for (const [phase, rate] of [['saturation', undefined], [`rate${p.rate}`, p.rate]] as const) {
    const dir = mkdtempSync(join(tmpdir(), `parley-bench-journal-${name}-`))
    try {
      const design = await open(dir, p)
      const r = await measure(design, p, rate)
      await design.close()
      log(`${name} ${phase}: ${r.msgsPerSec} msgs/s, ${r.cpuUsPerMsg} µs CPU/msg, ${r.cores} cores, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`)
      out[phase] = r
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return out
}

async function main(p: Params): Promise<void> {
  const views = await runDesign('views', viewsDesign, p)
  const journal = await runDesign('journal', journalDesign, p)
  printResult({
    bench: 'journal', date: new Date().toISOString(), machine: machineInfo(), code: codeVersion(), params: p,
    views, journal,
    ratios: {
      saturation: round(journal['saturation']!.msgsPerSec / views['saturation']!.msgsPerSec, 2),
      cpuPerMsgAtRate: round(journal[`rate${p.rate}`]!.cpuUsPerMsg / views[`rate${p.rate}`]!.cpuUsPerMsg, 2),
    },
  })
}

main(parseFlags(process.argv.slice(2), defaults)).catch((e: unknown) => {
  process.stderr.write(`journal failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
