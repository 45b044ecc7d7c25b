/**
 * The stream events a shard record produces, per user that keeps a copy: the one definition
 * used by the index when it checkpoints a record and by the shard when it pushes the record
 * or serves it before its checkpoint, so a device sees the same event either way.
 */
import { c2cConv, type InboxEvent } from '../protocol/events.js'
import type { ShardRecord } from './ConvIndex.js'

export interface UserEvent {
  readonly user: string
  readonly peer: string
  readonly ev: InboxEvent
}

/** The events of `rec` in shard `sh`, at most one per user (one for a message to oneself). */
export function userEventsOf(rec: ShardRecord, sh: number): UserEvent[] {
  const { a, b, msg } = rec
  const sides: [user: string, peer: string, seq: number][] = a === b ? [[a, a, rec.sa]] : [[a, b, rec.sa], [b, a, rec.sb]]
  const out: UserEvent[] = []
  for (const [user, peer, seq] of sides) {
    if (seq === 0) continue
    out.push({ user, peer, ev: { type: 'msg', seq, conv: c2cConv(peer), msg, ...(rec.expireAt !== undefined ? { expireAt: rec.expireAt } : {}), sh } })
  }
  return out
}
