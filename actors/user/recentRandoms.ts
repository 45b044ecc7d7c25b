/**
 * What a session remembers of messages it does not store (online-only ones), by dedupe scope
 * and MsgRandom: at most `capacity` entries (the least recently used forgotten first), each
 * for `Limits.dedupeWindowSeconds`, and only for the life of the activation. A retry that
 * comes after either bound, or after the session moved or restarted, is taken for a new message.
 */
import { Lru } from '../../src/core/lru.js'
import { Limits } from '../../src/core/limits.js'

export const RECENT_RANDOMS = 256

export class RecentRandoms<V> {
  private readonly entries: Lru<{ value: V; atMs: number }>

  constructor(capacity = RECENT_RANDOMS) {
    this.entries = new Lru(capacity)
  }

  get(scope: string, random: number, nowMs: number): V | undefined {
    const e = this.entries.get(`${random}\u0000${scope}`)
    return e && nowMs - e.atMs <= Limits.dedupeWindowSeconds * 1000 ? e.value : undefined
  }

  remember(scope: string, random: number, value: V, nowMs: number): void {
    this.entries.set(`${random}\u0000${scope}`, { value, atMs: nowMs })
  }
}
