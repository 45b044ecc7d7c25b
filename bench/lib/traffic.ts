/**
 * One traffic phase in a load process (see TrafficSpec in loadProtocol.ts): sends on every
 * sender, counts deliveries and failures, records latency for messages stamped inside the
 * measured window, and ends when the window is over and nothing is in flight (or the drain
 * time ran out). One phase at a time.
 */
import { Histogram } from './histogram.js'
import type { TrafficResult, TrafficSpec } from './loadProtocol.js'
import { fillTemplate, type SendTemplate } from './messageFrames.js'
import type { LiteSocket } from './wsLite.js'

/** What traffic needs of a sending session; `receivedCount` is its receiver's. */
export interface Sender {
  userId: string
  peerId: string
  sock: LiteSocket | undefined
  template: SendTemplate
  inflight: number
  sentCount: number
  receivedCount: number
  nextRid: number
  nextRandom: number
}

interface Phase {
  spec: TrafficSpec
  t0: number
  mStart: number
  mEnd: number
  result: Omit<TrafficResult, 'latency' | 'undelivered' | 'stuckPairs'>
  hist: Histogram
  rr: number
}

const inc = (m: Record<string, number>, k: string) => { m[k] = (m[k] ?? 0) + 1 }

export class Traffic {
  private phase: Phase | undefined
  private totalInflight = 0

  constructor(private readonly senders: Sender[]) {}

  /** The receiver of `sender` got a message stamped `stampUs`. */
  onDelivery(sender: Sender, stampUs: number): void {
    sender.receivedCount++
    const p = this.phase
    const stampMs = stampUs / 1000
    // A message from an earlier phase (whose in-flight counts were reset) changes nothing now.
    // Phases are ≥ 300 ms apart; the 1 ms margin absorbs the µs rounding of the stamp.
    if (!p || stampMs < p.t0 - 1) return
    this.settle(sender)
    const now = performance.now()
    if (now >= p.mStart && now < p.mEnd) p.result.deliveredInWindow++
    if (stampMs >= p.mStart && stampMs < p.mEnd) p.hist.record(now * 1000 - stampUs)
    if (p.spec.mode === 'closed' && now < p.mEnd) this.send(p, sender, now)
  }

  /** The server refused one of `sender`'s messages with `code`. */
  onSendFailed(sender: Sender, code: string): void {
    this.settle(sender)
    const p = this.phase
    if (!p) return
    inc(p.result.sendErrors, code)
    const now = performance.now()
    if (p.spec.mode === 'closed' && now < p.mEnd) this.send(p, sender, now)
  }

  /** Forgets messages still counted in flight, so the next phase starts clean. */
  reset(): void {
    for (const s of this.senders) s.inflight = 0
    this.totalInflight = 0
  }

  run(spec: TrafficSpec): Promise<TrafficResult> {
    if (this.phase) return Promise.reject(new Error('a traffic phase is already running'))
    const t0 = spec.startAt - performance.timeOrigin
    const p: Phase = {
      spec, t0, mStart: t0 + spec.warmupMs, mEnd: t0 + spec.warmupMs + spec.measureMs, hist: new Histogram(), rr: 0,
      result: { sent: 0, sentInWindow: 0, deliveredInWindow: 0, windowMs: spec.measureMs, sendErrors: {}, backlogged: 0, maxClientBufferedBytes: 0 },
    }
    this.phase = p
    return new Promise((resolve) => {
      let pacer: NodeJS.Timeout | undefined
      const begin = () => {
        // Timers may fire a fraction of a millisecond early; nothing of this phase predates t0.
        p.t0 = Math.min(p.t0, performance.now())
        if (spec.mode === 'closed') {
          const now = performance.now()
          for (const s of this.senders) for (let k = 0; k < spec.window; k++) this.send(p, s, now)
        } else {
          let due = 0
          pacer = setInterval(() => {
            due = this.pace(p, due)
            if (performance.now() >= p.mEnd) clearInterval(pacer)
          }, 1)
        }
        watch()
      }
      const watch = () => {
        const now = performance.now()
        if (now < p.mEnd || (this.totalInflight > 0 && now < p.mEnd + spec.drainMs)) return void setTimeout(watch, 10)
        clearInterval(pacer)
        this.phase = undefined
        const stuckPairs = this.senders.filter((s) => s.inflight > 0).slice(0, 10)
          .map((s) => ({ from: s.userId, to: s.peerId, inflight: s.inflight, sent: s.sentCount, received: s.receivedCount }))
        resolve({ ...p.result, latency: p.hist.toData(), undelivered: this.totalInflight, stuckPairs })
      }
      setTimeout(begin, Math.max(0, t0 - performance.now()))
    })
  }

  /**
   * Open loop: sends every message due by now (message k is due at t0 + k/rate), stamped with
   * its due time, round-robin over the senders; skips (and counts) those beyond `maxInflight`.
   * Returns how many are due so far.
   */
  private pace(p: Phase, due: number): number {
    const now = performance.now()
    // Message k is due at t0 + k/rate and goes out once that time has come (not one interval
    // later: its stamp would then precede its send); only messages due before mEnd go.
    const target = Math.min(Math.floor(((now - p.t0) * p.spec.ratePerSec) / 1000) + 1,
      Math.ceil(((p.mEnd - p.t0) * p.spec.ratePerSec) / 1000))
    while (due < target && this.senders.length > 0) {
      if (this.totalInflight >= p.spec.maxInflight) {
        p.result.backlogged += target - due
        return target
      }
      this.send(p, this.senders[p.rr++ % this.senders.length], p.t0 + (due * 1000) / p.spec.ratePerSec)
      due++
    }
    return due
  }

  private settle(sender: Sender): void {
    if (sender.inflight > 0) {
      sender.inflight--
      this.totalInflight--
    }
  }

  private send(p: Phase, s: Sender, stampMs: number): void {
    const sock = s.sock
    if (!sock || !sock.isOpen) return
    sock.sendFrame(fillTemplate(s.template, s.nextRid, s.nextRandom, Math.round(stampMs * 1000)))
    s.nextRid = s.nextRid >= 0xfffffff0 ? 0x10000000 : s.nextRid + 1
    s.nextRandom++
    s.sentCount++
    s.inflight++
    this.totalInflight++
    p.result.sent++
    if (stampMs >= p.mStart && stampMs < p.mEnd) p.result.sentInWindow++
    const buffered = sock.bufferedBytes
    if (buffered > p.result.maxClientBufferedBytes) p.result.maxClientBufferedBytes = buffered
  }
}
