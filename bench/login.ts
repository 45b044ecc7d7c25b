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
 * Parley runs in embedded mode, default config, `threads` worker threads.
 *
 *   npm run build && node dist/bench/login.js [--users 10000] [--concurrency 100] …
 */
import { LoadClients, splitSessions, waitForQuiet } from './lib/clients.js'
import type { Target } from './lib/loadProtocol.js'
import { cpuBetween, cpuSnapshot, openAll, type CpuUse, type OpenSummary } from './lib/phases.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress } from './lib/report.js'
import { benchApp, type ServerProcess, startParley, startRelay } from './lib/servers.js'

const defaults = {
  users: 10_000,
  clientProcs: 4,
  concurrency: 100,
  threads: 2,
  timeoutMs: 30_000,
  quietWaitS: 600,
  quietCores: 0.3,
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

    let parley = await startParley({ app, threads: p.threads })
    const dataDir = parley.dataDir
    let newUsers: Storm, reconnect: Storm, afterRestart: Storm
    try {
      newUsers = await storm(p, clients, parley, 'parley new users')
      reconnect = await storm(p, clients, parley, 'parley reconnect')
      await parley.stop()
      parley = await startParley({ app, threads: p.threads, dataDir })
      log(`parley restarted on the same data dir (port ${parley.port})`)
      afterRestart = await storm(p, clients, parley, 'parley after restart')
    } finally {
      await parley.stop()
      parley.removeData()
    }
    const worst = Math.min(newUsers.loginsPerSec, reconnect.loginsPerSec, afterRestart.loginsPerSec)
    return {
      bench: 'login',
      date: new Date().toISOString(),
      machine: { ...machineInfo(), otherCoresBefore },
      code: codeVersion(),
      params: { ...p, token: 'v2 (HMAC-SHA256)', mode: 'embedded', store: 'lmdb' },
      relay: relayStorm,
      parley: { newUsers, reconnect, afterRestart },
      targets: {
        loginsPerSec: {
          target: TARGET_LOGINS_PER_SEC, newUsers: newUsers.loginsPerSec, reconnect: reconnect.loginsPerSec,
          afterRestart: afterRestart.loginsPerSec, met: worst >= TARGET_LOGINS_PER_SEC,
        },
      },
    }
  } finally {
    await clients.stop()
  }
}

async function storm(p: Params, clients: LoadClients, server: ServerProcess, name: string): Promise<Storm> {
  const target: Target = { host: '127.0.0.1', port: server.port }
  const before = await cpuSnapshot(server.pid, clients.pids)
  const s = await openAll(clients, target, p.concurrency, p.timeoutMs)
  // The storm starts at s.startAt, shortly after the snapshot; nothing runs in between.
  const cpu = cpuBetween({ ...before, at: s.startAt }, await cpuSnapshot(server.pid, clients.pids))
  log(`${name}: ${s.loggedIn}/${s.attempted} in ${s.elapsedMs} ms = ${s.loginsPerSec} logins/s; latency p50 ${s.latencyMs.p50} ms, ` +
    `p99 ${s.latencyMs.p99} ms; cpu server ${cpu.serverCores} + clients ${cpu.clientCores} cores; failures ${JSON.stringify(s.failures)}`)
  await clients.all(() => ({ type: 'close', graceMs: 5000 }))
  return { ...s, cpu }
}

run(parseFlags(process.argv.slice(2), defaults)).then(printResult, (e: unknown) => {
  process.stderr.write(`login failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
