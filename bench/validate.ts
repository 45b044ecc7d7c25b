/**
 * What validating a socket frame costs: `parseClientFrame` on fixed frames (a one-to-one
 * `send` of 64 bytes of text, a `send` with an image, a `groupSend` with mentions, a
 * `login`), in alternating rounds against a baseline build of the same function (A/B in one
 * run: pass the previous build's `dist/src/protocol/validate.js` as `--baseline`, e.g. from a
 * `git worktree` of the commit before the change, built with `npx tsc -p tsconfig.json`).
 * Without `--baseline` it measures this build alone. Reports ns per frame, the median over
 * rounds, and the ratio to the baseline.
 *
 *   npm run build && node dist/bench/validate.js [--baseline PATH] [--rounds 15] [--frames 200000]
 */
import { pathToFileURL } from 'node:url'
import { resolve } from 'node:path'
import { parseClientFrame } from '../src/protocol/validate.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress, round } from './lib/report.js'

const defaults = { baseline: '', rounds: 15, frames: 200_000 }
const log = (m: string) => progress('validate', m)

const text64 = 'x'.repeat(64)
const Frames: Record<string, unknown> = {
  send: { op: 'send', rid: 17, to: 'u100', random: 123456, body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: text64 } }] },
  sendImage: {
    op: 'send', rid: 18, to: 'u100', random: 7, cloudCustomData: '{"k":1}',
    body: [{ MsgType: 'TIMImageElem', MsgContent: { UUID: 'img-1', ImageFormat: 1, ImageInfoArray: [
      { Type: 1, Size: 1000, Width: 800, Height: 600, URL: 'https://example.invalid/a.jpg' },
      { Type: 3, Size: 100, Width: 80, Height: 60, URL: 'https://example.invalid/t.jpg' },
    ] } }],
  },
  groupSend: {
    op: 'groupSend', rid: 19, groupId: '@TGS#ABCDEFGHIJ', random: 99, priority: 'Normal', atAccounts: ['u1', 'u2'],
    body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: text64 } }],
  },
  login: { op: 'login', rid: 1, sdkAppId: 1400000001, userId: 'u100', userSig: 'x'.repeat(200), platform: 'Web' },
}

type Parse = (raw: unknown) => unknown

/** ns per frame for `frames` parses of one frame (a fresh copy of its top level each time, as a decoder gives). */
function time(parse: Parse, frame: Record<string, unknown>, frames: number): number {
  let sink = 0
  const t = process.hrtime.bigint()
  for (let i = 0; i < frames; i++) {
    const f = parse({ ...frame, rid: i }) as { rid: number }
    sink += f.rid
  }
  const ns = Number(process.hrtime.bigint() - t)
  if (sink < 0) throw new Error('unreachable')
  return ns / frames
}

/** JSON with keys sorted, so results that differ only in key order compare equal. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x !== null && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x))
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

async function run(p: typeof defaults): Promise<Record<string, unknown>> {
  const builds: Record<string, Parse> = { current: parseClientFrame }
  if (p.baseline !== '') {
    const mod = await import(pathToFileURL(resolve(p.baseline)).href) as { parseClientFrame: Parse }
    builds.baseline = mod.parseClientFrame
  }
  const results: Record<string, Record<string, number>> = {}
  for (const [name, frame] of Object.entries(Frames)) {
    const perBuild: Record<string, number[]> = {}
    for (const [b, parse] of Object.entries(builds)) {
      const check = canonical(parse(frame))
      if (b !== 'current' && check !== canonical(parseClientFrame(frame))) log(`${name}: the builds' results differ: ${check}`)
      time(parse, frame as Record<string, unknown>, p.frames / 4) // warm-up: the JIT's optimised code first
      perBuild[b] = []
    }
    for (let r = 0; r < p.rounds; r++) {
      for (const [b, parse] of Object.entries(builds)) perBuild[b]!.push(time(parse, frame as Record<string, unknown>, p.frames))
    }
    results[name] = Object.fromEntries(Object.entries(perBuild).map(([b, xs]) => [`${b}Ns`, round(median(xs))]))
    if (builds.baseline) results[name]!.ratio = round(results[name]!.currentNs! / results[name]!.baselineNs!, 2)
    log(`${name}: ${JSON.stringify(results[name])}`)
  }
  return { bench: 'validate', date: new Date().toISOString(), machine: machineInfo(), code: codeVersion(), params: p, results }
}

printResult(await run(parseFlags(process.argv.slice(2), defaults)))
