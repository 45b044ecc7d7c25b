/**
 * A group's live fan-out: which worker threads (of any node) have members' sockets
 * subscribed to the group's topic, how many each, and the publishing of events to them.
 * A group event crosses once to each such thread — never once per member — and the thread
 * hands it to uWS's native topic publish (src/edge/gateway/TopicTable.ts).
 *
 * The counts live only here, in memory, reported by the threads (TopicInterest). A fresh
 * activation knows none, so it asks every thread of the membership and, for
 * `SETTLE_MS` while the answers come in, publishes to every thread; a thread without
 * subscribers drops the event. Delivery stays at most once per socket: members that miss
 * a stored message (a lost report, a node that just joined) catch up by its seq. Counts of
 * threads that left the membership (a node that died without reporting 0) are dropped when
 * next used.
 */
import type { GroupEvent } from '../../src/protocol/events.js'
import type { ActorContext, ThreadRef, TopicInterest } from '../runtime/types.js'
import { groupTopic } from '../topic.js'

/** How long after activation events go to every thread while interest is being learned, ms. */
export const SETTLE_MS = 2000

export class RoomFanout {
  readonly topic: string
  private readonly counts = new Map<string, { where: ThreadRef; count: number }>()
  private readonly settleUntil: number

  constructor(private readonly ctx: ActorContext) {
    this.topic = groupTopic(ctx.self.app, ctx.self.key)
    this.settleUntil = ctx.now() + SETTLE_MS
    for (const where of ctx.threads()) ctx.queryInterest(where, this.topic, ctx.self)
  }

  /** Applies one thread's report; reports for another topic are ignored. */
  onInterest(m: TopicInterest): void {
    if (m.topic !== this.topic) return
    const key = `${m.node}/${m.thread}`
    if (m.count > 0) this.counts.set(key, { where: { node: m.node, thread: m.thread }, count: m.count })
    else this.counts.delete(key)
  }

  /** Members' sockets subscribed now, summed over the live threads (as last reported). */
  online(): number {
    let n = 0
    for (const c of this.live()) n += c.count
    return n
  }

  /** Sends `ev` once to each thread with subscribers (to every thread while settling). */
  publish(ev: GroupEvent): void {
    const targets = this.ctx.now() < this.settleUntil ? this.ctx.threads() : this.live().map((c) => c.where)
    for (const where of targets) this.ctx.publish(where, this.topic, ev)
  }

  /** The counts of threads in the current membership; the others are forgotten. */
  private live(): { where: ThreadRef; count: number }[] {
    const members = new Set(this.ctx.threads().map((w) => `${w.node}/${w.thread}`))
    const out: { where: ThreadRef; count: number }[] = []
    for (const [key, c] of this.counts) {
      if (members.has(key)) out.push(c)
      else this.counts.delete(key)
    }
    return out
  }
}
