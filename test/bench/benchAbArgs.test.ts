/**
 * scripts/bench-ab.mjs: which arguments are the script's (`--rev`, `--bench`) and which go to
 * the benchmark unchanged, and where a commit's baseline worktree goes.
 */
import t from 'tap'

interface BenchAb {
  parseArgs(argv: string[]): { rev: string | undefined; bench: string; benchArgs: string[] }
  baselineDir(commit: string, base?: string): string
}
const script: string = new URL('../../scripts/bench-ab.mjs', import.meta.url).href
const ab = (await import(script)) as BenchAb

t.test('parseArgs: own flags taken out, the rest passed on in order', async (t) => {
  t.same(ab.parseArgs([]), { rev: undefined, bench: 'c2c', benchArgs: [] })
  t.same(ab.parseArgs(['--pairs', '50', '--rev', 'HEAD~3', '--rates', '500,1000', '--relay', 'false']), {
    rev: 'HEAD~3', bench: 'c2c', benchArgs: ['--pairs', '50', '--rates', '500,1000', '--relay', 'false'],
  })
  t.same(ab.parseArgs(['--bench', 'cluster', '--lmdb', 'false']), { rev: undefined, bench: 'cluster', benchArgs: ['--lmdb', 'false'] })
})

t.test('parseArgs: refuses a missing value, an unknown benchmark and --baseline', async (t) => {
  t.throws(() => ab.parseArgs(['--rev']), /--rev needs a value/)
  t.throws(() => ab.parseArgs(['--rev', '--pairs', '5']), /--rev needs a value/)
  t.throws(() => ab.parseArgs(['--bench', 'login']), /--bench: login is not one of c2c, cluster/)
  t.throws(() => ab.parseArgs(['--baseline', '/tmp/x']), /--baseline is set by this script/)
})

t.test('baselineDir: one directory per commit under the base', async (t) => {
  t.equal(ab.baselineDir('abc123', '/tmp/parley-ab'), '/tmp/parley-ab/abc123')
})
