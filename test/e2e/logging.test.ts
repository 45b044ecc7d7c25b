/**
 * The server's log, read as an operator reads it: a real server process writing JSON lines
 * on stderr (pino) at `logLevel`. A refused login is a warning with its code, a refused REST
 * call an info line with the route and code, every line names the node and thread, and a
 * higher `logLevel` leaves the lower lines out.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { mintUserSigV2 } from '../../src/services/auth/usersigV2.js'
import { freePort, spawnServer, type ServerProcess } from '../helpers/serverProcess.js'
import { ServerLog } from '../helpers/serverLog.js'
import { testApp } from '../helpers/server.js'

const app = testApp()

async function start(t: Test, level: string, threads = 1): Promise<{ srv: ServerProcess; log: ServerLog; port: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-log-'))
  const port = await freePort()
  const srv = await spawnServer({ dataDir, port, apps: [app], threads, env: { PARLEY_LOG_LEVEL: level } })
  const log = new ServerLog(srv.proc.stderr!)
  t.teardown(async () => {
    await srv.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })
  return { srv, log, port }
}

/** Logs in over a real socket; resolves with the close code (a refused login closes with 4003). */
function loginClosed(port: number, userId: string, userSig: string): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`)
  ws.on('open', () => ws.send(JSON.stringify({ op: 'login', rid: 1, sdkAppId: app.sdkAppId, userId, userSig, platform: 'Web' })))
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)))
}

async function restStatus(port: number, query: string): Promise<{ ErrorCode: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/v4/openim/sendmsg?${query}&random=1&contenttype=json`, { method: 'POST', body: '{}' })
  return res.json() as Promise<{ ErrorCode: number }>
}

t.test('refused logins and refused REST calls are logged with their codes, node and thread', async (t) => {
  const { log, port } = await start(t, 'info')
  const wrongKey = mintUserSigV2({ sdkAppId: app.sdkAppId, key: 'not the key', userId: 'alice', expireSec: 60, nowSec: Math.floor(Date.now() / 1000) })
  t.equal(await loginClosed(port, 'alice', wrongKey), 4003, 'the login is refused')
  const login = await log.line('login refused', { user: 'alice' })
  t.match(login, { level: 'warn', code: 70009, app: app.sdkAppId, platform: 'Web', node: /^killable#/, thread: 0 })

  const rest = await restStatus(port, `sdkappid=${app.sdkAppId}&identifier=${app.admins[0]}&usersig=garbage`)
  t.equal(rest.ErrorCode, 70003)
  const refused = await log.line('REST request refused', { code: 70003 })
  t.match(refused, { level: 'info', route: 'openim/sendmsg', node: /^killable#/, thread: 0 })
  t.ok(log.lines.every((l) => typeof l.node === 'string' && l.thread !== undefined && typeof l.time === 'number'), 'every line names its node and thread')
})

t.test('logLevel warn leaves info lines out and keeps warnings', async (t) => {
  const { log, port } = await start(t, 'warn')
  t.equal((await restStatus(port, `sdkappid=${app.sdkAppId}&identifier=${app.admins[0]}&usersig=garbage`)).ErrorCode, 70003)
  t.equal(await loginClosed(port, 'bob', 'garbage'), 4003)
  await log.line('login refused', { user: 'bob', code: 70003 })
  t.notOk(log.lines.some((l) => l.level === 'info'), 'no info line at logLevel warn (the REST refusal before the login is not there)')
})

t.test('two threads writing at once: every line whole; the lines written just before a stop are kept', async (t) => {
  const { srv, log, port } = await start(t, 'info', 2)
  const n = 200
  // The kernel spreads the sockets over both threads; each refusal is one line.
  const codes = await Promise.all(Array.from({ length: n }, (_, i) => loginClosed(port, `burst${i}`, 'garbage')))
  t.ok(codes.every((c) => c === 4003), 'every login refused')
  await log.until(() => log.lines.filter((l) => l.msg === 'login refused').length === n)
  const threads = new Set(log.lines.filter((l) => l.msg === 'login refused').map((l) => l.thread))
  t.same([...threads].sort(), [0, 1], 'both threads wrote')
  t.equal(log.torn, 0, 'no line was torn or mixed with another (each parsed as JSON)')

  t.equal(await loginClosed(port, 'last', 'garbage'), 4003)
  await srv.stop()
  t.ok(log.lines.some((l) => l.msg === 'login refused' && l.user === 'last'), 'the line written just before the stop is there')
})
