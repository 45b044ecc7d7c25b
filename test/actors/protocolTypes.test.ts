/**
 * Typed actor protocols catch at compile time what used to compile: a wrong field name or type
 * in a reply, a message kind the target does not take, a message sent to the wrong kind of
 * actor. The TypeScript compiler runs on a fixture whose every marked line is such a mistake
 * (fixtures/protocolTypes/mistakes.ts) and must report an error on exactly those lines.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'

const fixture = fileURLToPath(new URL('./fixtures/protocolTypes/mistakes.ts', import.meta.url))
const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url))

t.test('each marked mistake is a compile error, and nothing else is', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-protocol-types-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const project = join(dir, 'tsconfig.json')
  writeFileSync(project, JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: true, lib: ['ES2022', 'DOM'], types: ['node'], typeRoots: [fileURLToPath(new URL('../../node_modules/@types', import.meta.url))] },
    files: [fixture],
  }))
  const out = await promisify(execFile)(process.execPath, [tsc, '-p', project], { maxBuffer: 1 << 22 })
    .then((r) => r.stdout, (e: { stdout: string }) => e.stdout)
  const errorLines = new Set([...out.matchAll(/mistakes\.ts\((\d+),\d+\): error TS\d+/g)].map((m) => Number(m[1])))
  const marked = readFileSync(fixture, 'utf8').split('\n').flatMap((line, i) => (/\/\/ error:/.test(line) ? [i + 1] : []))
  t.ok(marked.length >= 7, `${marked.length} marked mistakes`)
  for (const line of marked) t.ok(errorLines.has(line), `line ${line} does not compile`)
  t.same([...errorLines].filter((l) => !marked.includes(l)), [], `no other line fails:\n${out}`)
})
