/**
 * The Cassandra that integration tests run against, and throwaway keyspaces on it.
 *
 * `ensureCassandra()` uses the node at PARLEY_CASSANDRA_CONTACT_POINTS (comma-separated
 * `host[:port]`) when set, else 127.0.0.1:PARLEY_CASSANDRA_PORT (default 9042). If nothing
 * answers there and no contact points were given, it runs `scripts/cassandra/cassandra.sh
 * fetch` and `start` and stops that node when the test process exits. If Cassandra can be
 * neither reached nor started it rejects with the reason: tests fail, they never skip.
 *
 * `npm test` starts the node before tap, so every test file finds it running; the start
 * here is for running one file alone. Two files run in parallel without a running node
 * would share the first one's node, which stops when that file's process exits.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../src/node/freePort.js'
import { fileURLToPath } from 'node:url'
import cassandra from 'cassandra-driver'

export interface CassandraTarget {
  contactPoints: string[]
  localDataCenter: string
}

const script = fileURLToPath(new URL('../../scripts/cassandra/cassandra.sh', import.meta.url))

export async function ensureCassandra(): Promise<CassandraTarget> {
  const configured = process.env['PARLEY_CASSANDRA_CONTACT_POINTS']
  const target: CassandraTarget = {
    contactPoints: configured
      ? configured.split(',').map((s) => s.trim()).filter(Boolean)
      : [`127.0.0.1:${process.env['PARLEY_CASSANDRA_PORT'] ?? '9042'}`],
    localDataCenter: process.env['PARLEY_CASSANDRA_LOCAL_DC'] ?? 'datacenter1',
  }
  const first = await probe(target)
  if (first === undefined) return target
  if (configured) {
    throw new Error(`Cassandra at PARLEY_CASSANDRA_CONTACT_POINTS=${configured} does not answer: ${first}`)
  }
  await runScript('fetch')
  const started = await runScript('start')
  if (started.startsWith('started ')) {
    process.once('exit', () => {
      spawnSync('bash', [script, 'stop'], { stdio: ['ignore', 'ignore', 'inherit'] })
    })
  }
  const again = await probe(target)
  if (again !== undefined) throw new Error(`Cassandra started by ${script} does not answer: ${again}`)
  return target
}

/** A fresh keyspace name: `prefix_` + 12 random hex digits. */
export function freshKeyspaceName(prefix = 'parley_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`
}

/** Runs CQL statements on a short-lived connection (test setup and teardown). */
export async function runCql(target: CassandraTarget, statements: string[]): Promise<void> {
  const client = new cassandra.Client({ ...target })
  try {
    for (const cql of statements) await client.execute(cql)
  } finally {
    await client.shutdown()
  }
}

/** Resolves undefined when a real query answers, else the reason it did not. */
async function probe(target: CassandraTarget): Promise<string | undefined> {
  const client = new cassandra.Client({
    ...target,
    socketOptions: { connectTimeout: 3000, readTimeout: 10000 },
    pooling: { warmup: false },
  })
  try {
    await client.execute('SELECT release_version FROM system.local')
    return undefined
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  } finally {
    await client.shutdown().catch(() => undefined)
  }
}

export interface PrivateCassandra {
  readonly target: CassandraTarget
  readonly pid: number
  /** Freezes the process (SIGSTOP): connections stay open, nothing answers. */
  pause(): void
  /** Thaws it (SIGCONT). */
  resume(): void
  /** Stops it and removes its state directory. Idempotent. */
  stop(): Promise<void>
}

/**
 * A second, private Cassandra node that a test owns and may freeze, on its own ports and state
 * directory (the jars are shared with the test Cassandra's). Started with a small heap by
 * scripts/cassandra/cassandra.sh, which waits until a real query answers.
 */
export async function startPrivateCassandra(): Promise<PrivateCassandra> {
  await runScript('fetch') // idempotent: the shared node's jars, reused through a symlink
  const home = mkdtempSync(join(tmpdir(), 'parley-cassandra-'))
  const root = fileURLToPath(new URL('../../', import.meta.url))
  symlinkSync(join(root, '.cassandra', 'lib'), join(home, 'lib'))
  const port = await freePort()
  const env = {
    ...process.env, PARLEY_CASSANDRA_HOME: home, PARLEY_CASSANDRA_PORT: String(port),
    PARLEY_CASSANDRA_STORAGE_PORT: String(await freePort()), PARLEY_CASSANDRA_HEAP: '512m',
  }
  const started = await runScript('start', env)
  const m = /^started (\d+)/.exec(started)
  if (!m) throw new Error(`private Cassandra did not start: ${started}`)
  const pid = Number(m[1])
  let stopping: Promise<void> | undefined
  const stop = () => (stopping ??= (async () => {
    try { process.kill(pid, 'SIGCONT') } catch { /* gone */ }
    await runScript('stop', env).catch(() => undefined)
    rmSync(home, { recursive: true, force: true })
  })())
  process.once('exit', () => { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } })
  return {
    target: { contactPoints: [`127.0.0.1:${port}`], localDataCenter: 'datacenter1' },
    pid,
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    stop,
  }
}

/** Runs `cassandra.sh <cmd>`, its stderr passed through; resolves its stdout's last line. */
function runScript(cmd: 'fetch' | 'start' | 'stop', env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, cmd], { stdio: ['ignore', 'pipe', 'inherit'], env })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(out.trim().split('\n').pop() ?? '')
      else reject(new Error(`Cassandra is not reachable and \`${script} ${cmd}\` failed (exit ${code}); see its output above`))
    })
  })
}
