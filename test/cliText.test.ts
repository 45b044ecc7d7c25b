/**
 * The pure parts of the `parley` command: the start banner names the address actually bound
 * (a wildcard host as "all interfaces", with the loopback URL to open) and what the demo app
 * exposes; usage text and parsing follow one declaration per command.
 */
import t from 'tap'
import { startBanner } from '../src/node/banner.js'
import { type CommandSpec, commandUsage, parseCommand, positiveInteger, UsageError } from '../src/node/cliArgs.js'

const demo = { sdkAppId: 1400000001, created: true, keyPath: '/srv/parley/data/demo-app.json', admin: 'administrator', adminSig: 'SIG' }

t.test('the banner names the bound address', async (t) => {
  const wildcard = startBanner({ host: '0.0.0.0', port: 8080, threads: 2, dataDir: '/srv/parley/data' })
  t.equal(wildcard, 'Parley listening on all interfaces (0.0.0.0) port 8080 (2 threads, data in /srv/parley/data); on this machine open http://127.0.0.1:8080/\n')
  t.match(startBanner({ host: '::', port: 8080, threads: 1, dataDir: '/d' }), /^Parley listening on all interfaces \(::\) port 8080 .*open http:\/\/\[::1\]:8080\/$/m)
  t.match(startBanner({ host: '127.0.0.1', port: 9000, threads: 1, dataDir: '/d' }), /^Parley listening on http:\/\/127\.0\.0\.1:9000\/ \(1 threads, data in \/d\)$/m)
  t.match(startBanner({ host: '::1', port: 9000, threads: 1, dataDir: '/d' }), /^Parley listening on http:\/\/\[::1\]:9000\/ /)
})

t.test('with the demo app the banner says what it exposes and how to turn it off', async (t) => {
  const all = startBanner({ host: '0.0.0.0', port: 8080, threads: 2, dataDir: '/srv/parley/data', demo })
  t.match(all, /^Created the demo app: SDKAppID 1400000001 \(key in \/srv\/parley\/data\/demo-app\.json\)$/m)
  t.match(all, /^ {2}admin token \(administrator\): SIG$/m)
  t.match(all, /^ {2}chat in a browser: http:\/\/127\.0\.0\.1:8080\/$/m)
  t.match(all, /Exposed: GET \/demo\/usersig hands a token for any UserID except the app's admins to anyone who can reach port 8080 on any interface of this machine\./)
  t.match(all, /To turn the demo off, configure your own app \(PARLEY_APPS or "apps" in a config file\): the demo app is then not loaded and \/demo\/usersig answers 404\./)
  const local = startBanner({ host: '127.0.0.1', port: 8080, threads: 2, dataDir: '/d', demo: { ...demo, created: false } })
  t.match(local, /^Using the demo app/m)
  t.match(local, /to anyone who can reach http:\/\/127\.0\.0\.1:8080\/\./)
  t.notMatch(startBanner({ host: '127.0.0.1', port: 8080, threads: 2, dataDir: '/d' }), /demo/, 'no demo lines without the demo app')
})

const spec = {
  name: 'mint',
  summary: 'Mint something.',
  args: [{ name: 'who', description: 'For whom.' }],
  options: {
    count: { type: 'string', value: 'N', description: 'How many.' },
    dry: { type: 'boolean', description: 'Only pretend.' },
  },
} as const satisfies CommandSpec

t.test('usage is generated from the declaration', async (t) => {
  t.equal(commandUsage(spec), [
    'Usage: parley mint <who> [options]', '', 'Mint something.', '',
    'Arguments:', '  <who>  For whom.', '',
    'Options:', '  --count N   How many.', '  --dry       Only pretend.', '  -h, --help  Print this help and exit.', '',
  ].join('\n'))
})

t.test('parsing follows the declaration', async (t) => {
  t.same(parseCommand(spec, ['ann', '--count', '3', '--dry']), { help: false, args: ['ann'], values: { count: '3', dry: true } })
  t.same(parseCommand(spec, ['--count=3', 'ann']), { help: false, args: ['ann'], values: { count: '3' } })
  t.same(parseCommand(spec, ['-h']), { help: true }, 'help needs no arguments')
  t.same(parseCommand(spec, ['ann', '--help']), { help: true })
})

/** The UsageError `f` throws (a failure if it throws anything else or nothing). */
function usageErrorOf(f: () => unknown): UsageError | undefined {
  try { f() } catch (e) { return e instanceof UsageError ? e : undefined }
  return undefined
}

t.test('a mistake is a UsageError naming the command', async (t) => {
  const refused = (argv: string[], message: RegExp) => {
    const e = usageErrorOf(() => parseCommand(spec, argv))
    t.equal(e?.command, 'mint', `${argv.join(' ')}: a UsageError of mint`)
    t.match(e?.message, message, `${argv.join(' ')}: ${message}`)
  }
  refused(['ann', '--bogus'], /^unknown option --bogus$/)
  refused(['ann', '--count'], /argument missing/)
  refused(['ann', '--dry=yes'], /does not take an argument/)
  refused(['--bogus', '-h'], /^unknown option --bogus$/)
  refused([], /^mint takes <who> \(got none\)$/)
  refused(['ann', 'bob'], /^mint takes <who> \(got "ann" "bob"\)$/)
})

t.test('positiveInteger takes decimal digits only', async (t) => {
  t.equal(positiveInteger('3600', '--expire', Number.MAX_SAFE_INTEGER), 3600)
  t.equal(positiveInteger('4294967295', '--app', 0xffffffff), 0xffffffff)
  for (const bad of ['3h', '0', '-1', '1.5', '1e3', '0x10', ' 1', '', '4294967296']) {
    t.match(usageErrorOf(() => positiveInteger(bad, '--app', 0xffffffff))?.message, /^--app must be a positive whole number no greater than 4294967295/, JSON.stringify(bad))
  }
})
