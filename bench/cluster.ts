/**
 * Cross-node one-to-one messaging on the Cassandra store (the cluster issue's first target),
 * next to the single-node LMDB figure from the same run.
 *
 * `pairs` sender→receiver pairs over `clientProcs` load processes. Against each setup:
 *   1. saturation: every pair keeps `window` messages in flight → delivered messages/s;
 *   2. fixed load: `rate` messages/s offered (default 2,500: half the 5,000 target) →
 *      achieved rate and p50/p99 latency (target p99 < 100 ms).
 * Setups, in this order:
 *   - `lmdb`: one Parley node in embedded mode, `threads` worker threads, durable LMDB;
 *   - `cluster`: three Parley nodes (cluster mode, `nodeThreads` threads each) over Redis and
 *     Cassandra; each pair's sender and receiver are logged in to different nodes, so every
 *     message crosses nodes (gateway → sequencer's node → other session's node → socket).
 *   - `baseline` (with `--baseline DIR`, before `cluster`): the same three-node cluster run by
 *     another build (a checkout with its `dist/` built, e.g. from scripts/bench-ab.mjs; only
 *     the server processes come from DIR); `ab` holds the ratios current / baseline of the
 *     cross-node saturation (issue 14's target: ≥ 5×) and of the fixed phase.
 * `--lmdb false` skips the single-node setup.
 * Redis: 127.0.0.1:6379 (a fresh key prefix, its keys deleted after). Cassandra: the node `scripts/cassandra/
 * cassandra.sh` runs (started, and stopped after, when none answers), a fresh keyspace per
 * cluster dropped after. Server cores = the Parley processes plus, for a cluster, Cassandra and Redis.
 *
 *   npm run build && node dist/bench/cluster.js [--pairs 300] [--rate 2500] [--measureMs 10000] [--profile] …
 *   node dist/bench/cluster.js --baseline /tmp/parley-ab/REV [--lmdb false]   (or scripts/bench-ab.mjs --bench cluster)
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LoadClients, splitSessions, waitForQuiet } from './lib/clients.js'
import type { Target } from './lib/loadProtocol.js'
import { openAll, type PhaseSpec, runTraffic, sustained, type TrafficSummary } from './lib/phases.js'
import { summariseProfiles } from './lib/profile.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress } from './lib/report.js'
import { compareRates, compareSaturation, ratePoint, ratioTarget } from './lib/abSummary.js'
import {
  benchApp, type BenchApp, deleteRedisKeys, dropKeyspace, ensureCassandra, type ParleyBuild, parleyBuild, type ParleyServer, pidOf,
  startParley, startParleyCluster, stopAll,
} from './lib/servers.js'

const defaults = {
  pairs: 300,
  clientProcs: 2,
  threads: 2,
  nodeThreads: 1,
  window: 8,
  rate: 2500,
  warmupMs: 3000,
  measureMs: 10_000,
  drainMs: 30_000,
  connectConcurrency: 50,
  quietWaitS: 600,
  quietCores: 0.3,
  cassandraPort: 9042,
  /** CPU profiles of every node's worker threads over the saturation phases, summarised on stderr. */
  profile: false,
  /** Another build's directory (holding its built `dist/`): its cluster is measured too, and `ab` compares. '' = none. */
  baseline: '',
  /** Measure the single LMDB node (false: the cluster(s) only). */
  lmdb: true,
}
type Params = typeof defaults

const TARGET_DELIVERED = 5000
const TARGET_P99_MS = 100
const REDIS_URL = 'redis://127.0.0.1:6379'
const log = (m: string) => progress('cluster', m)

interface SetupRun {
  login: { loggedIn: number; elapsedMs: number }
  saturation: TrafficSummary
  fixed: TrafficSummary
}

async function run(p: Params): Promise<Record<string, unknown>> {
  const baselineBuild = p.baseline ? parleyBuild(p.baseline) : undefined
  const otherCoresBefore = await waitForQuiet(p.quietWaitS, p.quietCores, log)
  const app = benchApp()
  const cas = ensureCassandra(p.cassandraPort, log)
  const redisPid = pidOf('redis-server')
  const clients = LoadClients.start(p.clientProcs)
  try {
    const ranges = splitSessions(p.pairs * 2, p.clientProcs, true)
    await clients.all((i) => ({
      type: 'prepare', sessions: { prefix: 'u', ...ranges[i], sdkAppId: app.sdkAppId, secretKey: app.secretKey, pairs: true },
    }))

    let lmdb: SetupRun | undefined
    if (p.lmdb) {
      const single = await startParley({ app, threads: p.threads })
      log(`lmdb: one node on port ${single.port} (${p.threads} threads)`)
      lmdb = await measure(p, clients, 'lmdb', [single], [single.pid]).finally(async () => {
        await single.stop()
        single.removeData()
      })
    }

    const extraPids = [cas.pid, ...(redisPid ? [redisPid] : [])]
    const baseline = baselineBuild && await measureCluster(p, clients, app, baselineBuild, 'baseline', extraPids)
    const cluster = await measureCluster(p, clients, app, parleyBuild(), 'cluster', extraPids)
    const ab = baseline && {
      crossNodeSaturation: compareSaturation(baseline.saturation, cluster.saturation),
      fixed: compareRates([ratePoint(baseline.fixed)], [ratePoint(cluster.fixed)]),
    }

    return {
      bench: 'cluster',
      date: new Date().toISOString(),
      machine: { ...machineInfo(), otherCoresBefore },
      code: codeVersion(),
      params: { ...p, store: { lmdb: 'LMDB, fsync per batch', cluster: 'Cassandra 5.0 single node, LOCAL_QUORUM + LWT head fence' }, cassandraStartedByBench: cas.startedByBench },
      lmdb,
      ...(baselineBuild && { baselineBuild: { dir: baselineBuild.dir, code: codeVersion(baselineBuild.dir) }, baseline }),
      cluster,
      ...(ab && { ab }),
      targets: {
        ...(ab && { crossNodeSaturationRatio: ratioTarget(5, ab.crossNodeSaturation.deliveredPerSec) }),
        deliveredPerSec: { target: TARGET_DELIVERED, measured: cluster.saturation.deliveredPerSec, met: cluster.saturation.deliveredPerSec >= TARGET_DELIVERED },
        p99AtHalfRateMs: {
          target: TARGET_P99_MS, offeredPerSec: p.rate, sustained: sustained(cluster.fixed),
          p50: cluster.fixed.latencyMs.p50, p99: cluster.fixed.latencyMs.p99,
          met: sustained(cluster.fixed) && cluster.fixed.latencyMs.p99 < TARGET_P99_MS,
        },
      },
    }
  } finally {
    await clients.stop()
    cas.release()
  }
}

