/**
 * The repository's npm packages as people install them, after `npm run build`: every
 * `exports`, `main`, `types` and `bin` target of every package.json (the root and each
 * workspace) exists; the root package (`parley`, the server's API) and the SDK package
 * (`parley-im-client`, through the workspace link in node_modules) import by name; and the
 * SDK's tarball (`npm pack`) is self-contained — its own built files and README only, its code
 * importing nothing but msgpackr and its declarations nothing but msgpackr and TypeBox's types
 * — so that, unpacked beside those two alone, it type-checks in a strict consumer, loads, and
 * logs in and sends against a real server.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { importAccounts } from './helpers/restAdmin.js'
import { startServer } from './helpers/server.js'

const run = promisify(execFile)
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

interface Manifest {
  name: string
  private?: boolean
  workspaces?: string[]
  main?: string
  types?: string
  bin?: string | Record<string, string>
  exports?: unknown
  files?: string[]
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
}

/** By a name TypeScript does not resolve: the entries are built files, checked here, not sources. */
const importByName = (name: string) => import(name) as Promise<Record<string, unknown>>
/** The environment for child processes, without the test runner's loaders and npm's lifecycle settings. */
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(node_|tap|_tapjs|npm_)/i.test(k)))

const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
const rootManifest = manifest(root)
const sdkDir = join(root, 'src/client')
const sdk = manifest(sdkDir)

/** Every file path an `exports` value names (conditions and subpaths walked). */
function exportTargets(v: unknown): string[] {
  if (typeof v === 'string') return [v]
  if (Array.isArray(v)) return v.flatMap(exportTargets)
  if (typeof v === 'object' && v !== null) return Object.values(v).flatMap(exportTargets)
  return []
}

/** The bare and relative module specifiers a built .js or .d.ts file imports or re-exports (comments skipped). */
function specifiers(text: string): string[] {
  const source = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const out: string[] = []
  const patterns = [/\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g]
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1])
  return out
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? walk(p) : [p]
  })
}

t.test('every exports, main, types and bin target of every package.json exists', async (t) => {
  t.ok(existsSync(join(root, 'dist/src/node/index.js')), 'built (npm run build)')
  t.same(rootManifest.workspaces, ['src/client'], 'the SDK is the one workspace')
  const dirs = [root, ...(rootManifest.workspaces ?? []).map((w) => join(root, w))]
  for (const dir of dirs) {
    const m = manifest(dir)
    const bins = typeof m.bin === 'string' ? [m.bin] : Object.values(m.bin ?? {})
    const targets = [...exportTargets(m.exports), ...(m.main ? [m.main] : []), ...(m.types ? [m.types] : []), ...bins]
    t.ok(targets.length > 0, `${m.name} names entry points`)
    for (const target of targets) t.ok(existsSync(join(dir, target)), `${m.name}: ${target} exists`)
  }
})

t.test('the root package is the server\'s API; it is private, so its taken name is never published', async (t) => {
  t.equal(rootManifest.private, true)
  const api = await importByName('parley')
  t.same(Object.keys(api).sort(), ['ConfigError', 'createNode', 'loadConfig'])
  t.type(api.createNode, 'function')
  t.match((api.loadConfig as (o: object) => unknown)({ env: {} }), { port: Number })
})

t.test('the SDK package imports by name through the workspace link', async (t) => {
  t.equal(realpathSync(join(root, 'node_modules', sdk.name)), realpathSync(sdkDir), 'node_modules links the workspace')
  const api = await importByName(sdk.name)
  for (const name of ['ParleyClient', 'ParleyGuest', 'ParleyClientError', 'ClientErrorCodes', 'elements', 'plainText', 'InboxTracker', 'GroupTracker']) {
    t.ok(api[name] !== undefined, `exports ${name}`)
  }
  // TypeBox: the wire types are derived from the schemas the server checks (src/protocol), so
  // the declarations refer to its types; the bundle never loads it (checked below).
  t.same(sdk.dependencies, {
    '@sinclair/typebox': rootManifest.dependencies?.['@sinclair/typebox'], msgpackr: rootManifest.dependencies?.msgpackr,
  }, 'msgpackr (run time) and TypeBox (types) are its only dependencies, at the server\'s ranges')
  t.equal(sdk.peerDependencies, undefined)
  t.equal(sdk.optionalDependencies, undefined)
})

