/**
 * Memory per idle logged-in connection on one server process.
 *
 * `connections` users, each with one socket, spread over `clientProcs` load processes, log in
 * and stay idle. The server's memory is sampled (after a GC in every thread) before the
 * first connect and `settleMs` after the last login; the deltas divided by the number of
 * connections are the per-connection cost: RSS (and its anonymous part, which excludes LMDB's
 * file-backed pages) and V8 heap summed over every thread. Measured first on the raw uWS relay
 * (connections that sent one frame and got one answer: uWS's own floor), then on Parley in
 * embedded mode (default config, `threads` worker threads, LMDB in a fresh temp dir), where a
 * connection also holds a logged-in session: its socket state and its user's active actor.
 * Parley is measured `rounds` times, each on a fresh server and store; the target (10 kB =
 * 10,240 B) is judged on the worst round.
 *
 *   npm run build && node dist/bench/connections.js [--connections 15000] [--clientProcs 4] …
 */
import { LoadClients, splitSessions, waitForQuiet } from './lib/clients.js'
import type { StatusResult } from './lib/loadProtocol.js'
import { openAll } from './lib/phases.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress, round } from './lib/report.js'
import { benchApp, type ServerProcess, startParley, startRelay } from './lib/servers.js'
import type { MemorySample } from './lib/serverProbe.js'

const defaults = {
  connections: 15_000,
  clientProcs: 4,
  threads: 2,
  connectConcurrency: 100,
  settleMs: 5000,
  rounds: 3,
  quietWaitS: 600,
  quietCores: 0.3,
}
type Params = typeof defaults

/** 10 kB as /proc and `ps` count it (1 kB = 1024 B); the result also says whether 10,000 B holds. */
const TARGET_BYTES_PER_CONN = 10 * 1024
const log = (m: string) => progress('connections', m)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface MemoryRun {
  connected: number
  stillOpen: number
  closedByServer: Record<string, number>
  loginMs: number
  loginsPerSec: number
  before: MemorySample
  after: MemorySample
  perConnection: { rssBytes: number; rssAnonBytes: number; heapBytes: number; heapCommittedBytes: number; externalBytes: number }
}

async function run(p: Params): Promise<Record<string, unknown>> {
  const otherCoresBefore = await waitForQuiet(p.quietWaitS, p.quietCores, log)
  const app = benchApp()
  const clients = LoadClients.start(p.clientProcs)
  try {
    const ranges = splitSessions(p.connections, p.clientProcs, false)
    await clients.all((i) => ({
      type: 'prepare', sessions: { prefix: 'c', ...ranges[i], sdkAppId: app.sdkAppId, secretKey: app.secretKey, pairs: false },
    }))
    log(`${p.connections} sessions over ${p.clientProcs} load processes (${ranges.map((r) => r.count).join('/')})`)

    const relay = await startRelay()
    log(`relay baseline on port ${relay.port}`)
    const relayRun = await measure(p, clients, relay).finally(() => relay.stop())

    // RSS per connection varies between runs with how far V8 grew its heaps during the login
    // storm (the used heap does not): several rounds, each on a fresh server, show the spread.
    const rounds: MemoryRun[] = []
    for (let r = 1; r <= p.rounds; r++) {
      const parley = await startParley({ app, threads: p.threads })
      log(`parley round ${r}/${p.rounds} on port ${parley.port} (${p.threads} threads, data in ${parley.dataDir})`)
      rounds.push(await measure(p, clients, parley).finally(async () => {
        await parley.stop()
        parley.removeData()
      }))
    }
    const per = (f: (m: MemoryRun) => number) => rounds.map(f).sort((a, b) => a - b)
    const rss = per((m) => m.perConnection.rssBytes)
    const heap = per((m) => m.perConnection.heapBytes)
    const minOpen = Math.min(...rounds.map((m) => m.stillOpen))
    const worst = Math.max(rss[rss.length - 1], heap[heap.length - 1])
    return {
      bench: 'connections',
      date: new Date().toISOString(),
      machine: { ...machineInfo(), otherCoresBefore },
      code: codeVersion(),
      params: { ...p, mode: 'embedded', store: 'lmdb' },
      relay: relayRun,
      parley: rounds,
      targets: {
        connections: { target: 15_000, measured: minOpen, met: minOpen >= 15_000 },
        bytesPerIdleConnection: {
          target: TARGET_BYTES_PER_CONN, rssPerRound: rss, heapPerRound: heap,
          met: worst < TARGET_BYTES_PER_CONN, metAgainst10000Bytes: worst < 10_000,
        },
      },
    }
  } finally {
    await clients.stop()
  }
}

async function measure(p: Params, clients: LoadClients, server: ServerProcess): Promise<MemoryRun> {
  const name = server.kind
  await sleep(1000)
  const before = await server.memory(true)
  log(`${name}: before: rss ${mib(before.rssBytes)} MiB (anon ${mib(before.rssAnonBytes)}), heap ${mib(before.heapUsedBytes)} MiB over ${before.threadsSampled} threads`)
  const login = await openAll(clients, { host: '127.0.0.1', port: server.port }, p.connectConcurrency, 60_000)
  log(`${name}: ${login.loggedIn}/${login.attempted} logged in in ${login.elapsedMs} ms (${login.loginsPerSec}/s); failures ${JSON.stringify(login.failures)}`)
  if (login.loggedIn !== login.attempted) throw new Error(`${name}: only ${login.loggedIn}/${login.attempted} logged in`)
  await sleep(p.settleMs)
  const after = await server.memory(true)
  const status = await clients.all<StatusResult>(() => ({ type: 'status' }))
  const stillOpen = status.reduce((a, s) => a + s.open, 0)
  const closedByServer: Record<string, number> = {}
  for (const s of status) for (const [k, v] of Object.entries(s.closedByServer)) closedByServer[k] = (closedByServer[k] ?? 0) + v
  const n = login.loggedIn
  const perConnection = {
    rssBytes: round((after.rssBytes - before.rssBytes) / n, 0),
    rssAnonBytes: round((after.rssAnonBytes - before.rssAnonBytes) / n, 0),
    heapBytes: round((after.heapUsedBytes - before.heapUsedBytes) / n, 0),
    heapCommittedBytes: round((after.heapTotalBytes - before.heapTotalBytes) / n, 0),
    externalBytes: round((after.externalBytes - before.externalBytes) / n, 0),
  }
  log(`${name}: after ${p.settleMs} ms idle with ${stillOpen} open: rss ${mib(after.rssBytes)} MiB (anon ${mib(after.rssAnonBytes)}), heap ${mib(after.heapUsedBytes)} MiB; ` +
    `per connection: rss ${perConnection.rssBytes} B, anon ${perConnection.rssAnonBytes} B, heap ${perConnection.heapBytes} B ` +
    `(committed ${perConnection.heapCommittedBytes} B), external ${perConnection.externalBytes} B`)
  await clients.all(() => ({ type: 'close', graceMs: 5000 }))
  return { connected: n, stillOpen, closedByServer, loginMs: login.elapsedMs, loginsPerSec: login.loginsPerSec, before, after, perConnection }
}

function mib(b: number): number {
  return round(b / 2 ** 20, 1)
}

run(parseFlags(process.argv.slice(2), defaults)).then(printResult, (e: unknown) => {
  process.stderr.write(`connections failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
