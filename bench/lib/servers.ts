/**
 * Starting the benchmarked servers, each in its own process: a Parley node (serverMain.ts,
 * configured through PARLEY_* like `parley start`, LMDB in a fresh temp dir), the raw uWS
 * relay (relayMain.ts), or a room baseline of the broadcast benchmark (roomUwsMain.ts,
 * roomSocketIoMain.ts). Both are forked with the thread probe preloaded and `--expose-gc`, and
 * their stdout and stderr go to this process's stderr, keeping stdout for the result line.
 * Also a Parley cluster (several nodes over Redis and Cassandra) and the Cassandra it needs.
 * A Parley server can come from another build (`ParleyOptions.build`: e.g. a worktree of an
 * older commit, for an A/B run); only the server process does, the benchmark and its load
 * clients are always this build's.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import cassandra from 'cassandra-driver'
import { Redis } from 'ioredis'
import type { ServerMessage, ServerRequest } from './serverMessages.js'
import type { MemorySample } from './serverProbe.js'

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url))

export interface BenchApp {
  sdkAppId: number
  secretKey: string
}

export function benchApp(): BenchApp {
  return { sdkAppId: 1400000001, secretKey: randomBytes(32).toString('hex') }
}

/** `uws-room`, `socketio-room`: the broadcast benchmark's raw uWS topic and socket.io baselines. */
export type ServerKind = 'parley' | 'relay' | 'uws-room' | 'socketio-room'

export interface ServerProcess {
  readonly kind: ServerKind
  readonly port: number
  readonly pid: number
  readonly threads: number
  /** Resident and heap memory of the whole server process, after a GC in every thread if `gc`. */
  memory(gc: boolean): Promise<MemorySample>
  /** CPU profiles of the worker threads (Parley only): start, then stop writing into `dir`. */
  profileStart(): Promise<number>
  profileStop(dir: string): Promise<string[]>
  /** Graceful stop (Parley closes sockets with 4101 and flushes LMDB); killed after 20 s. */
  stop(): Promise<void>
}

export interface ParleyOptions {
  app: BenchApp
  threads: number
  /** Reuse this data directory (e.g. a restart); default a fresh temp dir removed by `removeData`. */
  dataDir?: string
  /** Extra node flags for the server process (e.g. --cpu-prof). */
  execArgv?: string[]
  /** More PARLEY_* settings (e.g. a cluster node's Redis and Cassandra). */
  env?: Record<string, string>
  /** PARLEY_NODE_ID (default `bench`). */
  nodeId?: string
  /** The build to run (`parleyBuild`); default this one. */
  build?: ParleyBuild
}

/** Where a Parley build's benchmark server entry is, and the directory its process runs in. */
export interface ParleyBuild {
  /** The build's root (holding `dist/`); undefined for this build. */
  dir: string | undefined
  serverMain: string
  threadProbe: string
}

/**
 * This build (no `dir`), or the build in `dir`: a checkout holding a built `dist/` (its own
 * `dist/bench/lib/serverMain.js`, and its `node_modules`), or that `dist/` itself. Throws,
 * naming what is missing, when `dir` holds no built server entry. An older build without
 * `threadProbe.cjs` gets this build's probe (it only answers memory and profile requests).
 */
export function parleyBuild(dir?: string): ParleyBuild {
  const own = { serverMain: here('./serverMain.js'), threadProbe: here('./threadProbe.cjs') }
  if (!dir) return { dir: undefined, ...own }
  const abs = resolve(dir)
  const lib = [join(abs, 'dist', 'bench', 'lib'), join(abs, 'bench', 'lib')].find((d) => existsSync(join(d, 'serverMain.js')))
  if (!lib) throw new Error(`${abs} holds no built Parley (no dist/bench/lib/serverMain.js): run npm ci && npm run build there`)
  const probe = join(lib, 'threadProbe.cjs')
  return { dir: dirname(dirname(dirname(lib))), serverMain: join(lib, 'serverMain.js'), threadProbe: existsSync(probe) ? probe : own.threadProbe }
}

export interface ParleyServer extends ServerProcess {
  readonly dataDir: string
  /** Deletes the data directory (after `stop`). */
  removeData(): void
}

