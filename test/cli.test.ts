/**
 * The `parley` command as a user runs it: a first start with no app creates and prints the
 * demo app, `parley usersig` mints tokens that log in, the printed admin token works for REST,
 * SIGTERM stops the server cleanly.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { configTableMarkdown } from '../src/node/config/load.js'
import { RawClient } from './helpers/rawClient.js'
import { CLUSTER_OFF, freePort, loaderArgs } from './helpers/serverProcess.js'

const CLI = fileURLToPath(new URL('../src/node/cli.ts', import.meta.url))

function cli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...loaderArgs(), CLI, ...args], { env: { ...process.env, ...CLUSTER_OFF, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
}

function cliSync(args: string[], env: Record<string, string>): string {
  const r = spawnSync(process.execPath, [...loaderArgs(), CLI, ...args], { env: { ...process.env, ...CLUSTER_OFF, ...env }, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`parley ${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

/** Everything the process printed on stdout so far, and a way to await a pattern in it. */
function stdoutOf(p: ChildProcess): (re: RegExp) => Promise<RegExpMatchArray> {
  let buf = ''
  const waiters: (() => void)[] = []
  p.stdout!.on('data', (d: Buffer) => { buf += d.toString(); for (const w of waiters.splice(0)) w() })
  return (re) => new Promise((resolve, reject) => {
    const check = () => {
      const m = buf.match(re)
      if (m) return resolve(m)
      if (p.exitCode !== null) return reject(new Error(`exited (${p.exitCode}) before printing ${re}; stdout: ${buf}`))
      waiters.push(check)
    }
    p.once('exit', () => { for (const w of waiters.splice(0)) w() })
    check()
  })
}

t.test('first start creates the demo app; its tokens log in; SIGTERM stops', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-cli-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const port = await freePort()
  const env = { PARLEY_DATA_DIR: dataDir, PARLEY_PORT: String(port), PARLEY_THREADS: '1', PARLEY_HOST: '127.0.0.1', PARLEY_APPS: '' }
  const server = cli(['start'], env)
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve))
  t.teardown(() => { if (server.exitCode === null) server.kill('SIGKILL') })
  const line = stdoutOf(server)
  const listening = await line(/listening on http:\/\/127\.0\.0\.1:(\d+)/)
  t.equal(Number(listening[1]), port)
  const created = await line(/Created the demo app: SDKAppID (\d+)/)
  const sdkAppId = Number(created[1])
  const admin = (await line(/admin token \(administrator\): (\S+)/))[1]

  const userSig = cliSync(['usersig', 'alice'], env).trim()
  const c = await RawClient.open(`ws://127.0.0.1:${port}/ws`)
  const res = await c.request('login', { sdkAppId, userId: 'alice', userSig, platform: 'Linux' })
  t.equal(res.ok, true, 'a token from `parley usersig` logs in')
  c.ws.close()

  const url = `http://127.0.0.1:${port}/v4/im_open_login_svc/account_check?sdkappid=${sdkAppId}&identifier=administrator&usersig=${encodeURIComponent(admin)}&random=1&contenttype=json`
  const check = await (await fetch(url, { method: 'POST', body: JSON.stringify({ CheckItem: [{ UserID: 'alice' }] }) })).json() as { ActionStatus: string; ResultItem: { AccountStatus: string }[] }
  t.equal(check.ActionStatus, 'OK', 'the printed admin token works for REST')
  t.equal(check.ResultItem[0].AccountStatus, 'Imported', 'logging in imported alice')

  server.kill('SIGTERM')
  t.equal(await exited, 0, 'SIGTERM stops the server cleanly')
})

t.test('config-table prints the README table from the schema', async (t) => {
  t.equal(cliSync(['config-table'], {}).trim(), configTableMarkdown())
})

t.test('a bad configuration is refused with a message naming the field', async (t) => {
  const r = spawnSync(process.execPath, [...loaderArgs(), CLI, 'start'], { env: { ...process.env, ...CLUSTER_OFF, PARLEY_PORT: 'nope' }, encoding: 'utf8' })
  t.equal(r.status, 1)
  t.match(r.stderr, /parley: PARLEY_PORT: must be an integer/)
})
