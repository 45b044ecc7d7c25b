#!/usr/bin/env node
/**
 * An A/B benchmark run against an older commit, in one command:
 *
 *   node scripts/bench-ab.mjs [--rev REV] [--bench c2c|cluster] [BENCH FLAGS…]
 *
 * 1. REV (default: the merge-base of HEAD and main, or HEAD~1 when HEAD is on main) is checked
 *    out as a detached git worktree in /tmp/parley-ab/<commit>, and built there once with
 *    `npm ci && npm run build`; a finished build leaves `.parley-ab-built` (holding the commit),
 *    so later runs of the same commit reuse it. A worktree left without it is built again.
 * 2. This checkout is built if its sources changed (scripts/build-if-changed.mjs).
 * 3. `node dist/bench/<bench>.js --baseline /tmp/parley-ab/<commit> BENCH FLAGS…` runs: the
 *    relay, the baseline build's server and this build's server, with this build's load
 *    clients. Its one JSON line is this script's stdout; everything else goes to stderr.
 * Exit code: the benchmark's, or 1 (with a line on stderr) if a git or build step failed.
 * Two runs building the same commit at once are not guarded against.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const STAMP = '.parley-ab-built'
export const BENCHES = ['c2c', 'cluster']

/**
 * Splits this script's arguments from the benchmark's: `--rev REV` and `--bench NAME` are this
 * script's, anything else is passed on unchanged, in order. Throws on a missing value, an unknown
 * benchmark, or a `--baseline` (this script sets it).
 */
export function parseArgs(argv) {
  const out = { rev: undefined, bench: 'c2c', benchArgs: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--rev' || a === '--bench') {
      const v = argv[++i]
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`)
      out[a.slice(2)] = v
    } else if (a === '--baseline') {
      throw new Error('--baseline is set by this script (give --rev instead)')
    } else {
      out.benchArgs.push(a)
    }
  }
  if (!BENCHES.includes(out.bench)) throw new Error(`--bench: ${out.bench} is not one of ${BENCHES.join(', ')}`)
  return out
}

/** The worktree directory of a commit. */
export function baselineDir(commit, base = join(tmpdir(), 'parley-ab')) {
  return join(base, commit)
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 2, 2] })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${r.error?.message ?? `exit ${r.status ?? r.signal}`}`)
}

function git(...args) {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr.trim()}`)
  return r.stdout.trim()
}

/** REV as a full commit id; without REV, the merge-base with main, or HEAD~1 when that is HEAD itself. */
function resolveRev(rev) {
  if (rev) return git('rev-parse', '--verify', `${rev}^{commit}`)
  const head = git('rev-parse', 'HEAD')
  let base
  try { base = git('merge-base', 'HEAD', 'main') } catch { base = head }
  return base === head ? git('rev-parse', '--verify', 'HEAD~1^{commit}') : base
}

/** The built baseline worktree of `commit`, made and built unless a finished build is there. */
function ensureBaseline(commit) {
  const dir = baselineDir(commit)
  const log = (m) => process.stderr.write(`[bench-ab] ${m}\n`)
  if (existsSync(join(dir, STAMP)) && readFileSync(join(dir, STAMP), 'utf8').trim() === commit) {
    log(`baseline ${commit.slice(0, 12)}: reusing the build in ${dir}`)
    return dir
  }
  if (!existsSync(dir)) {
    mkdirSync(join(dir, '..'), { recursive: true })
    log(`baseline ${commit.slice(0, 12)}: git worktree add ${dir}`)
    git('worktree', 'add', '--detach', dir, commit)
  } else {
    const at = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).stdout?.trim()
    if (at !== commit) throw new Error(`${dir} exists but is not a checkout of ${commit} (HEAD ${at || 'unknown'}): remove it (git worktree remove --force ${dir})`)
  }
  log(`baseline ${commit.slice(0, 12)}: npm ci && npm run build in ${dir}`)
  run('npm', ['ci'], dir)
  run('npm', ['run', 'build'], dir)
  writeFileSync(join(dir, STAMP), commit + '\n')
  return dir
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const args = parseArgs(process.argv.slice(2))
    const commit = resolveRev(args.rev)
    const dir = ensureBaseline(commit)
    run(process.execPath, [join(root, 'scripts', 'build-if-changed.mjs')], root)
    const r = spawnSync(process.execPath, [join(root, 'dist', 'bench', `${args.bench}.js`), '--baseline', dir, ...args.benchArgs],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
    process.exitCode = r.status ?? 1
  } catch (e) {
    process.stderr.write(`bench-ab: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exitCode = 1
  }
}