export async function startParley(o: ParleyOptions): Promise<ParleyServer> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-bench-'))
  const env = {
    ...process.env,
    PARLEY_HOST: '127.0.0.1',
    PARLEY_PORT: '0',
    PARLEY_DATA_DIR: dataDir,
    PARLEY_THREADS: String(o.threads),
    PARLEY_NODE_ID: o.nodeId ?? 'bench',
    PARLEY_APPS: JSON.stringify([{ sdkAppId: o.app.sdkAppId, secretKey: o.app.secretKey, admins: ['administrator'] }]),
    PARLEY_REDIS_URL: '',
    PARLEY_CASSANDRA_CONTACT_POINTS: '',
    ...o.env,
  }
  const build = o.build ?? parleyBuild()
  const proc = await startProcess('parley', build.serverMain, env, o.execArgv ?? [], build)
  return { ...proc, dataDir, removeData: () => rmSync(dataDir, { recursive: true, force: true }) }
}

export interface ClusterOptions {
  app: BenchApp
  nodes: number
  /** Worker threads per node. */
  threads: number
  /** PARLEY_REDIS_PREFIX: a fresh one per run keeps runs apart on the shared Redis. */
  redisPrefix: string
  redisUrl: string
  cassandraPort: number
  /** PARLEY_CASSANDRA_KEYSPACE: created by the first node; the caller drops it after. */
  keyspace: string
  /** More PARLEY_* settings for every node. */
  env?: Record<string, string>
  /** The build every node runs (`parleyBuild`); default this one. */
  build?: ParleyBuild
}

/**
 * Starts `nodes` Parley nodes in cluster mode (ids bench1 … benchN, LMDB dirs unused but made):
 * the first alone, since it creates the keyspace, then the others together. If any fails to
 * start, those started are stopped and their data removed before the error is thrown.
 */
export async function startParleyCluster(o: ClusterOptions): Promise<ParleyServer[]> {
  const env = {
    PARLEY_REDIS_URL: o.redisUrl, PARLEY_REDIS_PREFIX: o.redisPrefix,
    PARLEY_CASSANDRA_CONTACT_POINTS: `127.0.0.1:${o.cassandraPort}`, PARLEY_CASSANDRA_KEYSPACE: o.keyspace,
    PARLEY_LOG_LEVEL: 'warn',
    ...o.env,
  }
  const start = (i: number) => startParley({ app: o.app, threads: o.threads, env, nodeId: `bench${i}`, build: o.build })
  const first = await start(1)
  const rest = await Promise.allSettled(Array.from({ length: o.nodes - 1 }, (_, i) => start(i + 2)))
  const started = [first, ...rest.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))]
  const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) {
    await stopAll(started)
    throw failed.reason
  }
  return started
}

/** Stops every server (in parallel) and removes each one's data. */
export async function stopAll(servers: ParleyServer[]): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()))
  for (const s of servers) s.removeData()
}

const CASSANDRA_SH = fileURLToPath(new URL('../../../scripts/cassandra/cassandra.sh', import.meta.url))

/** The Cassandra a benchmark uses: its pid, and whether this benchmark started it (and so stops it after). */
export interface CassandraHandle {
  pid: number
  startedByBench: boolean
  /** Stops the node if this benchmark started it; otherwise does nothing (someone else's node). */
  release(): void
}

/**
 * Uses the Cassandra (scripts/cassandra/cassandra.sh) that answers on `port`; when none does,
 * fetches the jars and starts one, which `release` stops again.
 */
export function ensureCassandra(port: number, log: (m: string) => void): CassandraHandle {
  const env = { ...process.env, PARLEY_CASSANDRA_PORT: String(port) }
  const sh = (cmd: string) => execFileSync('bash', [CASSANDRA_SH, cmd], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 2] })
  let status = ''
  try {
    status = sh('status') // `running: pid <pid>, …`; exit 3 when not running
  } catch {
    status = ''
  }
  let startedByBench = false
  if (!status.startsWith('running')) {
    log('no Cassandra answers; fetching and starting one (scripts/cassandra/cassandra.sh)')
    sh('fetch')
    status = sh('start') // `started <pid>`, or `running <pid>` when another start won the race
    startedByBench = status.startsWith('started')
  }
  const pid = Number(/(\d+)/.exec(status)?.[1])
  if (!Number.isInteger(pid)) throw new Error(`cassandra.sh said ${JSON.stringify(status)}, no pid`)
  return { pid, startedByBench, release: () => { if (startedByBench) sh('stop') } }
}

