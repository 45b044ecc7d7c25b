/**
 * bench/lib/abSummary.ts: the `--rates` list, sweep points (CPU per delivered message), the
 * A/B ratios current / baseline and issue 14's target checks, on hand-made phase summaries.
 */
import t from 'tap'
import {
  compare, compareRates, compareSaturation, cpuUsPerDelivered, issue14Targets, parseRates, ratePoint, ratioTarget,
} from '../../bench/lib/abSummary.js'
import type { TrafficSummary } from '../../bench/lib/phases.js'

/** A phase summary: open loop at `offered` unless it is undefined (saturation). */
function phase(o: { offered?: number; delivered: number; serverCores: number; p99?: number; backlogged?: number; undelivered?: number }): TrafficSummary {
  return {
    mode: o.offered === undefined ? 'closed' : 'open',
    offeredPerSec: o.offered,
    window: o.offered === undefined ? 8 : undefined,
    deliveredPerSec: o.delivered,
    sent: o.delivered * 10, sentInWindow: o.delivered * 10, deliveredInWindow: o.delivered * 10,
    latencyMs: { count: o.delivered * 10, p50: 1, p90: 2, p99: o.p99 ?? 3, p999: 4, max: 9, mean: 1.5 },
    sendErrors: { '9006': 2, '20003': 1 },
    undelivered: o.undelivered ?? 0,
    stuckPairs: [],
    backlogged: o.backlogged ?? 0,
    maxClientBufferedBytes: 0,
    cpu: { serverCores: o.serverCores, clientCores: 0.5, otherCores: 0.05 },
  }
}

t.test('parseRates: the rates in the order given; empty is none; anything else is refused by item', async (t) => {
  t.same(parseRates(''), [])
  t.same(parseRates('  '), [])
  t.same(parseRates('1000,2000, 5000,10000'), [1000, 2000, 5000, 10000])
  t.same(parseRates('5000,1000'), [5000, 1000])
  for (const bad of ['1000,', 'abc', '1000,-5', '0', '1.5', '1000,,2000', '1e400']) {
    t.throws(() => parseRates(bad), /--rates: not a positive whole rate/, bad)
  }
  t.throws(() => parseRates('1000,2000,1000'), /--rates: 1000 given twice/)
})

t.test('cpuUsPerDelivered: server cores × 1e6 / delivered per s, null when nothing was delivered', async (t) => {
  t.equal(cpuUsPerDelivered(1, 1000), 1000)
  t.equal(cpuUsPerDelivered(0.3, 1000), 300)
  t.equal(cpuUsPerDelivered(1.77, 8410), 210.5)
  t.equal(cpuUsPerDelivered(0.5, 0), null)
  t.equal(cpuUsPerDelivered(NaN, 100), null)
})

t.test('ratePoint: one open-loop phase, with sustained, CPU per message and errors summed', async (t) => {
  const p = ratePoint({ ...phase({ offered: 1000, delivered: 990, serverCores: 0.99 }), attempts: 2 })
  t.match(p, {
    offeredPerSec: 1000, deliveredPerSec: 990, sustained: true, latencyMs: { p50: 1, p99: 3, max: 9 },
    serverCores: 0.99, cpuUsPerDelivered: 1000, clientCores: 0.5, otherCores: 0.05, attempts: 2, sendErrors: 3, backlogged: 0, undelivered: 0,
  })
  t.equal(ratePoint(phase({ offered: 1000, delivered: 960, serverCores: 1 })).sustained, false, 'under 97% delivered')
  t.equal(ratePoint(phase({ offered: 1000, delivered: 1000, serverCores: 1, backlogged: 1 })).sustained, false, 'a skipped send')
  t.equal(ratePoint(phase({ offered: 1000, delivered: 1000, serverCores: 1 })).attempts, 1, 'one attempt unless told')
  t.throws(() => ratePoint(phase({ delivered: 1000, serverCores: 1 })), /closed-loop phase has no offered rate/)
})

