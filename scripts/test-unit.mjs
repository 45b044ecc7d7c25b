#!/usr/bin/env node
/**
 * `npm run test:unit`: the fast tier, for iterating. Runs every test file that runs inside its
 * own process alone: no Redis, Cassandra or browser, and no server, child process or worker
 * thread of its own (those are in `npm test`, which runs everything). A file is placed by what
 * it imports (NEEDS below), so a new test lands in the right tier without a list to keep.
 * Each file runs as its own node-tap program (`node --import tsx FILE`, as tap itself runs one),
 * as many at once as the machine has cores, each for at most 180 s. TypeScript is loaded with
 * tsx (esbuild), several times faster to start than the ts-node that `npm test`'s tap runner
 * uses; tsx cannot load TypeScript in worker threads on Node 20, which this tier has none of.
 * The tap runner itself is not used here: switching its TypeScript plugin off would rebuild its
 * plugin set for every later run. Prints one line per file and the output of each failing one;
 * exits 1 if any failed. `--list` prints the tier's files instead. Files given as arguments
 * run alone (each must be in the tier). `--local` (`npm run test:local`) runs every test that
 * needs no Redis, Cassandra or browser instead: the fast tier and the tests with servers,
 * child processes or worker threads, with tap's own runner; it takes minutes.
 */
import { spawn, spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** What a test imports that makes it need more than its own process, and what that is. */
export const NEEDS = [
  [/helpers\/(redis|cassandra|cluster)\.js|RedisNodeBus|RedisMembership|RedisConnectionRegistry/, 'Redis or Cassandra', 'service'],
  [/playwright-core/, 'a browser', 'service'],
  [/helpers\/(server|serverProcess|sdkClients|groupMember)\.js|src\/node\/createNode\.js/, 'a server', 'local'],
  [/node:child_process|node:worker_threads|sigPool\.js|lazyPool\.js/, 'a child process or worker thread', 'local'],
]

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(p)
    return e.name.endsWith('.test.ts') ? [relative(root, p)] : []
  }).sort()
}

/**
 * The files of the fast tier (`unit`), the files that need no Redis, Cassandra or browser
 * (`local`: the fast tier and the tests with servers, child processes or worker threads), and
 * why each file outside the fast tier is not in it.
 */
export function tier() {
  const unit = []
  const local = []
  const other = []
  for (const f of testFiles(join(root, 'test'))) {
    const src = readFileSync(join(root, f), 'utf8')
    const needs = NEEDS.filter(([re]) => re.test(src))
    if (needs.length === 0) unit.push(f)
    else other.push([f, needs[0][1]])
    if (!needs.some(([, , kind]) => kind === 'service')) local.push(f)
  }
  return { unit, local, other }
}

/** Runs one test file; resolves with its exit status, output and time. */
function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, ['--import', 'tsx', '--enable-source-maps', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    const timer = setTimeout(() => { out += '\n# timed out after 180 s\n'; child.kill('SIGKILL') }, 180_000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ file, ok: code === 0, out, ms: Date.now() - started, how: signal ?? code })
    })
  })
}

async function runAll(files) {
  const started = Date.now()
  const queue = [...files]
  const results = []
  const worker = async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
      const r = await runFile(f)
      results.push(r)
      process.stdout.write(`${r.ok ? 'ok' : 'not ok'} ${results.length} - ${r.file} # ${r.ms} ms\n`)
      if (!r.ok) process.stdout.write(r.out.replace(/^/gm, '    ') + `\n    # exit: ${r.how}\n`)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, worker))
  const failed = results.filter((r) => !r.ok)
  process.stdout.write(`# ${results.length} files, ${failed.length} failed, ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  return failed.length === 0
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const { unit, local } = tier()
  if (args[0] === '--local') {
    // Every test that needs no Redis, Cassandra or browser, through tap's own runner (ts-node
    // loads TypeScript in worker threads too); minutes, not seconds.
    const r = spawnSync(join(root, 'node_modules/.bin/tap'), ['--disable-coverage', ...args.slice(1), ...local], { cwd: root, stdio: 'inherit' })
    process.exit(r.status ?? 1)
  }
  if (args.includes('--list')) {
    process.stdout.write(unit.join('\n') + '\n')
  } else {
    const picked = args.length ? args.map((a) => relative(root, join(root, a))) : unit
    const outside = picked.filter((f) => !unit.includes(f))
    if (outside.length) {
      process.stderr.write(`not in the fast tier (run them with npm test -- FILE): ${outside.join(', ')}\n`)
      process.exit(2)
    }
    process.exit((await runAll(picked)) ? 0 : 1)
  }
}
