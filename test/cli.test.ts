/**
 * The `parley` command as a user runs it: a first start with no app creates and prints the
 * demo app, `parley usersig` mints tokens that log in, the printed admin token works for REST,
 * SIGTERM stops the server cleanly; `--help` prints usage (exit 0), usage errors exit 2,
 * `usersig` never creates a demo app and says which app and data directory it used.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { configTableMarkdown } from '../src/node/config/load.js'
import { ensureDemoApp } from '../src/node/config/demoApp.js'
import { verifyUserSigV2 } from '../src/services/auth/usersigV2.js'
import { testApp } from './helpers/server.js'
import { RawClient } from './helpers/rawClient.js'
import { CLUSTER_OFF, freePort, loaderArgs } from './helpers/serverProcess.js'

const CLI = fileURLToPath(new URL('../src/node/cli.ts', import.meta.url))

function cli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...loaderArgs(), CLI, ...args], { env: { ...process.env, ...CLUSTER_OFF, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
}

/**
 * Runs `parley` to its exit in `cwd` (default: this process's). The runner's own app, config
 * and data-directory variables are cleared unless `env` sets them.
 */
function run(args: string[], env: Record<string, string> = {}, cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const clean = { PARLEY_APPS: '', PARLEY_CONFIG: '', PARLEY_DATA_DIR: '' }
  const r = spawnSync(process.execPath, [...loaderArgs(), CLI, ...args], { cwd, env: { ...process.env, ...CLUSTER_OFF, ...clean, ...env }, encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

function cliSync(args: string[], env: Record<string, string>): string {
  const r = run(args, env)
  if (r.status !== 0) throw new Error(`parley ${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

const nowSec = () => Math.floor(Date.now() / 1000)

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
  await line(/Exposed: GET \/demo\/usersig hands a token for any UserID except the app's admins to anyone who can reach http:\/\/127\.0\.0\.1:\d+\//)
  await line(/To turn the demo off, configure your own app \(PARLEY_APPS/)

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

t.test('--help prints usage generated from the declarations and exits 0', async (t) => {
  const top = run(['--help'])
  t.equal(top.status, 0)
  for (const cmd of ['start', 'usersig', 'config-table', 'error-table', 'group-table']) t.match(top.stdout, new RegExp(`^  ${cmd} `, 'm'), `lists ${cmd}`)
  t.equal(run(['-h']).stdout, top.stdout, '-h is --help')
  const usersig = run(['usersig', '--help'])
  t.equal(usersig.status, 0)
  t.match(usersig.stdout, /^Usage: parley usersig <userId> \[options\]/)
  for (const opt of ['--app SDKAPPID', '--expire SECONDS', '--config FILE', '--data-dir DIR', '-h, --help']) t.match(usersig.stdout, `  ${opt} `, `documents ${opt}`)
  const start = run(['start', '--help'])
  t.equal(start.status, 0)
  t.match(start.stdout, /^Usage: parley start \[options\]/)
  t.notMatch(start.stdout, /--expire/, "start's help lists only its own options")
  t.equal(run(['error-table', '-h']).status, 0)
})

t.test('usage errors exit 2 with a message and a pointer to the help', async (t) => {
  const cases: [string[], RegExp][] = [
    [['usersig', 'alice', '--expire', '3h'], /--expire SECONDS must be a positive whole number \(got "3h"\)/],
    [['usersig', 'alice', '--expire', '0'], /--expire SECONDS must be a positive whole number/],
    [['usersig', 'alice', '--expire', '1e3'], /--expire SECONDS must be a positive whole number/],
    [['usersig', 'alice', '--expire'], /--expire <value>' argument missing/],
    [['usersig', 'alice', '--app', '1.5'], /--app SDKAPPID must be a positive whole number no greater than 4294967295/],
    [['usersig', 'alice', '--app', '-3'], /--app/],
    [['usersig', 'alice', '--bogus'], /unknown option --bogus/],
    [['usersig'], /usersig takes <userId> \(got none\)/],
    [['usersig', 'alice', 'bob'], /usersig takes <userId> \(got "alice" "bob"\)/],
    [['usersig', 'two words'], /<userId> must be 1 to 32 printable ASCII characters/],
    [['start', '--port', '9'], /unknown option --port/],
    [['config-table', 'extra'], /config-table takes no arguments/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ]
  for (const [args, message] of cases) {
    const r = run(args)
    t.equal(r.status, 2, `parley ${args.join(' ')}: exit 2`)
    t.match(r.stderr, message, `parley ${args.join(' ')}: says what is wrong`)
    t.match(r.stderr, /Run `parley( [a-z-]+)? --help` for usage\./, `parley ${args.join(' ')}: points to the help`)
    t.equal(r.stdout, '', `parley ${args.join(' ')}: prints no token`)
  }
})

t.test('usersig with no app and no demo app refuses, naming the data directory, and creates nothing', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'parley-cli-empty-'))
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }))
  const r = run(['usersig', 'alice'], {}, cwd)
  t.equal(r.status, 1)
  t.match(r.stderr, `no app is configured and data directory ${join(cwd, 'data')} holds no demo app`)
  t.match(r.stderr, /npx parley start.*--data-dir.*PARLEY_APPS/, 'says how to get one')
  t.equal(r.stdout, '')
  t.same(readdirSync(cwd), [], 'no data directory and no demo-app.json were created')
  const other = join(cwd, 'elsewhere')
  t.equal(run(['usersig', 'alice', '--data-dir', other], {}, cwd).status, 1)
  t.notOk(existsSync(other), '--data-dir is not created either')
})

t.test("usersig mints from the data directory's demo app and says so on stderr", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-cli-demo-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const { app } = ensureDemoApp(dataDir)
  const verify = (token: string, userId: string) => verifyUserSigV2(token, { sdkAppId: app.sdkAppId, userId, key: app.secretKey, nowSec: nowSec() })

  const r = run(['usersig', 'alice', '--data-dir', dataDir, '--expire', '3600'])
  t.equal(r.status, 0)
  const lines = r.stdout.split('\n')
  t.same(lines.slice(1), [''], 'stdout holds the token alone')
  t.equal(verify(lines[0], 'alice').expire, 3600, 'the token verifies with the demo key and lasts --expire seconds')
  t.equal(r.stderr, `parley: UserSig for alice, SDKAppID ${app.sdkAppId} from the demo app in data directory ${dataDir}, valid 3600 s\n`)

  const viaEnv = run(['usersig', 'administrator', '--app', String(app.sdkAppId)], { PARLEY_DATA_DIR: dataDir })
  t.equal(viaEnv.status, 0)
  t.equal(verify(viaEnv.stdout.trim(), 'administrator').expire, 180 * 24 * 3600, 'admin tokens come from the CLI, 180 days by default')
  t.match(viaEnv.stderr, `UserSig for administrator (an App admin), SDKAppID ${app.sdkAppId} from the demo app in data directory ${dataDir}`)

  const wrongApp = run(['usersig', 'alice', '--app', '1'], { PARLEY_DATA_DIR: dataDir })
  t.equal(wrongApp.status, 1)
  t.match(wrongApp.stderr, `no app with SDKAppID 1: no app is configured, and the demo app in data directory ${dataDir} is ${app.sdkAppId}`)
})

t.test('usersig mints for a configured app and names PARLEY_APPS', async (t) => {
  const a = testApp()
  const b = testApp()
  const env = { PARLEY_APPS: JSON.stringify([a, b]) }
  const first = run(['usersig', 'bob'], env)
  t.equal(first.status, 0)
  t.equal(verifyUserSigV2(first.stdout.trim(), { sdkAppId: a.sdkAppId, userId: 'bob', key: a.secretKey, nowSec: nowSec() }).expire, 180 * 24 * 3600)
  t.match(first.stderr, `SDKAppID ${a.sdkAppId} from PARLEY_APPS`)
  const second = run(['usersig', 'bob', '--app', String(b.sdkAppId)], env)
  t.equal(second.status, 0)
  t.equal(verifyUserSigV2(second.stdout.trim(), { sdkAppId: b.sdkAppId, userId: 'bob', key: b.secretKey, nowSec: nowSec() }).expire, 180 * 24 * 3600, '--app picks the app')
  const missing = run(['usersig', 'bob', '--app', '7'], env)
  t.equal(missing.status, 1)
  t.match(missing.stderr, `no app with SDKAppID 7 in PARLEY_APPS (it has ${a.sdkAppId}, ${b.sdkAppId})`)
})
