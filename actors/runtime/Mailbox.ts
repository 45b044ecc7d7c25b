/**
 * A bounded FIFO of (message, reply address) pairs: one per actor activation.
 *
 * Overflow policy (backpressure at the actor hop): when `size === capacity`,
 * - an ask (reply address given) is refused with `'busy'`; the caller answers BUSY (9006) at
 *   once, so the asker learns of the overload instead of waiting for its timeout;
 * - a tell is dropped with `'dropped'` and counted; the caller logs drops at most once per
 *   second per actor (`dropReport`).
 *
 * Storage is a power-of-two ring of two parallel arrays, so enqueue and dequeue allocate
 * nothing per message.
 */

export const DEFAULT_MAILBOX_CAPACITY = 10_000

/** How often, at most, tell drops are reported for one mailbox, ms. */
export const DROP_REPORT_INTERVAL_MS = 1_000

export type EnqueueResult = 'queued' | 'busy' | 'dropped'

export class Mailbox<M, R> {
  readonly capacity: number
  /** Asks refused because the mailbox was full, since creation. */
  rejectedAsks = 0
  /** Tells dropped because the mailbox was full, since creation. */
  droppedTells = 0
  /** The reply address of the message last returned by `take` (undefined for a tell). */
  takenReply: R | undefined = undefined

  private msgs: (M | undefined)[]
  private replies: (R | undefined)[]
  private mask: number
  private head = 0
  private count = 0
  private unreportedDrops = 0
  private lastDropReport = -Infinity

  constructor(capacity = DEFAULT_MAILBOX_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`mailbox capacity must be >= 1, got ${capacity}`)
    this.capacity = capacity
    // Small at first: most actors (an idle user's session) hold a message or two at a time,
    // and the ring doubles on demand.
    const initial = Math.min(2, 1 << Math.ceil(Math.log2(capacity)))
    this.msgs = new Array<M | undefined>(initial)
    this.replies = new Array<R | undefined>(initial)
    this.mask = initial - 1
  }

  get size(): number {
    return this.count
  }

  /** Appends at the tail, or applies the overflow policy when full (see the file comment). */
  enqueue(msg: M, reply?: R): EnqueueResult {
    if (this.count >= this.capacity) {
      if (reply !== undefined) {
        this.rejectedAsks++
        return 'busy'
      }
      this.droppedTells++
      this.unreportedDrops++
      return 'dropped'
    }
    if (this.count > this.mask) this.grow()
    const i = (this.head + this.count) & this.mask
    this.msgs[i] = msg
    this.replies[i] = reply
    this.count++
    return 'queued'
  }

  /** The oldest message, left in place; undefined when empty. */
  peek(): M | undefined {
    return this.count === 0 ? undefined : this.msgs[this.head]
  }

  /** Removes and returns the oldest message (its reply address goes to `takenReply`). */
  take(): M | undefined {
    if (this.count === 0) {
      this.takenReply = undefined
      return undefined
    }
    const i = this.head
    const msg = this.msgs[i]
    this.takenReply = this.replies[i]
    this.msgs[i] = undefined
    this.replies[i] = undefined
    this.head = (i + 1) & this.mask
    this.count--
    return msg
  }

  /**
   * The number of tells dropped since the last report, if at least DROP_REPORT_INTERVAL_MS
   * have passed since then and any were dropped; otherwise 0 (and nothing is reset).
   */
  dropReport(now: number): number {
    if (this.unreportedDrops === 0 || now - this.lastDropReport < DROP_REPORT_INTERVAL_MS) return 0
    const n = this.unreportedDrops
    this.unreportedDrops = 0
    this.lastDropReport = now
    return n
  }

  private grow(): void {
    const old = this.mask + 1
    const size = old * 2
    const msgs = new Array<M | undefined>(size)
    const replies = new Array<R | undefined>(size)
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & this.mask
      msgs[k] = this.msgs[i]
      replies[k] = this.replies[i]
    }
    this.msgs = msgs
    this.replies = replies
    this.mask = size - 1
    this.head = 0
  }
}
