/**
 * Which applied inbox events reach the app: the part of the delivery rules that is not about
 * order. One filter serves every stream of a user (the single inbox today, each conversation
 * shard's stream with ShardedInbox), because a message must never be surfaced twice whichever
 * stream carries it, and the echo of an own send arrives on a stream the sender cannot name.
 *
 * Rules:
 * - A `msg` whose msgKey was already surfaced (or settled as an own send) is not surfaced
 *   again. Keys are remembered in a bounded LRU, so memory is O(capacity).
 * - The echo of this client's own send (a `msg` from this user matching a pending send's
 *   `to` and `random`) is not surfaced: the send's promise is the confirmation. The echo is
 *   kept so a send whose ack was lost can still be confirmed (`echoAbandoned`).
 * - Every other event is surfaced.
 */
import type { InboxEvent } from '../protocol/events.js'
import { BoundedKeySet } from './KeySet.js'

export type MsgEvent = Extract<InboxEvent, { type: 'msg' }>

export class MessageFilter {
  private readonly seen: BoundedKeySet
  /** Pending own sends by `to\nrandom`: null until their echo is seen, then the echo. */
  private readonly echoes = new Map<string, MsgEvent | null>()

  /** `capacity`: message keys remembered for dedupe (default 10,000). */
  constructor(private readonly userId: string, capacity = 10_000) {
    this.seen = new BoundedKeySet(capacity)
  }

  /** Whether `ev`, applied in its stream's order, is surfaced; records its key (and an own echo). */
  admit(ev: InboxEvent): boolean {
    if (ev.type !== 'msg') return true
    const key = ev.msg.msgKey
    if (ev.msg.from === this.userId) {
      const k = echoKey(ev.msg.to, ev.msg.random)
      if (this.echoes.has(k)) {
        if (this.echoes.get(k) === null) this.echoes.set(k, ev)
        this.seen.add(key)
        return false
      }
    }
    return this.seen.add(key)
  }

  /** A send to `to` with `random` is in flight: its echo is not a new message. */
  expectEcho(to: string, random: number): void {
    const k = echoKey(to, random)
    if (!this.echoes.has(k)) this.echoes.set(k, null)
  }

  /** The send was acknowledged with `msgKey`: forget it as pending, and never surface that key. */
  echoSettled(to: string, random: number, msgKey: string): void {
    this.echoes.delete(echoKey(to, random))
    this.seen.add(msgKey)
  }

  /**
   * The send failed or timed out. Returns its echo if one was already seen (this user's copy
   * was then stored; see ParleyClient.send for what that proves), else undefined; either way
   * it is no longer pending, so an echo arriving later surfaces as a normal message.
   */
  echoAbandoned(to: string, random: number): MsgEvent | undefined {
    const k = echoKey(to, random)
    const ev = this.echoes.get(k) ?? undefined
    this.echoes.delete(k)
    return ev
  }
}

function echoKey(to: string, random: number): string {
  return `${to}\n${random}`
}
