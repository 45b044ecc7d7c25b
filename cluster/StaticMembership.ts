/**
 * StaticMembership: a fixed node list that never changes. Embedded mode uses it with the
 * default list, this node alone; tests use it to give several in-process nodes the same
 * list. No I/O: `start()` cannot fail, and `onChange` listeners hear only the start.
 */
import type { MembershipSnapshot } from '../actors/runtime/placement.js'
import type { Logger } from '../src/core/log.js'
import { EMPTY_SNAPSHOT, type Membership, type MembershipListener } from './Membership.js'
import { MembershipListeners } from './MembershipListeners.js'

export interface StaticMembershipOptions {
  /** This node's id, with its boot incarnation. */
  readonly self: string
  /** Every node of the cluster; `self` is added if missing. Default: `[self]`. */
  readonly nodes?: readonly string[]
  /** The snapshot's version. Default 1. */
  readonly version?: number
  /** Where a throwing listener is reported. */
  readonly log: Logger
}

export class StaticMembership implements Membership {
  readonly self: string
  private readonly fixed: MembershipSnapshot
  private current: MembershipSnapshot = EMPTY_SNAPSHOT
  private readonly listeners: MembershipListeners
  private started: Promise<void> | undefined
  private stopped = false

  constructor(opts: StaticMembershipOptions) {
    const version = opts.version ?? 1
    if (!Number.isSafeInteger(version) || version < 1) throw new RangeError(`version must be a positive integer, got ${version}`)
    this.self = opts.self
    this.listeners = new MembershipListeners(opts.log)
    const nodes = [...new Set([...(opts.nodes ?? []), opts.self])].sort()
    this.fixed = Object.freeze({ version, nodes: Object.freeze(nodes) })
  }

  start(): Promise<void> {
    this.started ??= Promise.resolve().then(() => {
      if (this.stopped) return
      this.current = this.fixed
      this.listeners.notify(this.fixed)
    })
    return this.started
  }

  snapshot(): MembershipSnapshot {
    return this.current
  }

  onChange(listener: MembershipListener): () => void {
    return this.listeners.add(listener)
  }

  stop(): Promise<void> {
    this.stopped = true
    this.listeners.clear()
    return Promise.resolve()
  }
}