t.test('compare: current / baseline, null where it cannot be computed', async (t) => {
  t.same(compare(8400, 25200), { baseline: 8400, current: 25200, ratio: 3 })
  t.same(compare(1, 0.3), { baseline: 1, current: 0.3, ratio: 0.3 })
  t.same(compare(0, 5), { baseline: 0, current: 5, ratio: null })
  t.same(compare(null, 5), { baseline: null, current: 5, ratio: null })
  t.same(compare(NaN, 5), { baseline: null, current: 5, ratio: null })
})

t.test('compareSaturation and compareRates: the two builds side by side, rates matched by offered rate', async (t) => {
  const s = compareSaturation(phase({ delivered: 8000, serverCores: 1.6 }), phase({ delivered: 24000, serverCores: 1.2 }), phase({ delivered: 90000, serverCores: 1 }))
  t.same(s, {
    deliveredPerSec: { baseline: 8000, current: 24000, ratio: 3 },
    serverCores: { baseline: 1.6, current: 1.2, ratio: 0.75 },
    cpuUsPerDelivered: { baseline: 200, current: 50, ratio: 0.25 },
    otherCores: { baseline: 0.05, current: 0.05 },
    relayDeliveredPerSec: 90000,
  })
  t.notOk('relayDeliveredPerSec' in compareSaturation(phase({ delivered: 1, serverCores: 1 }), phase({ delivered: 1, serverCores: 1 })))

  const base = [ratePoint(phase({ offered: 1000, delivered: 1000, serverCores: 1 })), ratePoint(phase({ offered: 5000, delivered: 3000, serverCores: 1.8, p99: 600 }))]
  const cur = [
    ratePoint(phase({ offered: 5000, delivered: 5000, serverCores: 1, p99: 12 })),
    ratePoint(phase({ offered: 1000, delivered: 1000, serverCores: 0.25 })),
    ratePoint(phase({ offered: 10000, delivered: 10000, serverCores: 1.5 })),
  ]
  const r = compareRates(base, cur)
  t.same(r.map((x) => x.offeredPerSec), [5000, 1000], "the current sweep's order; 10,000 only in one build is left out")
  t.same(r[0], {
    offeredPerSec: 5000,
    deliveredPerSec: { baseline: 3000, current: 5000, ratio: 1.67 },
    serverCores: { baseline: 1.8, current: 1, ratio: 0.56 },
    cpuUsPerDelivered: { baseline: 600, current: 200, ratio: 0.33 },
    p99Ms: { baseline: 600, current: 12, ratio: 0.02 },
    sustained: { baseline: false, current: true },
    otherCores: { baseline: 0.05, current: 0.05 },
  })
  t.same(r[1].serverCores, { baseline: 1, current: 0.25, ratio: 0.25 })
})

t.test("issue14Targets: each target met, missed, or null when the run did not measure it", async (t) => {
  const points = [
    ratePoint(phase({ offered: 1000, delivered: 1000, serverCores: 0.3 })),
    ratePoint(phase({ offered: 5000, delivered: 5000, serverCores: 1, p99: 20 })),
    ratePoint(phase({ offered: 10000, delivered: 9000, serverCores: 1.9, p99: 30 })),
  ]
  const sat = compareSaturation(phase({ delivered: 8000, serverCores: 1.7 }), phase({ delivered: 23000, serverCores: 1.8 }))
  t.same(issue14Targets(points, sat), {
    saturationRatio: { target: 3, measured: 2.88, met: false },
    serverCoresAt1000: { target: 0.3, offeredPerSec: 1000, measured: 0.3, sustained: true, met: true },
    p99MsAt5000: { target: 20, offeredPerSec: 5000, measured: 20, sustained: true, met: true },
    p99MsAt10000: { target: 50, offeredPerSec: 10000, measured: 30, sustained: false, met: false },
  }, 'at most the target counts as met; an unsustained rate does not')
  const none = issue14Targets([ratePoint(phase({ offered: 2000, delivered: 2000, serverCores: 0.4 }))])
  t.same(none.saturationRatio, { target: 3, measured: null, met: null }, 'no baseline')
  t.same(none.serverCoresAt1000, { target: 0.3, offeredPerSec: 1000, measured: null, met: null }, 'rate not swept')
  t.same(ratioTarget(5, compare(200, 1000)), { target: 5, measured: 5, met: true })
})
