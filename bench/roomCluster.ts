/**
 * One large live room over a Parley cluster (the cluster issue's second target): an AVChatRoom
 * with `members` online members spread over `nodes` nodes, next to the single-node broadcast
 * figure from the same run; per-node efficiency = (cluster deliveries/s ÷ nodes) ÷ single-node
 * deliveries/s, target at least 0.7.
 *
 * The broadcast benchmark's harness (bench/lib/room*.ts; see broadcast.ts), against two setups
 * in this order, each with its own room, members and load processes:
 *   - `single`: one node in embedded mode (`threads` worker threads, LMDB), as broadcast.ts's
 *     Parley round, with `members / nodes` members (one node's share; `--singleMembers`);
 *   - `cluster`: `nodes` nodes in cluster mode (`nodeThreads` threads each) over Redis
 *     (127.0.0.1:6379, a fresh key prefix) and Cassandra (the node scripts/cassandra/cassandra.sh
 *     runs: started, and stopped after, only when none answers; a fresh keyspace, dropped after,
 *     like the Redis keys).
 *     Member i's socket goes to node i mod `nodes` (RoomTarget `ports`), so every node holds an
 *     even share and every member process has sockets on every node; the publisher (the room's
 *     owner) is on the first node; the REST set-up calls go to the last node.
 * Member processes: at least `clientProcs` (single) / `clusterClientProcs` (cluster), more when
 * needed to keep each at most `maxSocketsPerProc` sockets (well under 20,000 open files each).
 * Per setup: the room is created over REST, every member logs in, joins and leaves (no join-tip
 * storm; broadcast.ts `--parleyJoin before`), then all log in again and are subscribed at login;
 * then the round of roomPhases.ts: saturation (closed loop, one phase per value of `ahead`, the
 * best counts) → deliveries/s; `rate` msgs/s for `fixedMs` → p50/p99 latency and dropped.
 * PARLEY_GROUP_MSG_RATE is raised to `groupMsgRate` on every node so that saturation measures
 * fan-out, not the per-group limit (40/s by default). Cores: per phase, the Parley processes
 * (each node apart), Cassandra + Redis (`serviceCores`), the load processes and the rest.
 * Both setups run on this one machine, the cluster with three times the members' load on the
 * same cores, so the targets (roomClusterReport.ts) also give deliveries/s per Parley core.
 * `--profile`: CPU profiles of every Parley process's worker threads (roomClusterProfile.ts).
 * Every node, load process, the keyspace and the Redis keys are cleaned up on failure and on
 * SIGINT/SIGTERM too.
 *
 *   npm run build && node dist/bench/roomCluster.js [--members 45000] [--nodes 3] [--nodeThreads 1] [--ahead 16,32,64] [--rate 40] …
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { waitForQuiet } from './lib/clients.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress } from './lib/report.js'
import { roomProfileHooks } from './lib/roomClusterProfile.js'
import { type MemoryReport, roomClusterTargets, type SetupRun } from './lib/roomClusterReport.js'
import { RoomClients } from './lib/roomClients.js'
import { PUBLISHER_ID } from './lib/roomFrames.js'
import { openMembers, prepareRoom, requireAllOpen, type RoomProcesses, runRoomRound } from './lib/roomPhases.js'
import type { RoomTarget } from './lib/roomProtocol.js'
import { createRoom } from './lib/roomSetup.js'
import {
  benchApp, type BenchApp, type CassandraHandle, deleteRedisKeys, dropKeyspace, ensureCassandra, type ParleyServer, pidOf, startParley,
  startParleyCluster, stopAll,
} from './lib/servers.js'

const defaults = {
  members: 45_000,
  /** Members of the single-node setup; 0: members / nodes (one node's share). */
  singleMembers: 0,
  nodes: 3,
  /** Worker threads of the single node (as broadcast.ts) and of each cluster node (as cluster.ts). */
  threads: 2,
  nodeThreads: 1,
  /** Member processes, at least (raised to keep each at most maxSocketsPerProc sockets). */
  clientProcs: 2,
  clusterClientProcs: 6,
  maxSocketsPerProc: 7500,
  sampleEvery: 50,
  rate: 40,
  fixedMs: 20_000,
  /** Saturation: messages kept ahead of the slowest sampled member, one phase per value; the best counts. */
  ahead: '16,32,64',
  warmupMs: 2000,
  measureMs: 10_000,
  drainMs: 30_000,
  quietMs: 5000,
  /** PARLEY_ROOM_COALESCE_MS on every node (its default). */
  coalesceMs: 50,
  /** PARLEY_GROUP_MSG_RATE on every node (its default, 40/s, would cap saturation). */
  groupMsgRate: 1_000_000,
  /** CPU profiles of every Parley process's worker threads during the first saturation phase and the fixed phase. */
  profile: false,
  connectConcurrency: 100,
  /**
   * Members joining at once per process. A group adds members one commit at a time (in a cluster
   * a Cassandra write each), and a join waiting over 10 s inside the server fails with 9007.
   */
  joinConcurrency: 10,
  /** Per member: longest wait to connect and log in (and join), ms. */
  openTimeoutMs: 120_000,
  quietWaitS: 600,
  quietCores: 0.3,
  /** Runs of a phase during which other processes used more than quietCores, at most (the least disturbed counts). */
  attempts: 2,
  cassandraPort: 9042,
  redisUrl: 'redis://127.0.0.1:6379',
}
type Params = typeof defaults