t.test('the SDK tarball is self-contained and works beside its two dependencies alone', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'parley-sdk-pack-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', `--workspace=src/client`, `--pack-destination=${work}`], { cwd: root, env: childEnv })
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[]
  const files = packed.files.map((f) => f.path).sort()
  const own = (p: string) => p === 'package.json' || p === 'README.md' || p === 'dist/index.js' || /^dist\/types\/.+\.d\.ts$/.test(p)
  t.same(files.filter((p) => !own(p)), [], 'only its package.json, README and built files')
  t.ok(files.includes('README.md') && files.includes('dist/index.js') && files.includes('dist/types/client/index.d.ts'))

  const app = join(work, 'app')
  const pkg = join(app, 'node_modules', sdk.name)
  mkdirSync(pkg, { recursive: true })
  await run('tar', ['-xzf', join(work, packed.filename), '-C', pkg, '--strip-components=1'])
  const bare = new Set<string>()
  const bareTypes = new Set<string>()
  for (const file of walk(pkg).filter((f) => /\.(js|d\.ts)$/.test(f))) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) {
        ;(file.endsWith('.d.ts') ? bareTypes : bare).add(spec)
        continue
      }
      const target = resolve(dirname(file), spec.endsWith('.js') && file.endsWith('.d.ts') ? spec.replace(/\.js$/, '.d.ts') : spec)
      if (relative(pkg, target).startsWith('..') || !existsSync(target)) t.fail(`${relative(pkg, file)} imports ${spec}, not inside the package`)
    }
  }
  t.same([...bare], ['msgpackr'], 'the only package its code imports is msgpackr')
  t.same([...bareTypes].filter((x) => x !== 'msgpackr' && x !== '@sinclair/typebox'), [], 'its declarations import msgpackr and TypeBox only')

  // The app has the SDK, its two dependencies (the repository's copies), and the `ws` the Node example passes.
  mkdirSync(join(app, 'node_modules', '@sinclair'), { recursive: true })
  for (const dep of ['msgpackr', 'ws', '@sinclair/typebox']) symlinkSync(realpathSync(join(root, 'node_modules', dep)), join(app, 'node_modules', dep), 'dir')
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false, noEmit: true },
    files: ['consumer.ts'],
  }))
  writeFileSync(join(app, 'consumer.ts'), [
    "import { ParleyClient, ParleyGuest, elements, type GroupUnread, type SentMessage } from 'parley-im-client'",
    "const c = new ParleyClient({ url: 'ws://x/ws', sdkAppId: 1, userId: 'u', userSig: 's' })",
    "const sent: Promise<SentMessage> = c.send('v', [elements.text('hi')])",
    'const counts: Promise<GroupUnread[]> = c.groupUnreadCounts()',
    "const g = new ParleyGuest({ url: 'ws://x/ws', sdkAppId: 1 })",
    "g.on('groupMessage', (ev) => ev.message.seq.toFixed())",
    '// @ts-expect-error: a typed API rejects a number as the receiver',
    "void c.sendText(42, 'x')",
    'export { sent, counts }',
  ].join('\n'))
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app, env: childEnv })
  t.pass('a strict consumer type-checks against the packed declarations')

  const server = await startServer()
  t.teardown(() => server.stop())
  await importAccounts(server, 'alice', 'bob')
  const script = [
    "import { WebSocket } from 'ws'",
    "import { ParleyClient } from 'parley-im-client'",
    'const e = process.env',
    "const c = new ParleyClient({ url: e.PARLEY_URL, sdkAppId: Number(e.PARLEY_APP), userId: 'alice', userSig: e.PARLEY_SIG, WebSocketImpl: WebSocket, reconnect: false })",
    'await c.connect()',
    "const sent = await c.sendText('bob', 'from the packed SDK')",
    'c.close()',
    'console.log(JSON.stringify({ state: c.state, seq: sent.seq, from: sent.message.from }))',
  ].join('\n')
  writeFileSync(join(app, 'smoke.mjs'), script)
  const env = { ...childEnv, PARLEY_URL: server.wsUrl, PARLEY_APP: String(server.app.sdkAppId), PARLEY_SIG: server.userSig('alice') }
  const out = await run(process.execPath, ['smoke.mjs'], { cwd: app, env, timeout: 30_000 })
  t.same(JSON.parse(out.stdout), { state: 'closed', seq: 1, from: 'alice' }, 'the unpacked SDK logs in and sends')
})
