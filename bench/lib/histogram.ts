/**
 * A fixed-size latency histogram in microseconds: logarithmic buckets 2% wide from 1 µs to
 * about 1,000 s, so recording is O(1) with no allocation, histograms from several processes
 * merge by adding counts, and a percentile is exact to within 2% (reported as the bucket's
 * upper bound, so never optimistic). Values below 1 µs count as 1 µs; above the range, in
 * the last bucket (`max` stays exact).
 */
const GROWTH = 1.02
const LOG_GROWTH = Math.log(GROWTH)
const BUCKETS = Math.ceil(Math.log(1e9) / LOG_GROWTH) + 1

/** The plain-data form that crosses process boundaries (IPC) and merges. */
export interface HistogramData {
  counts: number[]
  count: number
  sumUs: number
  minUs: number
  maxUs: number
}

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS)
  private count = 0
  private sumUs = 0
  private minUs = Infinity
  private maxUs = 0

  record(us: number): void {
    const v = us < 1 ? 1 : us
    const i = Math.min(BUCKETS - 1, Math.floor(Math.log(v) / LOG_GROWTH))
    this.counts[i]++
    this.count++
    this.sumUs += v
    if (v < this.minUs) this.minUs = v
    if (v > this.maxUs) this.maxUs = v
  }

  /** Sparse form: only non-zero buckets are sent, as [index, count] pairs flattened. */
  toData(): HistogramData {
    const counts: number[] = []
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] > 0) counts.push(i, this.counts[i])
    return { counts, count: this.count, sumUs: this.sumUs, minUs: this.minUs, maxUs: this.maxUs }
  }

  add(d: HistogramData): void {
    for (let k = 0; k < d.counts.length; k += 2) this.counts[d.counts[k]] += d.counts[k + 1]
    this.count += d.count
    this.sumUs += d.sumUs
    if (d.count > 0) {
      this.minUs = Math.min(this.minUs, d.minUs)
      this.maxUs = Math.max(this.maxUs, d.maxUs)
    }
  }

  get total(): number {
    return this.count
  }

  /** The value at quantile `q` (0..1), µs: the upper bound of the bucket holding it, capped at max. */
  quantileUs(q: number): number {
    if (this.count === 0) return NaN
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]
      if (seen >= rank) return Math.min(this.maxUs, GROWTH ** (i + 1))
    }
    return this.maxUs
  }

  /** p50/p90/p99/p99.9/max/mean in milliseconds, rounded to 0.01 ms. */
  summaryMs(): { count: number; p50: number; p90: number; p99: number; p999: number; max: number; mean: number } {
    const ms = (us: number) => Math.round(us / 10) / 100
    return {
      count: this.count,
      p50: ms(this.quantileUs(0.5)),
      p90: ms(this.quantileUs(0.9)),
      p99: ms(this.quantileUs(0.99)),
      p999: ms(this.quantileUs(0.999)),
      max: ms(this.count ? this.maxUs : NaN),
      mean: ms(this.count ? this.sumUs / this.count : NaN),
    }
  }
}