const log = (m: string) => progress('roomCluster', m)

/**
 * What the run still owes: stopped nodes, dropped keyspace, released Cassandra. Each step runs
 * once; a second caller (a `finally` racing a signal) waits for the same run. On a signal,
 * every step not yet run runs, newest first.
 */
interface TeardownStep { label: string; run: () => Promise<void> | void; done?: Promise<void> }

class Teardown {
  private readonly steps: TeardownStep[] = []

  /** Registers `run`; the returned function runs it now (once), e.g. from a `finally`. */
  add(label: string, run: () => Promise<void> | void): () => Promise<void> {
    const step: TeardownStep = { label, run }
    this.steps.push(step)
    return () => this.once(step)
  }

  async all(): Promise<void> {
    for (const step of [...this.steps].reverse()) await this.once(step)
  }

  private once(step: TeardownStep): Promise<void> {
    step.done ??= (async () => {
      try {
        await step.run()
      } catch (e) {
        log(`clean-up "${step.label}" failed: ${String(e)}`)
      }
    })()
    return step.done
  }
}

const teardown = new Teardown()

async function run(p: Params): Promise<Record<string, unknown>> {
  if (p.nodes < 2) throw new Error('--nodes: at least 2')
  const singleMembers = p.singleMembers > 0 ? p.singleMembers : Math.floor(p.members / p.nodes)
  const procsFor = (members: number, atLeast: number) => Math.max(atLeast, Math.ceil(members / p.maxSocketsPerProc))
  const otherCoresBefore = await waitForQuiet(p.quietWaitS, p.quietCores, log)
  const app = benchApp()
  const cas = ensureCassandra(p.cassandraPort, log)
  const releaseCassandra = teardown.add('Cassandra', () => cas.release())
  try {
    const single = await singleSetup(p, app, singleMembers, procsFor(singleMembers, p.clientProcs))
    const cluster = await clusterSetup(p, app, cas, procsFor(p.members, p.clusterClientProcs))
    return {
      bench: 'roomCluster',
      date: new Date().toISOString(),
      machine: { ...machineInfo(), otherCoresBefore },
      code: codeVersion(),
      params: {
        ...p, singleMembers, roomType: 'AVChatRoom',
        single: { mode: 'embedded', store: 'lmdb', threads: p.threads },
        cluster: { mode: 'cluster', nodes: p.nodes, threadsPerNode: p.nodeThreads, store: 'Cassandra 5.0 single node', bus: 'Redis', cassandraStartedByBench: cas.startedByBench },
      },
      single,
      cluster,
      targets: roomClusterTargets(p.nodes, single, cluster),
    }
  } finally {
    await releaseCassandra()
  }
}

function parleyEnv(p: Params): Record<string, string> {
  return { PARLEY_ROOM_COALESCE_MS: String(p.coalesceMs), PARLEY_GROUP_MSG_RATE: String(p.groupMsgRate) }
}

async function singleSetup(p: Params, app: BenchApp, members: number, procs: number): Promise<SetupRun> {
  const server = await startParley({ app, threads: p.threads, env: parleyEnv(p) })
  const stop = teardown.add('single node', async () => { await server.stop(); server.removeData() })
  try {
    log(`single: one node on port ${server.port} (${p.threads} threads, data in ${server.dataDir})`)
    return await measure(p, app, 'single', [server], server.pid, members, procs)
  } finally {
    await stop()
  }
}

