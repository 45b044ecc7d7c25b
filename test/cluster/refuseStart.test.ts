/**
 * A node refuses to start, with one clear line naming the service, when Redis or Cassandra
 * cannot be reached, or when cluster mode is configured without Cassandra, and one naming
 * the port when another process already listens on it. Runs `parley start` as its own
 * process (the CLI is what operators run).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { ensureRedis } from '../helpers/redis.js'
import { testApp } from '../helpers/server.js'
import { CLUSTER_OFF, freePort, loaderArgs, spawnServer } from '../helpers/serverProcess.js'

const CLI = fileURLToPath(new URL('../../src/node/cli.ts', import.meta.url))

/** Runs `parley start` to its exit; resolves with the exit code and stderr. */
function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-refuse-'))
  const p = spawn(process.execPath, [...loaderArgs(), CLI, 'start'], {
    env: {
      ...process.env, ...CLUSTER_OFF, PARLEY_DATA_DIR: dataDir, PARLEY_PORT: '0', PARLEY_HOST: '127.0.0.1',
      PARLEY_THREADS: '1', PARLEY_SERVICE_CONNECT_TIMEOUT_MS: '1500', PARLEY_LOG_LEVEL: 'silent', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  let stdout = ''
  p.stderr!.on('data', (d: Buffer) => { stderr += String(d) })
  p.stdout!.on('data', (d: Buffer) => { stdout += String(d) })
  const kill = setTimeout(() => p.kill('SIGKILL'), 60_000)
  return new Promise((resolve) => p.once('exit', (code) => {
    clearTimeout(kill)
    rmSync(dataDir, { recursive: true, force: true })
    resolve({ code, stderr, stdout })
  }))
}

t.test('Redis unreachable: exits 1 naming Redis', async (t) => {
  const port = await freePort()
  const r = await start({ PARLEY_REDIS_URL: `redis://127.0.0.1:${port}`, PARLEY_CASSANDRA_CONTACT_POINTS: '127.0.0.1:9042' })
  t.equal(r.code, 1)
  t.match(r.stderr, new RegExp(`parley: cannot start: .*cannot reach Redis at redis://127\\.0\\.0\\.1:${port}`))
  t.notMatch(r.stdout, /listening/, 'never listened')
})

t.test('Cassandra unreachable: exits 1 naming Cassandra', async (t) => {
  const port = await freePort()
  const redis = await ensureRedis()
  const r = await start({ PARLEY_REDIS_URL: redis.url, PARLEY_REDIS_PREFIX: redis.prefix, PARLEY_CASSANDRA_CONTACT_POINTS: `127.0.0.1:${port}` })
  t.equal(r.code, 1)
  t.match(r.stderr, new RegExp(`parley: cannot start: cannot reach Cassandra at 127\\.0\\.0\\.1:${port}`))
  t.notMatch(r.stdout, /listening/, 'never listened')
})

t.test('Redis without Cassandra is refused as a configuration error', async (t) => {
  const redis = await ensureRedis()
  const r = await start({ PARLEY_REDIS_URL: redis.url })
  t.equal(r.code, 1)
  t.match(r.stderr, /parley: cannot start: PARLEY_REDIS_URL is set but PARLEY_CASSANDRA_CONTACT_POINTS is not/)
})

t.test('a port another process listens on: exits 1 naming it; the first node keeps serving', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-first-'))
  const port = await freePort()
  const first = await spawnServer({ dataDir, port, apps: [testApp()], threads: 2, nodeId: 'first' })
  t.teardown(async () => { await first.stop(); rmSync(dataDir, { recursive: true, force: true }) })
  const r = await start({ PARLEY_PORT: String(port), PARLEY_NODE_ID: 'second' })
  t.equal(r.code, 1)
  t.match(r.stderr, `parley: cannot start: port ${port} on 127.0.0.1 is in use by another process`)
  t.notMatch(r.stdout, /listening/, 'never listened')
  // The refused start left the first node's listeners alone: new connections still reach it.
  for (let i = 0; i < 20; i++) {
    const health = await (await fetch(`http://127.0.0.1:${port}/health`, { headers: { connection: 'close' } })).json() as { node: string }
    t.match(health.node, /^first#/, `connection ${i} reaches the first node`)
  }
})
