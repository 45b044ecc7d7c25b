/**
 * The layer rules (.dependency-cruiser.cjs) hold for the tree, and the checker fails when
 * they are broken: on fixture trees holding a file cycle that only types cross, a folder
 * cycle with no file cycle, and an import against the layer order. `npm test` also runs the
 * check on the tree itself (`npm run check:layers`).
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'

const root = fileURLToPath(new URL('../../', import.meta.url))
const config = fileURLToPath(new URL('../../.dependency-cruiser.cjs', import.meta.url))
const depcruise = fileURLToPath(new URL('../../node_modules/dependency-cruiser/bin/dependency-cruise.mjs', import.meta.url))

/** Runs the checker in `cwd` on `dirs`; resolves with its exit code and output. */
async function cruise(cwd: string, dirs: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [depcruise, '--config', config, ...dirs], { cwd })
    return { code: 0, out: stdout + stderr }
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string }
    return { code: err.code, out: err.stdout + err.stderr }
  }
}

t.test('the tree keeps every layer rule', async (t) => {
  const r = await cruise(root, ['src', 'actors', 'cluster'])
  t.equal(r.code, 0, r.out.trim().split('\n').slice(-12).join('\n'))
  t.match(r.out, /no dependency violations found/)
})

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}/`, import.meta.url))

t.test('a cycle between two files, through type imports only, fails the check', async (t) => {
  const r = await cruise(fixture('fileCycle'), ['src'])
  t.not(r.code, 0, 'the check fails')
  t.match(r.out, /error no-circular: src\/core\/(a|b)\.ts/)
})

t.test('a cycle between two folders fails the check, though no file cycle exists', async (t) => {
  const r = await cruise(fixture('folderCycle'), ['src'])
  t.not(r.code, 0, 'the check fails')
  t.match(r.out, /error no-folder-circular: src\/edge\/(gateway|rest)/)
  t.notMatch(r.out, /error no-circular:/, 'no file cycle is reported')
})

t.test('an import against the layer order fails the check', async (t) => {
  const r = await cruise(fixture('upward'), ['src'])
  t.not(r.code, 0, 'the check fails')
  t.match(r.out, /error layer-core: src\/core\/a\.ts → src\/node\/n\.ts/)
})