async function clusterSetup(p: Params, app: BenchApp, cas: CassandraHandle, procs: number): Promise<SetupRun> {
  const keyspace = `parley_bench_${randomBytes(4).toString('hex')}`
  const redisPrefix = `parley-bench:${randomBytes(4).toString('hex')}`
  const drop = teardown.add(`keyspace ${keyspace} and Redis keys ${redisPrefix}:*`, async () => {
    await dropKeyspace(p.cassandraPort, keyspace, log)
    await deleteRedisKeys(p.redisUrl, redisPrefix, log)
  })
  try {
    const nodes = await startParleyCluster({
      app, nodes: p.nodes, threads: p.nodeThreads, redisUrl: p.redisUrl, redisPrefix, cassandraPort: p.cassandraPort, keyspace, env: parleyEnv(p),
    })
    const stop = teardown.add('cluster nodes', () => stopAll(nodes))
    try {
      log(`cluster: ${p.nodes} nodes on ports ${nodes.map((n) => n.port).join(', ')} (${p.nodeThreads} thread(s) each), keyspace ${keyspace}, Redis prefix ${redisPrefix}`)
      const redisPid = pidOf('redis-server')
      const procsCharged: RoomProcesses = { server: nodes.map((n) => n.pid), services: [cas.pid, ...(redisPid ? [redisPid] : [])] }
      return await measure(p, app, 'cluster', nodes, procsCharged, p.members, procs)
    } finally {
      await stop()
    }
  } finally {
    await drop()
  }
}

/**
 * Creates the room (REST on the last server), gets every member online (joined before, then
 * logged in, spread over the servers), samples memory and runs the round.
 */
async function measure(p: Params, app: BenchApp, name: string, servers: ParleyServer[], charged: number | RoomProcesses,
  members: number, procs: number): Promise<SetupRun> {
  const clients = new RoomClients(procs)
  try {
    const groupId = await createRoom(servers[servers.length - 1].port, app, PUBLISHER_ID)
    const target: RoomTarget = {
      system: 'parley', host: '127.0.0.1', port: servers[0].port, groupId, sdkAppId: app.sdkAppId, secretKey: app.secretKey,
      ...(servers.length > 1 ? { ports: servers.map((s) => s.port) } : {}),
    }
    await prepareRoom(clients, target, members, p.sampleEvery)
    log(`${name}: room ${groupId}; ${members} members over ${procs} processes (${Math.ceil(members / procs)} sockets each at most)` +
      (servers.length > 1 ? `, ${Math.floor(members / servers.length)}+ per node` : ''))
    const join = await openMembers(clients, 'joinAndLeave', p.joinConcurrency, p.openTimeoutMs)
    requireAllOpen(`${name} join`, join)
    log(`${name}: ${join.done} members joined ${groupId} (log in, join, leave) in ${join.elapsedMs} ms (${join.perSec}/s)`)
    const login = await openMembers(clients, 'login', p.connectConcurrency, p.openTimeoutMs)
    requireAllOpen(`${name} login`, login)
    log(`${name}: ${login.done} members logged in (subscribed at login) in ${login.elapsedMs} ms (${login.perSec}/s)`)
    const memory = await sampleMemory(servers, clients)
    log(`${name}: memory with everyone online: servers ${memory.serverRssMiB.join(' + ')} MiB, load processes ${memory.loadRssMiB} MiB`)
    const prof = p.profile ? roomProfileHooks(servers, (m) => log(`${name}: ${m}`)) : undefined
    const round = await runRoomRound(clients, charged, p, name, log, prof?.hooks)
    return { members, clientProcs: procs, join, login, memory, ...round, ...(prof ? { profile: prof.profiles } : {}) }
  } finally {
    await clients.stop()
  }
}

async function sampleMemory(servers: ParleyServer[], clients: RoomClients): Promise<MemoryReport> {
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20)
  const rss = (pid: number) => {
    try {
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024
    } catch {
      return 0
    }
  }
  const samples = await Promise.all(servers.map((s) => s.memory(false)))
  return { serverRssMiB: samples.map((m) => mib(m.rssBytes)), loadRssMiB: mib(clients.pids.reduce((a, pid) => a + rss(pid), 0)) }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`)
    void teardown.all().finally(() => { log('cleaned up'); process.exit(signal === 'SIGINT' ? 130 : 143) })
  })
}

run(parseFlags(process.argv.slice(2), defaults)).then(printResult, (e: unknown) => {
  process.stderr.write(`roomCluster failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
