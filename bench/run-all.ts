/**
 * Runs every benchmark in sequence, each in its own process with its fixed parameters:
 * c2c, connections, login, broadcast. Progress goes to stderr; each benchmark's one JSON
 * result line is copied to stdout as it finishes, so the output is four JSON lines. Exits
 * non-zero if any benchmark failed (the others still run).
 *
 *   npm run bench        (= npm run build && node dist/bench/run-all.js)
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BENCHES = ['c2c', 'connections', 'login', 'broadcast'] as const

function runOne(name: string): Promise<boolean> {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url))
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] })
    child.stdout.pipe(process.stdout, { end: false })
    child.on('exit', (code, signal) => {
      if (code !== 0) process.stderr.write(`[run-all] ${name} failed (${signal ?? `exit ${code}`})\n`)
      resolve(code === 0)
    })
  })
}

let failed = 0
for (const name of BENCHES) {
  process.stderr.write(`[run-all] ${name}\n`)
  if (!(await runOne(name))) failed++
}
process.exitCode = failed > 0 ? 1 : 0