/** Drops `keyspace` (logged, not thrown, when that fails). */
export async function dropKeyspace(port: number, keyspace: string, log: (m: string) => void): Promise<void> {
  const client = new cassandra.Client({ contactPoints: [`127.0.0.1:${port}`], localDataCenter: 'datacenter1' })
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)
  } catch (e) {
    log(`could not drop keyspace ${keyspace}: ${String(e)}`)
  } finally {
    await client.shutdown()
  }
}

/** Deletes every Redis key under `prefix` (`<prefix>:…`, a cluster run's PARLEY_REDIS_PREFIX); logged, not thrown, when that fails. */
export async function deleteRedisKeys(url: string, prefix: string, log: (m: string) => void): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 })
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } catch (e) {
    log(`could not delete Redis keys under ${prefix}: ${String(e)}`)
  } finally {
    redis.disconnect()
  }
}

/** The oldest process named exactly `name` (e.g. the machine's redis-server), if any. */
export function pidOf(name: string): number | undefined {
  try {
    const out = execFileSync('pgrep', ['-o', '-x', name], { encoding: 'utf8' }).trim()
    return out ? Number(out) : undefined
  } catch {
    return undefined
  }
}

export function startRelay(): Promise<ServerProcess> {
  return startProcess('relay', here('./relayMain.js'), { ...process.env }, [])
}

/** A room baseline of the broadcast benchmark, in its own process. */
export function startRoomBaseline(kind: 'uws-room' | 'socketio-room'): Promise<ServerProcess> {
  return startProcess(kind, here(kind === 'uws-room' ? './roomUwsMain.js' : './roomSocketIoMain.js'), { ...process.env }, [])
}

/** Forks `script` with `build`'s thread probe, in `build`'s directory when it is another build. */
async function startProcess(kind: ServerKind, script: string, env: NodeJS.ProcessEnv, extraArgv: string[],
  build: ParleyBuild = parleyBuild()): Promise<ServerProcess> {
  const child = fork(script, [], {
    env,
    cwd: build.dir,
    execArgv: ['--require', build.threadProbe, '--expose-gc', ...extraArgv],
    stdio: ['ignore', 2, 2, 'ipc'],
  })
  const ready = await new Promise<Extract<ServerMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${kind} server did not start in 30 s`)) }, 30_000)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${kind} server exited with ${code} before ready`)) })
    child.on('message', (m: ServerMessage) => {
      if (m.type === 'ready') { clearTimeout(timer); child.removeAllListeners('exit'); resolve(m) }
    })
  })
  const rpc = requester(child)
  return {
    kind,
    port: ready.port,
    pid: child.pid!,
    threads: ready.threads,
    memory: async (gc) => (await rpc({ type: 'mem', gc })).mem!,
    profileStart: async () => (await rpc({ type: 'profStart' })).started ?? 0,
    profileStop: async (dir) => (await rpc({ type: 'profStop', dir })).files ?? [],
    stop: () => stopChild(child, rpc),
  }
}

type Reply = Extract<ServerMessage, { type: 'reply'; ok: true }>
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

function requester(child: ChildProcess): (req: DistributiveOmit<ServerRequest, 'id'>) => Promise<Reply> {
  let nextId = 1
  const waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>()
  child.on('message', (m: ServerMessage) => {
    if (m.type !== 'reply') return
    const w = waiting.get(m.id)
    if (!w) return
    waiting.delete(m.id)
    if (m.ok) w.resolve(m)
    else w.reject(new Error(m.error))
  })
  child.on('exit', () => {
    for (const w of waiting.values()) w.reject(new Error('server process exited'))
    waiting.clear()
  })
  return (req) => new Promise((resolve, reject) => {
    if (!child.connected) return reject(new Error('server process is gone'))
    const id = nextId++
    waiting.set(id, { resolve, reject })
    child.send({ ...req, id } as ServerRequest)
  })
}

async function stopChild(child: ChildProcess, rpc: ReturnType<typeof requester>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  rpc({ type: 'stop' }).catch(() => undefined)
  await exited
  clearTimeout(timer)
}
