/**
 * What a rate sweep and an A/B run report, computed from measured phases (pure: no I/O).
 * A sweep point summarises one open-loop phase at one offered rate, with the server CPU per
 * delivered message; an A/B comparison puts a baseline build's figure beside this build's with
 * the ratio current / baseline (for throughput, higher is better; for cores and CPU per
 * message, lower is); issue 14's targets are checked against both.
 */
import { sustained, type TrafficSummary } from './phases.js'
import { round } from './report.js'

/**
 * The offered rates of `--rates` (`1000,2000,5000`), in the order given; '' is none. Throws,
 * naming the item, on anything but distinct positive integers.
 */
export function parseRates(flag: string): number[] {
  if (flag.trim() === '') return []
  const rates = flag.split(',').map((item) => {
    const n = Number(item.trim())
    if (item.trim() === '' || !Number.isInteger(n) || n <= 0) throw new Error(`--rates: not a positive whole rate: ${JSON.stringify(item)}`)
    return n
  })
  const dup = rates.find((r, i) => rates.indexOf(r) !== i)
  if (dup !== undefined) throw new Error(`--rates: ${dup} given twice`)
  return rates
}

/** Server CPU per delivered message in µs (cores × 1e6 / delivered per s), 0.1 µs; null when nothing was delivered. */
export function cpuUsPerDelivered(serverCores: number, deliveredPerSec: number): number | null {
  return deliveredPerSec > 0 && Number.isFinite(serverCores) ? round((serverCores * 1e6) / deliveredPerSec, 1) : null
}

/** One offered rate of a sweep. */
export interface RatePoint {
  offeredPerSec: number
  /** Deliveries in the measured window, per second. */
  deliveredPerSec: number
  /** ≥ 97% delivered in the window, nothing skipped (in-flight cap) or left undelivered. */
  sustained: boolean
  latencyMs: { p50: number; p99: number; max: number }
  serverCores: number
  cpuUsPerDelivered: number | null
  clientCores: number
  otherCores: number
  /** Runs made of this phase (a disturbed one is repeated, the least disturbed kept). */
  attempts: number
  sendErrors: number
  backlogged: number
  undelivered: number
}

/** The sweep point of one open-loop phase. Throws for a closed-loop (saturation) phase, which has no offered rate. */
export function ratePoint(t: TrafficSummary & { attempts?: number }): RatePoint {
  if (t.offeredPerSec === undefined) throw new Error('ratePoint: a closed-loop phase has no offered rate')
  return {
    offeredPerSec: t.offeredPerSec,
    deliveredPerSec: t.deliveredPerSec,
    sustained: sustained(t),
    latencyMs: { p50: t.latencyMs.p50, p99: t.latencyMs.p99, max: t.latencyMs.max },
    serverCores: t.cpu.serverCores,
    cpuUsPerDelivered: cpuUsPerDelivered(t.cpu.serverCores, t.deliveredPerSec),
    clientCores: t.cpu.clientCores,
    otherCores: t.cpu.otherCores,
    attempts: t.attempts ?? 1,
    sendErrors: Object.values(t.sendErrors).reduce((a, b) => a + b, 0),
    backlogged: t.backlogged,
    undelivered: t.undelivered,
  }
}

/** A figure of the baseline build beside this build's; `ratio` = current / baseline (0.01), null when either is missing or the baseline is 0. */
export interface Compared {
  baseline: number | null
  current: number | null
  ratio: number | null
}

export function compare(baseline: number | null, current: number | null): Compared {
  const ok = (x: number | null): x is number => x !== null && Number.isFinite(x)
  const ratio = ok(baseline) && ok(current) && baseline !== 0 ? round(current / baseline, 2) : null
  return { baseline: ok(baseline) ? baseline : null, current: ok(current) ? current : null, ratio }
}

