/**
 * The Redis that integration tests run against, and private redis-servers for tests that
 * must break theirs.
 *
 * `ensureRedis()` resolves `{ url, prefix }` with a fresh key prefix per call:
 * - PARLEY_TEST_REDIS_URL when set (`npm test` sets it); it must answer PING, else the call
 *   rejects;
 * - else 127.0.0.1:6379 when it answers PING;
 * - else a private `redis-server` on a free port, started once for this process (no
 *   persistence); it does not keep the process alive and is killed when the process exits.
 * If none can be had it rejects with the reasons: tests fail, they never skip.
 *
 * `startPrivateRedis()` always starts a new private server that the caller owns and may
 * kill and restart on the same port (`restart()`), as when Redis restarts mid-traffic; the
 * shared server is never touched. Readiness is awaited on the server's own "Ready to accept
 * connections" log line, not by polling.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { Redis } from 'ioredis'
import { freePort } from '../../src/node/freePort.js'

export interface RedisTarget {
  url: string
  /** A key prefix no other test uses: `parley-test:<pid>:<random>`. */
  prefix: string
}

export interface PrivateRedis {
  readonly url: string
  readonly port: number
  /** Kills the server (SIGKILL: its data is lost) and starts a new one on the same port. */
  restart(): Promise<void>
  /** Kills the server; resolves when it has exited. Idempotent. */
  stop(): Promise<void>
}

const LOCAL_URL = 'redis://127.0.0.1:6379'
const READY_TIMEOUT_MS = 10_000

let processRedis: Promise<string> | undefined

export async function ensureRedis(): Promise<RedisTarget> {
  processRedis ??= findRedis()
  const url = await processRedis
  return { url, prefix: freshPrefix() }
}

/** A fresh key prefix. */
export function freshPrefix(): string {
  return `parley-test:${process.pid}:${randomBytes(4).toString('hex')}`
}

/** Deletes every key under `prefix` (test teardown). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => undefined)
  try {
    await client.connect()
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500)
      if (keys.length > 0) await client.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    client.disconnect()
  }
}

/** Resolves undefined when `url` answers PING within a second, else the reason it did not. */
export async function pingRedis(url: string): Promise<string | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  })
  let lastError: Error | undefined
  client.on('error', (e: Error) => (lastError = e))
  try {
    await client.connect()
    const pong = await client.ping()
    return pong === 'PONG' ? undefined : `PING answered ${pong}`
  } catch (err) {
    const cause = lastError ?? err
    return cause instanceof Error ? cause.message : String(cause)
  } finally {
    client.disconnect()
  }
}

async function findRedis(): Promise<string> {
  const configured = process.env['PARLEY_TEST_REDIS_URL']
  if (configured) {
    const why = await pingRedis(configured)
    if (why !== undefined) throw new Error(`Redis at PARLEY_TEST_REDIS_URL=${configured} does not answer: ${why}`)
    return configured
  }
  const local = await pingRedis(LOCAL_URL)
  if (local === undefined) return LOCAL_URL
  try {
    return (await startPrivateRedis()).url
  } catch (err) {
    throw new Error(`no Redis for tests: ${LOCAL_URL} does not answer (${local}) and a private redis-server could not start: ${String(err)}`)
  }
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort()
  let proc = await spawnRedis(port)
  let stopped = false
  const onExit = () => proc.kill('SIGKILL')
  process.once('exit', onExit)
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart() {
      if (stopped) throw new Error('private redis-server was stopped')
      await kill(proc)
      proc = await spawnRedis(port)
    },
    async stop() {
      if (stopped) return
      stopped = true
      process.off('exit', onExit)
      await kill(proc)
    },
  }
}

function spawnRedis(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const fail = (why: string) => {
      cleanup()
      proc.kill('SIGKILL')
      reject(new Error(`redis-server on port ${port} ${why}; output:\n${output.slice(-2_000)}`))
    }
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        cleanup()
        // Keep draining its output, but let the test process exit while it runs (it is
        // killed on exit).
        for (const s of [proc.stdout, proc.stderr] as (Socket | null)[]) {
          s?.resume()
          s?.unref()
        }
        proc.unref()
        watch(proc)
        resolve(proc)
      }
    }
    const onError = (err: Error) => fail(`could not be spawned (${err.message})`)
    const onExit = (code: number | null) => fail(`exited with ${code}`)
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS)
    const cleanup = () => {
      clearTimeout(timer)
      proc.stdout?.off('data', onData)
      proc.stderr?.off('data', onData)
      proc.off('error', onError)
      proc.off('exit', onExit)
    }
    proc.stdout?.on('data', onData)
    proc.stderr?.on('data', onData)
    proc.once('error', onError)
    proc.once('exit', onExit)
  })
}

/**
 * Exit handlers do not run when the test process is killed (a runner timeout sends
 * SIGKILL), so a small shell watchdog kills the server once the test process is gone. It
 * polls once a second, detached from the test's synchronisation, and ends with the server.
 */
function watch(proc: ChildProcess): void {
  if (proc.pid === undefined) return
  const script = 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; kill -9 "$2" 2>/dev/null'
  const dog = spawn('sh', ['-c', script, 'parley-redis-watchdog', String(process.pid), String(proc.pid)], {
    stdio: 'ignore',
    detached: true,
  })
  dog.on('error', () => undefined)
  dog.unref()
}

function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    // Waiting for the exit is something to wait for: hold the process open until it comes.
    proc.ref()
    proc.once('exit', () => resolve())
    proc.kill('SIGKILL')
  })
}

