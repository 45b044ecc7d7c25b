#!/usr/bin/env node
/**
 * `npm run test:unit`: the fast tier, for iterating. Runs every test file that runs inside its
 * own process alone: no Redis, Cassandra or browser, and no server, child process or worker
 * thread of its own (those are in `npm test`, which runs everything). A file is placed by what
 * it imports (NEEDS below), so a new test lands in the right tier without a list to keep.
 * TypeScript is loaded with tsx (esbuild), several times faster to start than the ts-node of
 * `npm test`; tsx cannot load TypeScript in worker threads on Node 20, which this tier has none of.
 * Extra arguments go to tap. `--list` prints the tier's files instead of running them.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** What a test imports that makes it need more than its own process, and what that is. */
export const NEEDS = [
  [/helpers\/(redis|cassandra|cluster)\.js|RedisNodeBus|RedisMembership|RedisConnectionRegistry/, 'Redis or Cassandra'],
  [/playwright-core/, 'a browser'],
  [/helpers\/(server|serverProcess|sdkClients|groupMember)\.js|src\/node\/createNode\.js/, 'a server'],
  [/node:child_process|node:worker_threads|sigPool\.js|lazyPool\.js/, 'a child process or worker thread'],
]

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(p)
    return e.name.endsWith('.test.ts') ? [relative(root, p)] : []
  }).sort()
}

/** The files of the fast tier, and why each other file is not in it. */
export function tier() {
  const unit = []
  const other = []
  for (const f of testFiles(join(root, 'test'))) {
    const src = readFileSync(join(root, f), 'utf8')
    const need = NEEDS.find(([re]) => re.test(src))
    if (need) other.push([f, need[1]])
    else unit.push(f)
  }
  return { unit, other }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const { unit } = tier()
  if (args.includes('--list')) {
    process.stdout.write(unit.join('\n') + '\n')
  } else {
    const tap = join(root, 'node_modules/.bin/tap')
    const r = spawnSync(tap, ['--disable-coverage', '--plugin=!@tapjs/typescript', '--node-arg=--import=tsx', ...args, ...unit], { cwd: root, stdio: 'inherit' })
    process.exit(r.status ?? 1)
  }
}