export interface SaturationAB {
  deliveredPerSec: Compared
  serverCores: Compared
  cpuUsPerDelivered: Compared
  /** Cores used by other processes during each phase: a large difference means one side was disturbed. */
  otherCores: { baseline: number; current: number }
  /** The raw relay's saturation in the same run, when measured: how fast the machine was. */
  relayDeliveredPerSec?: number
}

/** Saturation of the two builds side by side (the issue's "saturation ratio" is `deliveredPerSec.ratio`). */
export function compareSaturation(baseline: TrafficSummary, current: TrafficSummary, relay?: TrafficSummary): SaturationAB {
  return {
    deliveredPerSec: compare(baseline.deliveredPerSec, current.deliveredPerSec),
    serverCores: compare(baseline.cpu.serverCores, current.cpu.serverCores),
    cpuUsPerDelivered: compare(cpuUsPerDelivered(baseline.cpu.serverCores, baseline.deliveredPerSec), cpuUsPerDelivered(current.cpu.serverCores, current.deliveredPerSec)),
    otherCores: { baseline: baseline.cpu.otherCores, current: current.cpu.otherCores },
    ...(relay ? { relayDeliveredPerSec: relay.deliveredPerSec } : {}),
  }
}

export interface RateAB {
  offeredPerSec: number
  deliveredPerSec: Compared
  /** The issue's "cores-at-rate ratio". */
  serverCores: Compared
  cpuUsPerDelivered: Compared
  p99Ms: Compared
  sustained: { baseline: boolean; current: boolean }
  otherCores: { baseline: number; current: number }
}

/** Every offered rate measured in both sweeps, in the current sweep's order, side by side. */
export function compareRates(baseline: RatePoint[], current: RatePoint[]): RateAB[] {
  return current.flatMap((c) => {
    const b = baseline.find((x) => x.offeredPerSec === c.offeredPerSec)
    if (!b) return []
    return [{
      offeredPerSec: c.offeredPerSec,
      deliveredPerSec: compare(b.deliveredPerSec, c.deliveredPerSec),
      serverCores: compare(b.serverCores, c.serverCores),
      cpuUsPerDelivered: compare(b.cpuUsPerDelivered, c.cpuUsPerDelivered),
      p99Ms: compare(b.latencyMs.p99, c.latencyMs.p99),
      sustained: { baseline: b.sustained, current: c.sustained },
      otherCores: { baseline: b.otherCores, current: c.otherCores },
    }]
  })
}

/** One target: `met` is null when the run did not measure it (no baseline, or the rate not in `--rates`). */
export interface TargetCheck {
  target: number
  measured: number | null
  met: boolean | null
  offeredPerSec?: number
  sustained?: boolean
}

/** A ratio target (at least `target` × the baseline). */
export function ratioTarget(target: number, c: Compared | undefined): TargetCheck {
  const measured = c?.ratio ?? null
  return { target, measured, met: measured === null ? null : measured >= target }
}

/** At `rate` offered, `pick(point)` at most `target`, with the rate sustained. */
function atRate(points: RatePoint[], rate: number, target: number, pick: (p: RatePoint) => number): TargetCheck {
  const p = points.find((x) => x.offeredPerSec === rate)
  if (!p) return { target, offeredPerSec: rate, measured: null, met: null }
  const measured = pick(p)
  return { target, offeredPerSec: rate, measured, sustained: p.sustained, met: p.sustained && measured <= target }
}

/** Issue 14's single-node targets, from this build's sweep and (for the ratio) the A/B saturation. */
export function issue14Targets(points: RatePoint[], saturation?: SaturationAB) {
  return {
    saturationRatio: ratioTarget(3, saturation?.deliveredPerSec),
    serverCoresAt1000: atRate(points, 1000, 0.3, (p) => p.serverCores),
    p99MsAt5000: atRate(points, 5000, 20, (p) => p.latencyMs.p99),
    p99MsAt10000: atRate(points, 10_000, 50, (p) => p.latencyMs.p99),
  }
}
