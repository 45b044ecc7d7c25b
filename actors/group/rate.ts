/**
 * A group's message rate limit (docs/tencent-compat.md §4.6: 40 messages/s per group, every type;
 * an AVChatRoom sheds lower priorities first): a token bucket refilled at `rate` tokens per second
 * up to `rate` tokens, so a group takes bursts of up to one second's worth. Every accepted
 * send (stored, online-only or targeted) takes one token; tips and recalls take none.
 *
 * Priority shedding, in AVChatRoom only: a message may not take the last tokens of the
 * bucket — Low leaves at least a quarter of it, Lowest half (whole tokens, rounded down) —
 * while High and Normal take every token. Under overload Lowest is refused first, then Low,
 * then the rest. Other types treat every priority alike.
 *
 * State is in memory, per activation: a re-activated group starts with a full bucket.
 */

/** The share of the bucket each priority must leave in place (AVChatRoom). */
export const PriorityReserve: Readonly<Record<string, number>> = { High: 0, Normal: 0, Low: 0.25, Lowest: 0.5 }

export class MessageRate {
  private tokens: number
  private last: number
  /** Sends refused since this bucket was made. */
  shed = 0

  /** `rate`: messages per second (≥ 1); `nowMs`: the clock at creation. */
  constructor(private readonly rate: number, nowMs: number) {
    this.tokens = rate
    this.last = nowMs
  }

  /**
   * Takes a token for one message of `priority` (absent: Normal) at `nowMs` and returns true;
   * or counts it in `shed` and returns false. `byPriority`: apply the priority reserves.
   * A clock that goes backwards refills nothing.
   */
  take(nowMs: number, priority: string | undefined, byPriority: boolean): boolean {
    if (nowMs > this.last) {
      this.tokens = Math.min(this.rate, this.tokens + ((nowMs - this.last) * this.rate) / 1000)
      this.last = nowMs
    }
    const reserve = byPriority ? Math.floor((PriorityReserve[priority ?? 'Normal'] ?? 0) * this.rate) : 0
    if (this.tokens >= 1 + reserve) {
      this.tokens -= 1
      return true
    }
    this.shed++
    return false
  }
}
