/**
 * Output conventions shared by every benchmark: progress lines on stderr, exactly one JSON
 * result line on stdout, the machine description recorded with each result, and the `--flag
 * value` parser for overriding a benchmark's fixed parameters.
 */
import { execFileSync } from 'node:child_process'
import { availableParallelism, cpus, release, totalmem } from 'node:os'

/** One progress line on stderr, prefixed with the benchmark name and seconds since start. */
export function progress(bench: string, msg: string): void {
  const t = (performance.now() / 1000).toFixed(1).padStart(6)
  process.stderr.write(`[${bench} ${t}s] ${msg}\n`)
}

/** Prints the one result line on stdout. Call once per benchmark run. */
export function printResult(result: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(result) + '\n')
}

export interface MachineInfo {
  cores: number
  cpuModel: string
  ramGiB: number
  node: string
  kernel: string
  openFilesLimit: number | undefined
}

export function machineInfo(): MachineInfo {
  return {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    openFilesLimit: openFilesLimit(),
  }
}

/**
 * The code measured: the git commit and whether the server's sources (src/, actors/, cluster/)
 * differ from it, of the checkout in `dir` (default the working directory: another build's
 * directory for an A/B baseline). Read-only git commands; `undefined` outside a git checkout.
 */
export function codeVersion(dir?: string): { commit: string; serverSourcesModified: boolean } | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const commit = git('rev-parse', '--short', 'HEAD')
    const dirty = git('status', '--porcelain', '--', 'src', 'actors', 'cluster') !== ''
    return { commit, serverSourcesModified: dirty }
  } catch {
    return undefined
  }
}

function openFilesLimit(): number | undefined {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim())
  } catch {
    return undefined
  }
}

/**
 * Reads `--name value` flags over `defaults`; the type of each default (number, boolean,
 * string) decides how its value is parsed. Unknown flags and bad numbers throw, naming the flag.
 * A boolean flag accepts `--name`, `--name true` or `--name false`.
 */
export function parseFlags<T extends Record<string, number | boolean | string>>(argv: string[], defaults: T): T {
  const out: Record<string, number | boolean | string> = { ...defaults }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`)
    const name = arg.slice(2)
    if (!(name in defaults)) throw new Error(`unknown flag --${name}; known: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')}`)
    const kind = typeof defaults[name]
    if (kind === 'boolean') {
      const next = argv[i + 1]
      if (next === 'true' || next === 'false') { out[name] = next === 'true'; i++ } else out[name] = true
      continue
    }
    const value = argv[++i]
    if (value === undefined) throw new Error(`--${name} needs a value`)
    if (kind === 'number') {
      const n = Number(value)
      if (!Number.isFinite(n)) throw new Error(`--${name}: not a number: ${value}`)
      out[name] = n
    } else {
      out[name] = value
    }
  }
  return out as T
}

/** Rounds to `digits` decimals, for readable JSON. */
export function round(n: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}
