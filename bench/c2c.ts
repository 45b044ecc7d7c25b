/**
 * One-to-one messaging throughput and latency.
 *
 * `pairs` sender→receiver pairs of logged-in sockets, spread over `clientProcs` load
 * processes (both ends of a pair in one process, so one clock stamps and reads a message).
 * Against each server, in this order:
 *   1. saturation: every pair keeps `window` messages in flight → delivered messages/s;
 *   2. fixed load: `rate` messages/s offered in total (open loop, stamped with the intended
 *      send time) → achieved rate and end-to-end latency (send → receiver's socket);
 *   3. (Parley only) if the fixed load missed the latency target, the same at 80%, 60%, 40%,
 *      20%, 10% of the lower of `rate` and the saturation rate, stopping at the first rate
 *      sustained (≥ 97% delivered in the window, nothing backlogged or left undelivered)
 *      with p99 under the target.
 * With `--rates 1000,2000,5000,10000`, a rate sweep replaces steps 2 and 3 on every server:
 * each offered rate in turn, open loop as in step 2, reported per rate (`sweep`: delivered/s,
 * p50/p99/max latency, server cores, server CPU µs per delivered message, sustained), and
 * `issue14` checks issue 14's targets (cores at 1,000/s, p99 at 5,000/s and 10,000/s).
 * Servers: the raw uWS relay baseline (one thread, forwards frames to the paired socket),
 * then Parley in embedded mode with its default config, `threads` worker threads and a
 * durable LMDB store in a fresh temp dir. With `--baseline DIR` (a checkout of another commit
 * with its `dist/` built: `npm ci && npm run build` there; scripts/bench-ab.mjs makes one), the
 * baseline build's Parley server is measured too, between the relay and this build, with the
 * same load clients and phases (only the server process comes from DIR); `ab` holds the
 * ratios current / baseline: saturation delivered/s, and server cores and CPU per message at
 * each rate both measured. Server and load processes share the machine's cores;
 * each phase reports the cores used by the server, the load processes and everything else,
 * and a phase disturbed by other processes (above `quietCores`) is repeated, up to `attempts`
 * runs (default 3). `--relay false --attempts 1` gives a quick Parley-only run.
 *
 *   npm run build && node dist/bench/c2c.js [--pairs 500] [--rate 10000] [--measureMs 10000] …
 *   node dist/bench/c2c.js --baseline /tmp/parley-ab/REV --rates 1000,2000,5000,10000   (or scripts/bench-ab.mjs)
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LoadClients, splitSessions, waitForQuiet } from './lib/clients.js'
import type { Target } from './lib/loadProtocol.js'
import { openAll, type PhaseSpec, runTraffic, sleepUntil, sustained, type TrafficSummary } from './lib/phases.js'
import { summariseProfiles } from './lib/profile.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress } from './lib/report.js'
import { compareRates, compareSaturation, cpuUsPerDelivered, issue14Targets, parseRates, type RatePoint, ratePoint } from './lib/abSummary.js'
import { benchApp, type BenchApp, parleyBuild, type ParleyBuild, type ServerProcess, startParley, startRelay } from './lib/servers.js'

const c2cDefaults = {
  pairs: 500,
  clientProcs: 2,
  threads: 2,
  window: 8,
  rate: 10_000,
  warmupMs: 3000,
  measureMs: 10_000,
  drainMs: 30_000,
  connectConcurrency: 100,
  profile: false,
  /** Which phase `--profile` samples: `saturation`, or `fixed` (the offered rate: where per-message costs at low load show). */
  profilePhase: 'saturation',
  quietWaitS: 600,
  quietCores: 0.3,
  /** Runs of a disturbed phase, at most (1 = never repeat; for quick A/B runs on a busy machine). */
  attempts: 3,
  /** Also measure the raw uWS relay baseline (false: Parley only, for quick A/B runs). */
  relay: true,
  /** Offered rates to sweep, comma-separated (e.g. `1000,2000,5000,10000`); replaces the `rate` phase and the step-down. '' = no sweep. */
  rates: '',
  /** Another build's directory (holding its built `dist/`): its Parley server is measured too, and `ab` compares. '' = none. */
  baseline: '',
}
type C2CParams = typeof c2cDefaults

const TARGET_DELIVERED = 20_000
const TARGET_P99_MS = 50
const log = (m: string) => progress('c2c', m)

type Phase = TrafficSummary & { attempts: number }

interface ServerRun {
  login: { loggedIn: number; elapsedMs: number }
  saturation: Phase
  /** Without `--rates`: the `rate` phase. */
  fixed?: Phase
  /** Without `--rates`, only when `fixed` missed the latency target: lower offered rates, down to the first that met it. */
  lower?: Phase[]
  /** With `--rates`: one point per offered rate, in the order given. */
  sweep?: RatePoint[]
  profile?: ReturnType<typeof summariseProfiles> & { dir: string }
}

