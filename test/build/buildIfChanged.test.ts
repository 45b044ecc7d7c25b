/**
 * scripts/build-if-changed.mjs (run by `npm start`) on a temporary copy of the project's
 * layout whose `npm run build` is a stand-in that writes the two outputs and counts its runs:
 * the first run builds, a run with nothing changed does not, and any change to an input
 * (an edited, added, deleted or re-dated file, a config file), a missing output or a failed
 * previous build makes the next run build.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const SCRIPT = fileURLToPath(new URL('../../scripts/build-if-changed.mjs', import.meta.url))

/**
 * The stand-in build: fails while FAIL exists, else writes the outputs (the SDK package's
 * under src/client/dist, inside an input folder, as the real build does) and appends to builds.log.
 */
const FAKE_BUILD = `
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
if (existsSync('FAIL')) process.exit(3)
mkdirSync('dist/src/node', { recursive: true })
mkdirSync('dist/web', { recursive: true })
mkdirSync('src/client/dist', { recursive: true })
writeFileSync('dist/src/node/cli.js', '')
writeFileSync('dist/web/client.js', '')
writeFileSync('src/client/dist/index.js', String(Date.now()))
appendFileSync('builds.log', 'built\\n')
`

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-build-'))
  mkdirSync(join(dir, 'scripts'))
  copyFileSync(SCRIPT, join(dir, 'scripts/build-if-changed.mjs'))
  writeFileSync(join(dir, 'fake-build.mjs'), FAKE_BUILD)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', private: true, type: 'module', scripts: { build: 'node fake-build.mjs' } }))
  writeFileSync(join(dir, 'package-lock.json'), '{}')
  writeFileSync(join(dir, 'tsconfig.json'), '{}')
  for (const d of ['src/node', 'src/client', 'actors', 'cluster', 'bench']) mkdirSync(join(dir, d), { recursive: true })
  writeFileSync(join(dir, 'src/node/cli.ts'), 'export {}\n')
  writeFileSync(join(dir, 'actors/a.ts'), 'export {}\n')
  return dir
}

function run(dir: string): { status: number | null; stderr: string; builds: number } {
  const r = spawnSync(process.execPath, [join(dir, 'scripts/build-if-changed.mjs')], { cwd: dir, encoding: 'utf8' })
  const log = join(dir, 'builds.log')
  return { status: r.status, stderr: r.stderr, builds: existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0 }
}

t.test('builds when needed and only then', async (t) => {
  const dir = project()
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const expectRun = (builds: number, why: RegExp, what: string) => {
    const r = run(dir)
    t.equal(r.status, 0, `${what}: exit 0`)
    t.equal(r.builds, builds, `${what}: ${builds} builds so far`)
    t.match(r.stderr, why, `${what}: says why`)
  }
  expectRun(1, /dist\/src\/node\/cli\.js is missing; running npm run build/, 'fresh clone')
  t.ok(existsSync(join(dir, 'dist/.build-stamp')), 'a stamp is written after the build')
  expectRun(1, /up to date with the sources; not rebuilding/, 'nothing changed (what the build wrote under src/client/dist is no input)')

  writeFileSync(join(dir, 'src/node/cli.ts'), 'export const x = 1\n')
  expectRun(2, /sources changed/, 'edited source')
  expectRun(2, /up to date/, 'nothing changed after it')

  writeFileSync(join(dir, 'bench/new.ts'), 'export {}\n')
  expectRun(3, /sources changed/, 'added file')
  unlinkSync(join(dir, 'bench/new.ts'))
  expectRun(4, /sources changed/, 'deleted file')

  const past = new Date(Date.now() - 86_400_000)
  utimesSync(join(dir, 'actors/a.ts'), past, past)
  expectRun(5, /sources changed/, 'a file restored with an older mtime')

  writeFileSync(join(dir, 'package-lock.json'), '{"lockfileVersion":3}')
  expectRun(6, /sources changed/, 'dependencies changed')

  unlinkSync(join(dir, 'dist/web/client.js'))
  expectRun(7, /dist\/web\/client\.js is missing/, 'output deleted')
  expectRun(7, /up to date/, 'nothing changed after it')
})

t.test('a failed build fails the run and is retried next time', async (t) => {
  const dir = project()
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  t.equal(run(dir).builds, 1)
  writeFileSync(join(dir, 'cluster/b.ts'), 'export {}\n')
  writeFileSync(join(dir, 'FAIL'), '')
  const failed = run(dir)
  t.equal(failed.status, 3, 'the build\'s exit code')
  t.match(failed.stderr, /npm run build failed/)
  t.equal(failed.builds, 1, 'nothing built')
  unlinkSync(join(dir, 'FAIL'))
  const retried = run(dir)
  t.equal(retried.status, 0)
  t.equal(retried.builds, 2, 'the change is built on the next run although no input changed since the failure')
})
