/**
 * Diagnostic (not part of run-all): what running in bursts costs on this machine, apart
 * from Parley. One unit of work — encoding and decoding 20 stored one-to-one messages with
 * the protocol codec, about as much JavaScript as a few messages' worth of Parley's path —
 * runs `units` times back to back (the baseline: a thread that never sleeps, like a server
 * at saturation), then once after each of `units` sleeps of `gapMs` (a thread woken for
 * every message, like a server at a low rate). Per unit it reports the time inside the unit
 * (the same instructions, so any rise is the cost of running cold: caches, TLB, the vCPU's
 * halt and wake) and the process CPU, which adds the timer, the event loop and the wake-up.
 *
 *   npm run build && node dist/bench/wakeCost.js [--units 20000] [--gapUnits 300] [--gaps 1,2,10]
 */
import { decode, encode } from '../src/core/codec.js'
import type { StoredMessage } from '../src/model/message.js'
import { codeVersion, machineInfo, parseFlags, printResult, progress, round } from './lib/report.js'

const defaults = { units: 20_000, gapUnits: 300, gaps: '1,2,10' }
const log = (m: string) => progress('wakeCost', m)

const message: StoredMessage = {
  msgKey: '123_456789_1700000000', from: 'u100', to: 'u101', msgSeq: 123, random: 456789, time: 1700000000,
  body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'benchmark message, 36 bytes of text' } }],
  cloudCustomData: '000000000000', seq: 5, flags: 0,
}

function unit(): number {
  let n = 0
  for (let i = 0; i < 20; i++) n += (decode(encode({ ...message, seq: i })) as StoredMessage).seq
  return n
}

interface Phase { gapMs: number; units: number; insideUs: number; cpuUs: number }

/** Runs `count` units, each after a `gapMs` sleep (0: back to back, yielding every 100). */
async function phase(gapMs: number, count: number): Promise<Phase> {
  const cpu0 = process.cpuUsage()
  let inside = 0
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    unit()
    inside += performance.now() - t
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs))
    else if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  const cpu = process.cpuUsage(cpu0)
  const p = { gapMs, units: count, insideUs: round((inside * 1000) / count), cpuUs: round((cpu.user + cpu.system) / count) }
  log(`gap ${gapMs} ms: ${p.insideUs} µs inside a unit, ${p.cpuUs} µs process CPU per unit`)
  return p
}

async function run(p: typeof defaults): Promise<Record<string, unknown>> {
  for (let i = 0; i < p.units; i++) unit() // the JIT's optimised code, before anything is timed
  const phases: Phase[] = [await phase(0, p.units)]
  for (const gap of p.gaps.split(',').map(Number)) phases.push(await phase(gap, p.gapUnits))
  phases.push(await phase(0, p.units))
  const hot = Math.min(phases[0]!.insideUs, phases[phases.length - 1]!.insideUs)
  return {
    bench: 'wakeCost', date: new Date().toISOString(), machine: machineInfo(), code: codeVersion(), params: p,
    phases, coldFactor: Object.fromEntries(phases.filter((x) => x.gapMs > 0).map((x) => [`${x.gapMs}ms`, round(x.insideUs / hot, 2)])),
  }
}

printResult(await run(parseFlags(process.argv.slice(2), defaults)))