async function runC2C(p: C2CParams): Promise<Record<string, unknown>> {
  const rates = parseRates(p.rates)
  const baselineBuild = p.baseline ? parleyBuild(p.baseline) : undefined
  const otherCoresBefore = await waitForQuiet(p.quietWaitS, p.quietCores, log)
  const app = benchApp()
  const clients = LoadClients.start(p.clientProcs)
  try {
    const ranges = splitSessions(p.pairs * 2, p.clientProcs, true)
    const prepared = await clients.all<{ sendFrameBytes: number }>((i) => ({
      type: 'prepare', sessions: { prefix: 'u', ...ranges[i], sdkAppId: app.sdkAppId, secretKey: app.secretKey, pairs: true },
    }))
    log(`${p.pairs} pairs over ${p.clientProcs} load processes; send frame ${prepared[0].sendFrameBytes} bytes`)

    let relayRun: ServerRun | undefined
    if (p.relay) {
      const relay = await startRelay()
      log(`relay baseline on port ${relay.port}`)
      relayRun = await measure(p, rates, clients, relay, 'relay', false).finally(() => relay.stop())
    }

    const baselineRun = baselineBuild && await measureParley(p, rates, clients, app, baselineBuild, 'baseline')
    const parleyRun = await measureParley(p, rates, clients, app, parleyBuild(), 'parley')

    const saturationAB = baselineRun && compareSaturation(baselineRun.saturation, parleyRun.saturation, relayRun?.saturation)
    return {
      bench: 'c2c',
      date: new Date().toISOString(),
      machine: { ...machineInfo(), otherCoresBefore },
      code: codeVersion(),
      params: { ...p, sendFrameBytes: prepared[0].sendFrameBytes, store: 'lmdb (durable: a send is acknowledged after fsync)', mode: 'embedded' },
      relay: relayRun,
      ...(baselineBuild && { baselineBuild: { dir: baselineBuild.dir, code: codeVersion(baselineBuild.dir) }, baseline: baselineRun }),
      parley: parleyRun,
      ...(saturationAB && { ab: { saturation: saturationAB, rates: compareRates(baselineRun?.sweep ?? abPoint(baselineRun), parleyRun.sweep ?? abPoint(parleyRun)) } }),
      ...(parleyRun.fixed ? { targets: issue2Targets(p, parleyRun) } : { issue14: issue14Targets(parleyRun.sweep ?? [], saturationAB) }),
    }
  } finally {
    await clients.stop()
  }
}

/** Starts a Parley server of `build` (fresh data dir), measures it, stops it and removes its data. */
async function measureParley(p: C2CParams, rates: number[], clients: LoadClients, app: BenchApp, build: ParleyBuild, name: string): Promise<ServerRun> {
  const server = await startParley({ app, threads: p.threads, build })
  log(`${name}: parley${build.dir ? ` from ${build.dir}` : ''} on port ${server.port} (${p.threads} threads, data in ${server.dataDir})`)
  return measure(p, rates, clients, server, name, p.profile).finally(async () => {
    await server.stop()
    server.removeData()
  })
}

/** Without a sweep, the fixed `rate` phase is the one rate both builds measured. */
function abPoint(run: ServerRun | undefined): RatePoint[] {
  return run?.fixed ? [ratePoint(run.fixed)] : []
}

/** Issue 2's targets (kept for runs without `--rates`): saturation, and p99 at `rate` or the highest lower rate meeting it. */
function issue2Targets(p: C2CParams, run: ServerRun) {
  const atRate = run.fixed!
  const runs = [atRate, ...(run.lower ?? [])]
  const summary = (t: TrafficSummary | undefined) => t && {
    offeredPerSec: t.offeredPerSec, achievedPerSec: t.deliveredPerSec, p50: t.latencyMs.p50, p99: t.latencyMs.p99,
  }
  return {
    deliveredPerSec: { target: TARGET_DELIVERED, measured: run.saturation.deliveredPerSec, met: run.saturation.deliveredPerSec >= TARGET_DELIVERED },
    p99AtOfferedMs: {
      target: TARGET_P99_MS, targetOfferedPerSec: p.rate,
      atTargetRate: { ...summary(atRate), sustained: sustained(atRate) },
      highestSustained: summary(runs.find(sustained)),
      highestMeetingP99: summary(runs.find(meetsLatency)),
      met: meetsLatency(atRate),
    },
  }
}

