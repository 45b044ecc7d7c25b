/**
 * Runs test/helpers/serverMain.ts as a child process (the TypeScript source, under the same
 * loader as this test process, so no build is needed) and lets a test SIGKILL it and start it
 * again on the same data directory and port. Not a test file itself.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AppConfig } from '../../src/model/apps.js'
import { freePort } from '../../src/node/freePort.js'

export { freePort }

const MAIN = fileURLToPath(new URL('./serverMain.ts', import.meta.url))

export interface ServerProcessOptions {
  dataDir: string
  port: number
  apps: AppConfig[]
  threads?: number
  /** Node name (default `killable`). */
  nodeId?: string
  /**
   * Extra PARLEY_* settings, e.g. PARLEY_REDIS_URL and PARLEY_CASSANDRA_CONTACT_POINTS for a
   * cluster node. Without them the node is embedded (the test runner's own service variables
   * are not passed on).
   */
  env?: Record<string, string>
}

export interface ServerProcess {
  readonly proc: ChildProcess
  readonly port: number
  /** Resolves with the exit code or signal once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals | null>
  /** `kill -9`, then waits for the exit. */
  kill9(): Promise<void>
  /** SIGTERM (graceful stop; SIGKILL if it takes over 10 s), then waits for the exit. Idempotent. */
  stop(): Promise<void>
}

/**
 * The loader flags of this process that a TypeScript child needs: tap's TypeScript import
 * hook (and source maps); the coverage/process-info hooks are left out.
 */
export function loaderArgs(): string[] {
  const out: string[] = []
  const argv = process.execArgv
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--import' || a === '--loader' || a === '--experimental-loader' || a === '--require') {
      const v = argv[i + 1] ?? ''
      if (/typescript|tsx|ts-node/.test(v)) out.push(a, v)
      i++
    } else if (/^--(import|loader|experimental-loader|require)=/.test(a)) {
      if (/typescript|tsx|ts-node/.test(a)) out.push(a)
    } else if (a === '--enable-source-maps') {
      out.push(a)
    }
  }
  return out
}


/** Empty values count as unset: the node is embedded unless a test opts in. */
export const CLUSTER_OFF: Readonly<Record<string, string>> = Object.freeze({ PARLEY_REDIS_URL: '', PARLEY_CASSANDRA_CONTACT_POINTS: '' })

/** Starts the server process; resolves once it listens, rejects with its stderr if it exits first. */
export function spawnServer(o: ServerProcessOptions): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [...loaderArgs(), MAIN], {
    env: {
      ...process.env,
      PARLEY_DATA_DIR: o.dataDir, PARLEY_PORT: String(o.port), PARLEY_HOST: '127.0.0.1',
      PARLEY_APPS: JSON.stringify(o.apps), PARLEY_THREADS: String(o.threads ?? 2), PARLEY_NODE_ID: o.nodeId ?? 'killable',
      ...CLUSTER_OFF, ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
    proc.once('exit', (code, signal) => resolve(signal ?? code))
  })
  // If this test process exits without stopping it (a crash, a runner timeout), do not leak it.
  const reap = () => { proc.kill('SIGKILL') }
  process.once('exit', reap)
  void exited.then(() => process.off('exit', reap))
  let stderr = ''
  proc.stderr!.on('data', (d: Buffer) => { stderr = (stderr + String(d)).slice(-4000) })
  // Debugging aid: PARLEY_TEST_SERVER_LOGS=<dir> keeps every server process's log there.
  const logDir = process.env['PARLEY_TEST_SERVER_LOGS']
  if (logDir) proc.stderr!.pipe(createWriteStream(join(logDir, `${o.nodeId ?? 'killable'}-${o.port}-${Date.now()}.log`)))
  const handle: ServerProcess = {
    proc, port: o.port, exited,
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
      await exited
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
      // A graceful stop that hangs must not leave the process behind: SIGKILL after 10 s.
      const force = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(force)
    },
  }
  return new Promise((resolve, reject) => {
    let out = ''
    const onData = (d: Buffer) => {
      out += String(d)
      if (/listening \d+/.test(out)) {
        proc.stdout!.off('data', onData)
        proc.stdout!.resume()
        resolve(handle)
      }
    }
    proc.stdout!.on('data', onData)
    void exited.then((how) => reject(new Error(`server process exited (${how}) before listening:\n${stderr}`)))
  })
}