/** Starts three nodes of `build` (fresh keyspace and Redis prefix), measures them, stops them and removes their data. */
async function measureCluster(p: Params, clients: LoadClients, app: BenchApp, build: ParleyBuild, name: string, extraPids: number[]): Promise<SetupRun> {
  const keyspace = `parley_bench_${randomBytes(4).toString('hex')}`
  const prefix = `parley-bench:${randomBytes(4).toString('hex')}`
  const nodes = await startParleyCluster({
    app, nodes: 3, threads: p.nodeThreads, redisUrl: REDIS_URL, redisPrefix: prefix, cassandraPort: p.cassandraPort, keyspace, build,
  })
  log(`${name}: three nodes${build.dir ? ` from ${build.dir}` : ''} on ports ${nodes.map((n) => n.port).join(', ')} (${p.nodeThreads} thread(s) each), keyspace ${keyspace}`)
  return measure(p, clients, name, nodes, [...nodes.map((n) => n.pid), ...extraPids]).finally(async () => {
    await stopAll(nodes)
    await dropKeyspace(p.cassandraPort, keyspace, log)
    await deleteRedisKeys(REDIS_URL, prefix, log)
  })
}

async function measure(p: Params, clients: LoadClients, name: string, servers: ParleyServer[], pids: number[]): Promise<SetupRun> {
  const target: Target = { host: '127.0.0.1', port: servers[0].port, ports: servers.map((s) => s.port) }
  const login = await openAll(clients, target, p.connectConcurrency, 60_000)
  if (login.loggedIn !== login.attempted) throw new Error(`${name}: only ${login.loggedIn}/${login.attempted} logged in: ${JSON.stringify(login.failures)}`)
  log(`${name}: ${login.loggedIn} sockets logged in in ${login.elapsedMs} ms`)
  const common = { warmupMs: p.warmupMs, measureMs: p.measureMs, drainMs: p.drainMs, maxInflight: Math.max(p.rate, p.pairs * p.window) }
  const phase = async (label: string, spec: PhaseSpec): Promise<TrafficSummary> => {
    const t = await runTraffic(clients, pids, spec)
    log(`${name}: ${label}: ${t.deliveredPerSec} delivered/s, p50 ${t.latencyMs.p50} ms, p99 ${t.latencyMs.p99} ms, ` +
      `cpu server ${t.cpu.serverCores} + load ${t.cpu.clientCores} + other ${t.cpu.otherCores}` +
      (t.offeredPerSec !== undefined ? `, sustained ${sustained(t)}` : '') +
      (Object.keys(t.sendErrors).length ? `, errors ${JSON.stringify(t.sendErrors)}` : ''))
    return t
  }
  if (p.profile) await Promise.all(servers.map((s) => s.profileStart()))
  const saturation = await phase(`saturation (window ${p.window}/pair)`, { mode: 'closed', window: p.window, totalRatePerSec: 0, ...common })
  if (p.profile) {
    const dir = mkdtempSync(join(tmpdir(), `parley-prof-${name}-`))
    const files = (await Promise.all(servers.map((s) => s.profileStop(dir)))).flat()
    const sum = summariseProfiles(files, 30)
    log(`${name}: CPU profile of the worker threads over saturation (${dir}): ${JSON.stringify(sum)}`)
  }
  const fixed = await phase(`offered ${p.rate}/s`, { mode: 'open', window: 0, totalRatePerSec: p.rate, ...common })
  await clients.all(() => ({ type: 'close', graceMs: 3000 }))
  return { login: { loggedIn: login.loggedIn, elapsedMs: login.elapsedMs }, saturation, fixed }
}

run(parseFlags(process.argv.slice(2), defaults)).then(printResult, (e: unknown) => {
  process.stderr.write(`cluster failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
