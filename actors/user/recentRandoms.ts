/**
 * What a session remembers of messages it does not store (online-only ones), by dedupe scope
 * and MsgRandom: at most `capacity` entries (the oldest forgotten first), each for
 * `Limits.dedupeWindowSeconds`, and only for the life of the activation. A retry that comes
 * after either bound, or after the session moved or restarted, is taken for a new message.
 */
import { Limits } from '../../src/protocol/limits.js'

export const RECENT_RANDOMS = 256

export class RecentRandoms<V> {
  private readonly entries = new Map<string, { value: V; atMs: number }>()

  constructor(private readonly capacity = RECENT_RANDOMS) {}

  get(scope: string, random: number, nowMs: number): V | undefined {
    const e = this.entries.get(`${random}\u0000${scope}`)
    return e && nowMs - e.atMs <= Limits.dedupeWindowSeconds * 1000 ? e.value : undefined
  }

  remember(scope: string, random: number, value: V, nowMs: number): void {
    const key = `${random}\u0000${scope}`
    this.entries.delete(key)
    this.entries.set(key, { value, atMs: nowMs })
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
  }
}
