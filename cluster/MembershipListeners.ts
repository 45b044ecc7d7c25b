/**
 * The listener set both Membership implementations share: `add` returns the unsubscribe
 * function `onChange` hands out; `notify` calls every listener with one snapshot, catching
 * and logging a listener that throws so the others still hear it.
 */
import type { MembershipSnapshot } from '../actors/runtime/placement.js'
import type { Logger } from '../src/core/log.js'
import type { MembershipListener } from './Membership.js'

export class MembershipListeners {
  private readonly set = new Set<MembershipListener>()

  constructor(private readonly log: Logger) {}

  add(listener: MembershipListener): () => void {
    this.set.add(listener)
    return () => {
      this.set.delete(listener)
    }
  }

  notify(snap: MembershipSnapshot): void {
    for (const l of [...this.set]) {
      try {
        l(snap)
      } catch (err) {
        this.log.error('membership listener threw', { error: err instanceof Error ? err.stack : String(err) })
      }
    }
  }

  clear(): void {
    this.set.clear()
  }
}
