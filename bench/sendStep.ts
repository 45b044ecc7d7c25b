/**
 * Diagnostic (not part of run-all): the one-to-one send path in one process and one thread,
 * through the real actor runtime (ActorHost), real actors and a real durable LMDB
 * environment, without sockets — old design against new in one run.
 *
 * - `chain` (today's path): `sendC2C` (src/services/c2c.ts) asks the receiver's and the
 *   sender's UserSession in turn; each stores its view with its own commit.
 * - `shard` (the one-writer design): one ask to the pair's ConvShard, which appends one record
 *   and pushes through both users' sessions (pushes counted and dropped here).
 *
 * Both users of every pair have one device attached. Each pair keeps `window` sends in flight
 * for `measureMs`. Reported: sends/s, CPU µs per send (this process: JS, GC and LMDB's write
 * thread), answer latency p50/p99.
 *
 *   npm run build && node dist/bench/sendStep.js [--pairs 500] [--window 1] [--measureMs 5000] [--only chain|shard]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Checkpointer } from '../actors/conv/Checkpointer.js'
import { ConvShard } from '../actors/conv/ConvShard.js'
import type { ConvShardDeps } from '../actors/conv/deps.js'
import { convShardActor } from '../actors/conv/protocol.js'
import { convShard } from '../actors/conv/shardOfPair.js'
import { LocalConnectionRegistry } from '../actors/connections.js'
import type { ActorDeps } from '../actors/deps.js'
import { userActor } from '../actors/user/protocol.js'
import { UserSession } from '../actors/user/UserSession.js'
import { createAppRegistry } from '../src/model/apps.js'
import type { C2CSendRequest } from '../src/model/message.js'
import { sendC2C } from '../src/services/c2c.js'
import { LmdbConvIndex } from '../src/store/lmdb/LmdbConvIndex.js'
import { LmdbShardLog } from '../src/store/lmdb/LmdbShardLog.js'
import { openLmdb } from '../src/store/lmdb/openLmdb.js'
import { openLmdbStores } from '../src/store/lmdb/openLmdbStores.js'
import { Histogram } from './lib/histogram.js'
import { OneHost } from './lib/oneHost.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress, round } from './lib/report.js'

const APP = 1400000009
const defaults = { pairs: 500, window: 1, measureMs: 5000, warmupMs: 1000, only: '' }
type Params = typeof defaults
const log = (m: string) => progress('sendStep', m)
type Deps = ActorDeps & ConvShardDeps

const body: C2CSendRequest['body'] = [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'benchmark message, 36 bytes of text' } }]
let random = 1
const request = (to: string): C2CSendRequest => {
  const r = random++
  return { to, msgSeq: r & 0xffff, random: r, body, syncOtherMachine: 1, onlineOnly: false, needReadReceipt: false, noUnread: false, noLastMsg: false }
}

async function run(design: 'chain' | 'shard', p: Params) {
  const dir = mkdtempSync(join(tmpdir(), `parley-bench-step-${design}-`))
  const stores = await openLmdbStores(dir)
  const handle = openLmdb(dir)
  const checkpointer = new Checkpointer(new LmdbShardLog(handle), new LmdbConvIndex(handle))
  const deps: Deps = {
    ...stores, connections: LocalConnectionRegistry, groupMsgRate: 40, checkpointer, convShards: 64,
    apps: createAppRegistry([{ sdkAppId: APP, secretKey: 'k', admins: ['admin'], multiLogin: 'unlimited', recallWindowSeconds: 120 }]),
  }
  const one = new OneHost<Deps>({ factories: { user: (ctx) => new UserSession(ctx), convs: (ctx) => new ConvShard(ctx) }, deps })
  const r = one.router
  let conn = 1
  for (let i = 0; i < p.pairs; i++) {
    for (const u of [`a${i}`, `b${i}`]) {
      await r.ask(userActor(APP, u), { kind: 'importAccount' })
      await r.ask(userActor(APP, u), { kind: 'attach', conn: { node: 'n1', thread: 0, conn: conn++ }, platform: 'Web', sigTime: 0 })
    }
  }
  const send = design === 'chain'
    ? (i: number) => sendC2C(r, APP, `a${i}`, request(`b${i}`), Date.now())
    : (i: number) => r.ask(convShardActor(APP, convShard(APP, `a${i}`, `b${i}`)), { kind: 'send', from: `a${i}`, req: request(`b${i}`), nowMs: Date.now() })
  const hist = new Histogram()
  let done = 0
  let measuring = false
  const t0 = performance.now()
  const end = t0 + p.warmupMs + p.measureMs
  let cpu0 = process.cpuUsage()
  let m0 = 0
  setTimeout(() => {
    measuring = true
    cpu0 = process.cpuUsage()
    m0 = performance.now()
  }, p.warmupMs)
  await Promise.all(Array.from({ length: p.pairs * p.window }, async (_, k) => {
    const i = k % p.pairs
    while (performance.now() < end) {
      const t = performance.now()
      await send(i)
      if (measuring) {
        hist.record((performance.now() - t) * 1000)
        done++
      }
    }
  }))
  const secs = (performance.now() - m0) / 1000
  const cpu = process.cpuUsage(cpu0)
  await one.host.stop()
  await checkpointer.close()
  await handle.close()
  await stores.close()
  rmSync(dir, { recursive: true, force: true })
  const s = hist.summaryMs()
  const out = { sendsPerSec: round(done / secs, 0), cpuUsPerSend: round((cpu.user + cpu.system) / done, 1), cores: round((cpu.user + cpu.system) / 1e6 / secs, 2), latencyMs: { p50: s.p50, p99: s.p99 }, pushes: one.pushes }
  log(`${design}: ${out.sendsPerSec} sends/s, ${out.cpuUsPerSend} µs CPU/send, ${out.cores} cores, p50 ${s.p50} ms, p99 ${s.p99} ms`)
  return out
}

async function main(p: Params): Promise<void> {
  if (p.only === 'chain' || p.only === 'shard') {
    printResult({ bench: 'sendStep', date: new Date().toISOString(), machine: machineInfo(), code: codeVersion(), params: p, [p.only]: await run(p.only, p) })
    return
  }
  const chain = await run('chain', p)
  const shard = await run('shard', p)
  printResult({
    bench: 'sendStep', date: new Date().toISOString(), machine: machineInfo(), code: codeVersion(), params: p, chain, shard,
    ratios: { sendsPerSec: round(shard.sendsPerSec / chain.sendsPerSec, 2), cpuPerSend: round(shard.cpuUsPerSend / chain.cpuUsPerSend, 2) },
  })
}

main(parseFlags(process.argv.slice(2), defaults)).catch((e: unknown) => {
  process.stderr.write(`sendStep failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
