/**
 * Login storm with v2 (HMAC-SHA256) UserSigs.
 *
 * `users` users, one socket each, spread over `clientProcs` load processes, all start
 * together; each process keeps `concurrency` sockets connecting or logging in at once. A
 * login is: TCP connect, WebSocket upgrade, `login` frame, `res` — timed from the connect to
 * the response; logins/s = all logins / (last response − first connect). Tokens are minted
 * in the load processes before the clock starts. Storms, in order:
 *   - relay: the raw uWS relay answers each `login` frame with a fixed `res ok` (the
 *     harness's and uWS's ceiling: connect + upgrade + one round trip);
 *   - parley new users: a fresh store, so each login also creates the account (a durable write);
 *   - parley reconnect: every user again, same server, actors still active;
 *   - parley after restart: the server restarted on the same data dir, so each login
 *     activates its user's actor from the store (the storm after a deploy or a crash).
 * Parley runs in embedded mode, default config, `threads` worker threads; the three Parley
 * storms are repeated `rounds` times, each round on a fresh store; the target is judged on
 * the median of each storm and, separately, on every round.
 *
 *   npm run build && node dist/bench/login.js [--users 10000] [--concurrency 100] [--profile] …
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LoadClients, splitSessions, waitForQuiet } from './lib/clients.js'
import type { Target } from './lib/loadProtocol.js'
import { cpuBetween, cpuSnapshot, openAll, type CpuUse, type OpenSummary } from './lib/phases.js'
import { summariseProfiles } from './lib/profile.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress } from './lib/report.js'
import { type BenchApp, benchApp, type ServerProcess, startParley, startRelay } from './lib/servers.js'

const defaults = {
  users: 10_000,
  clientProcs: 4,
  concurrency: 100,
  threads: 2,
  timeoutMs: 30_000,
  rounds: 3,
  quietWaitS: 600,
  quietCores: 0.3,
  /** CPU profiles of the server's worker threads over each round's new-user storm, summarised on stderr. */
  profile: false,
}
type Params = typeof defaults

const TARGET_LOGINS_PER_SEC = 5000
const log = (m: string) => progress('login', m)

type Storm = OpenSummary & { cpu: CpuUse }

async function run(p: Params): Promise<Record<string, unknown>> {
  const otherCoresBefore = await waitForQuiet(p.quietWaitS, p.quietCores, log)
  const app = benchApp()
  const clients = LoadClients.start(p.clientProcs)
  try {
    const ranges = splitSessions(p.users, p.clientProcs, false)
    await clients.all((i) => ({
      type: 'prepare', sessions: { prefix: 'l', ...ranges[i], sdkAppId: app.sdkAppId, secretKey: app.secretKey, pairs: false },
    }))
    log(`${p.users} users over ${p.clientProcs} load processes, ${p.concurrency} in flight per process`)

    const relay = await startRelay()
    const relayStorm = await storm(p, clients, relay, 'relay').finally(() => relay.stop())

    const rounds: ParleyRound[] = []
    for (let r = 1; r <= p.rounds; r++) rounds.push(await parleyRound(p, clients, app, `parley ${r}/${p.rounds}`))
    const rates = (k: keyof ParleyRound) => rounds.map((x) => x[k].loginsPerSec)
    const storms = (['newUsers', 'reconnect', 'afterRestart'] as const).map(rates)
    return {
      bench: 'login',
      date: new Date().toISOString(),
      machine: { ...machineInfo(), otherCoresBefore },
      code: codeVersion(),
      params: { ...p, token: 'v2 (HMAC-SHA256)', mode: 'embedded', store: 'lmdb' },
      relay: relayStorm,
      parley: rounds,
      targets: {
        loginsPerSec: {
          target: TARGET_LOGINS_PER_SEC, newUsers: rates('newUsers'), reconnect: rates('reconnect'),
          afterRestart: rates('afterRestart'),
          metByMedian: storms.every((r) => median(r) >= TARGET_LOGINS_PER_SEC),
          metInEveryRound: storms.every((r) => Math.min(...r) >= TARGET_LOGINS_PER_SEC),
        },
      },
    }
  } finally {
    await clients.stop()
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

interface ParleyRound { newUsers: Storm; reconnect: Storm; afterRestart: Storm }

/** One round on a fresh store: new users, the same users again, then again after a restart. */
async function parleyRound(p: Params, clients: LoadClients, app: BenchApp, name: string): Promise<ParleyRound> {
  let parley = await startParley({ app, threads: p.threads })
  try {
    if (p.profile) await parley.profileStart()
    const newUsers = await storm(p, clients, parley, `${name} new users`)
    if (p.profile) {
      const dir = mkdtempSync(join(tmpdir(), 'parley-login-prof-'))
      log(`${name} new users: worker-thread CPU profile (${dir}): ${JSON.stringify(summariseProfiles(await parley.profileStop(dir), 25))}`)
    }
    const reconnect = await storm(p, clients, parley, `${name} reconnect`)
    await parley.stop()
    parley = await startParley({ app, threads: p.threads, dataDir: parley.dataDir })
    log(`${name}: restarted on the same data dir (port ${parley.port})`)
    const afterRestart = await storm(p, clients, parley, `${name} after restart`)
    return { newUsers, reconnect, afterRestart }
  } finally {
    await parley.stop()
    parley.removeData()
  }
}

async function storm(p: Params, clients: LoadClients, server: ServerProcess, name: string): Promise<Storm> {
  const target: Target = { host: '127.0.0.1', port: server.port }
  const before = await cpuSnapshot(server.pid, clients.pids)
  const s = await openAll(clients, target, p.concurrency, p.timeoutMs)
  // The storm starts at s.startAt, shortly after the snapshot; nothing runs in between.
  const cpu = cpuBetween({ ...before, at: s.startAt }, await cpuSnapshot(server.pid, clients.pids))
  log(`${name}: ${s.loggedIn}/${s.attempted} in ${s.elapsedMs} ms = ${s.loginsPerSec} logins/s; latency p50 ${s.latencyMs.p50} ms, ` +
    `p99 ${s.latencyMs.p99} ms; cpu server ${cpu.serverCores} + load ${cpu.clientCores} + other ${cpu.otherCores} cores; failures ${JSON.stringify(s.failures)}`)
  await clients.all(() => ({ type: 'close', graceMs: 5000 }))
  return { ...s, cpu }
}

run(parseFlags(process.argv.slice(2), defaults)).then(printResult, (e: unknown) => {
  process.stderr.write(`login failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
