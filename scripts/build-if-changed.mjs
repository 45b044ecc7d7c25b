#!/usr/bin/env node
/**
 * `npm start` runs this before the server: it runs `npm run build` only when an input of the
 * build changed since the last build this script ran, or when an output is missing (a fresh
 * clone, a deleted dist/). Plain JavaScript, because it runs before anything is compiled.
 *
 * Inputs: every file and folder under src/, actors/, cluster/ and bench/, and tsconfig.json,
 * package.json and package-lock.json, fingerprinted by path, size and mtime, so an edited,
 * added, deleted or restored file changes the fingerprint. The fingerprint taken before a
 * successful build is kept in dist/.build-stamp, so a file edited while the build runs is
 * rebuilt next time. Outputs checked: dist/src/node/cli.js and dist/web/client.js.
 *
 * Exit code: 0 when dist is up to date (built or not), else the build's exit code.
 * One line on stderr says which it was.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const INPUT_DIRS = ['src', 'actors', 'cluster', 'bench']
const INPUT_FILES = ['tsconfig.json', 'package.json', 'package-lock.json']
const OUTPUTS = ['dist/src/node/cli.js', 'dist/web/client.js']
const STAMP = join(root, 'dist', '.build-stamp')
/** Folders inside the inputs that a build writes or npm fills (the SDK package's dist/, workspace node_modules/): not inputs. */
const NOT_INPUT = new Set(['dist', 'node_modules'])

/** One line per input file (path, size, mtime in ms) and folder (path), sorted, hashed. A missing input counts as `-`. */
function fingerprint() {
  const lines = []
  const visit = (rel) => {
    let st
    try { st = lstatSync(join(root, rel)) } catch { lines.push(`${rel} -`); return }
    // A folder counts by its name and what it holds (its own mtime moves when a build adds an output folder inside it).
    if (!st.isDirectory()) return void lines.push(`${rel} ${st.size} ${st.mtimeMs}`)
    lines.push(`${rel}/`)
    for (const name of readdirSync(join(root, rel))) if (!NOT_INPUT.has(name)) visit(join(rel, name))
  }
  for (const input of [...INPUT_DIRS, ...INPUT_FILES]) visit(input)
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex')
}

function why(current) {
  const missing = OUTPUTS.find((o) => !existsSync(join(root, o)))
  if (missing) return `${missing} is missing`
  if (!existsSync(STAMP)) return 'no record of a previous build (dist/.build-stamp)'
  if (readFileSync(STAMP, 'utf8').trim() !== current) return 'sources changed since the last build'
  return undefined
}

const current = fingerprint()
const reason = why(current)
if (!reason) {
  process.stderr.write('build: dist is up to date with the sources; not rebuilding\n')
  process.exit(0)
}
process.stderr.write(`build: ${reason}; running npm run build\n`)
// Under `npm start`, npm_execpath is the npm that runs this script; use the same one.
const npm = process.env.npm_execpath
const r = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' })
if (r.status !== 0) {
  process.stderr.write(`build: npm run build failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})\n`)
  process.exit(r.status || 1)
}
mkdirSync(dirname(STAMP), { recursive: true })
writeFileSync(STAMP, current + '\n')
