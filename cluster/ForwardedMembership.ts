/**
 * ForwardedMembership: a worker thread's view of its node's membership. The node's main
 * thread owns the real Membership (RedisMembership in cluster mode) and posts every snapshot
 * it adopts to each worker; the worker `adopt`s it here. Routers read `snapshot()`; the
 * thread's listeners (actor hand-off) hear each newer snapshot.
 *
 * Until the first forwarded snapshot, the view is `initial` (this node alone at version 0),
 * so envelopes are routed locally; a node takes client traffic only after the first one.
 */
import type { MembershipSnapshot } from '../actors/runtime/placement.js'
import type { MembershipView } from '../actors/runtime/MeshRouter.js'
import type { Logger } from '../src/core/log.js'
import type { MembershipListener } from './Membership.js'
import { MembershipListeners } from './MembershipListeners.js'

export class ForwardedMembership implements MembershipView {
  private current: MembershipSnapshot
  private readonly listeners: MembershipListeners

  constructor(self: string, log: Logger, initial?: MembershipSnapshot) {
    this.current = initial ?? Object.freeze({ version: 0, nodes: Object.freeze([self]) })
    this.listeners = new MembershipListeners(log)
  }

  snapshot(): MembershipSnapshot {
    return this.current
  }

  /** Adopts `snap` if it is newer than the current one; returns whether it did. */
  adopt(snap: MembershipSnapshot): boolean {
    if (snap.version <= this.current.version) return false
    this.current = Object.freeze({ version: snap.version, nodes: Object.freeze([...snap.nodes]) })
    this.listeners.notify(this.current)
    return true
  }

  onChange(listener: MembershipListener): () => void {
    return this.listeners.add(listener)
  }
}
