/**
 * Starting the benchmarked servers, each in its own process: a Parley node (serverMain.ts,
 * configured through PARLEY_* like `parley start`, LMDB in a fresh temp dir), the raw uWS
 * relay (relayMain.ts), or a room baseline of the broadcast benchmark (roomUwsMain.ts,
 * roomSocketIoMain.ts). Both are forked with the thread probe preloaded and `--expose-gc`, and
 * their stdout and stderr go to this process's stderr, keeping stdout for the result line.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
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
  const proc = await startProcess('parley', here('./serverMain.js'), env, o.execArgv ?? [])
  return { ...proc, dataDir, removeData: () => rmSync(dataDir, { recursive: true, force: true }) }
}

export function startRelay(): Promise<ServerProcess> {
  return startProcess('relay', here('./relayMain.js'), { ...process.env }, [])
}

/** A room baseline of the broadcast benchmark, in its own process. */
export function startRoomBaseline(kind: 'uws-room' | 'socketio-room'): Promise<ServerProcess> {
  return startProcess(kind, here(kind === 'uws-room' ? './roomUwsMain.js' : './roomSocketIoMain.js'), { ...process.env }, [])
}

async function startProcess(kind: ServerKind, script: string, env: NodeJS.ProcessEnv, extraArgv: string[]): Promise<ServerProcess> {
  const child = fork(script, [], {
    env,
    execArgv: ['--require', here('./threadProbe.cjs'), '--expose-gc', ...extraArgv],
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