async function measure(p: C2CParams, rates: number[], clients: LoadClients, server: ServerProcess, name: string, profile: boolean): Promise<ServerRun> {
  const target: Target = { host: '127.0.0.1', port: server.port }
  const login = await openAll(clients, target, p.connectConcurrency, 30_000)
  if (login.loggedIn !== login.attempted) throw new Error(`${name}: only ${login.loggedIn}/${login.attempted} logged in: ${JSON.stringify(login.failures)}`)
  log(`${name}: ${login.loggedIn} sockets logged in in ${login.elapsedMs} ms`)

  const common = { warmupMs: p.warmupMs, measureMs: p.measureMs, drainMs: p.drainMs, maxInflight: Math.max(p.rate, ...rates, p.pairs * p.window) }
  let prof: ServerRun['profile']
  const profiler = profile && server.kind === 'parley'
    ? async (from: number, to: number) => {
        const dir = mkdtempSync(join(tmpdir(), 'parley-bench-prof-'))
        await sleepUntil(from)
        await server.profileStart()
        await sleepUntil(to)
        const files = await server.profileStop(dir)
        prof = { dir, ...summariseProfiles(files) }
      }
    : undefined
  /**
   * Runs a phase; on this shared machine, a phase during which other processes used more than
   * `quietCores` is run again (after waiting for quiet), up to 3 attempts. The result is the
   * least disturbed attempt, with the number of attempts made.
   */
  const phase = async (label: string, spec: PhaseSpec, during?: typeof profiler): Promise<Phase> => {
    const tries: TrafficSummary[] = []
    for (;;) {
      const t = await runTraffic(clients, server.pid, spec, during)
      tries.push(t)
      log(`${name}: ${label}: ${describe(t)}`)
      if (t.cpu.otherCores <= p.quietCores || tries.length >= p.attempts) break
      log(`${name}: ${label}: other processes used ${t.cpu.otherCores} cores meanwhile; repeating`)
      await waitForQuiet(Math.min(120, p.quietWaitS), p.quietCores, log)
    }
    const best = tries.reduce((a, b) => (b.cpu.otherCores < a.cpu.otherCores ? b : a))
    return { ...best, attempts: tries.length }
  }
  const atFixed = p.profilePhase === 'fixed'
  const saturation = await phase(`saturation (window ${p.window}/pair)`, { mode: 'closed', window: p.window, totalRatePerSec: 0, ...common }, atFixed ? undefined : profiler)
  if (prof) logProfile(prof)

  const loginSummary = { loggedIn: login.loggedIn, elapsedMs: login.elapsedMs }
  if (rates.length > 0) {
    // The sweep: each offered rate in turn (a `fixed` profile samples the first).
    const sweep: RatePoint[] = []
    for (const [i, rate] of rates.entries()) {
      const t = await phase(`sweep: offered ${rate}/s`, { mode: 'open', window: 0, totalRatePerSec: rate, ...common }, atFixed && i === 0 ? profiler : undefined)
      if (prof && atFixed && i === 0) logProfile(prof)
      sweep.push(ratePoint(t))
    }
    await clients.all(() => ({ type: 'close', graceMs: 3000 }))
    return { login: loginSummary, saturation, sweep, profile: prof }
  }

  const fixed = await phase(`offered ${p.rate}/s`, { mode: 'open', window: 0, totalRatePerSec: p.rate, ...common }, atFixed ? profiler : undefined)
  if (prof && atFixed) logProfile(prof)

  // If the fixed rate missed the latency target, lower rates (80%, 60%, … of the saturation
  // rate) until one is sustained with p99 under the target, or the steps run out.
  const lower: Phase[] = []
  if (!meetsLatency(fixed) && server.kind === 'parley') {
    for (const share of [0.8, 0.6, 0.4, 0.2, 0.1]) {
      const rate = Math.max(100, Math.floor((Math.min(p.rate, saturation.deliveredPerSec) * share) / 100) * 100)
      const t = await phase(`offered ${rate}/s`, { mode: 'open', window: 0, totalRatePerSec: rate, ...common })
      lower.push(t)
      if (meetsLatency(t)) break
    }
  }
  await clients.all(() => ({ type: 'close', graceMs: 3000 }))
  return { login: loginSummary, saturation, fixed, lower, profile: prof }
}

function meetsLatency(t: TrafficSummary): boolean {
  return sustained(t) && t.latencyMs.p99 < TARGET_P99_MS
}

function describe(t: TrafficSummary): string {
  const parts = [
    `${t.deliveredPerSec} delivered/s`, `p50 ${t.latencyMs.p50} ms`, `p99 ${t.latencyMs.p99} ms`,
    `cpu server ${t.cpu.serverCores} + load ${t.cpu.clientCores} + other ${t.cpu.otherCores} cores`,
    `server ${cpuUsPerDelivered(t.cpu.serverCores, t.deliveredPerSec) ?? '-'} µs per delivered message`,
  ]
  if (t.offeredPerSec !== undefined) parts.push(`sustained ${sustained(t)}`)
  if (Object.keys(t.sendErrors).length > 0) parts.push(`errors ${JSON.stringify(t.sendErrors)}`)
  if (t.backlogged > 0) parts.push(`${t.backlogged} sends skipped (in-flight cap)`)
  if (t.undelivered > 0) parts.push(`${t.undelivered} undelivered after the drain: ${JSON.stringify(t.stuckPairs)}`)
  return parts.join(', ')
}

function logProfile(prof: NonNullable<ServerRun['profile']>): void {
  log(`server worker-thread CPU profile (${prof.samples} samples, files in ${prof.dir}); by area: ${JSON.stringify(prof.areas)}`)
  for (const t of prof.top) log(`  ${String(t.pct).padStart(5)}%  ${t.fn}`)
}

runC2C(parseFlags(process.argv.slice(2), c2cDefaults)).then(printResult, (e: unknown) => {
  process.stderr.write(`c2c failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
