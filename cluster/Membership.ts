/**
 * Membership: which nodes are live, as a versioned snapshot every node can read cheaply and
 * is told about when it changes. Placement (`placeActor`) is a pure function of that
 * snapshot, so nodes holding the same version agree on where every actor lives.
 *
 * Implementations: `StaticMembership` (a fixed list; embedded mode is a list of one) and
 * `RedisMembership` (heartbeats with a TTL in Redis). One conformance suite runs against both
 * (test/cluster/fixtures/membershipSuite.ts).
 */
import type { MembershipSnapshot } from '../actors/runtime/placement.js'
import type { MembershipView } from '../actors/runtime/MeshRouter.js'

/** Told of every snapshot a member adopts. Must not throw (a throw is caught and logged). */
export type MembershipListener = (snapshot: MembershipSnapshot) => void

/** The snapshot before `start()`: version 0, no nodes. */
export const EMPTY_SNAPSHOT: MembershipSnapshot = Object.freeze({ version: 0, nodes: Object.freeze([]) })

export interface Membership extends MembershipView {
  /** This node's id, with its boot incarnation (`nodeId#incarnation`). */
  readonly self: string

  /**
   * Joins: registers this node and adopts a first snapshot, which contains this node.
   * Rejects with an Error naming the backend and the cause when the backend cannot be
   * reached within the implementation's connect timeout; the node must then refuse to start.
   * Calling it again returns the same promise.
   */
  start(): Promise<void>

  /**
   * The latest adopted snapshot; synchronous and allocation-free (the same frozen object
   * until the next change). `nodes` is sorted ascending and has no duplicates. Between
   * `start()` resolving and `stop()`, it contains `self`. Before `start()` resolves it is
   * EMPTY_SNAPSHOT; after `stop()` it keeps its last value.
   *
   * Versions: a snapshot with a higher version is newer. Two members holding the same
   * version hold the same node list (see the implementation for the one exception after a
   * backend data loss).
   */
  snapshot(): MembershipSnapshot

  /**
   * Calls `listener` with each newly adopted snapshot, in strictly increasing version order,
   * synchronously at adoption (so `snapshot()` already returns it). Versions may be skipped:
   * changes that happen close together can be seen as one. Never called after `stop()`
   * begins. Returns a function that removes the listener.
   */
  onChange(listener: MembershipListener): () => void

  /**
   * Leaves: deregisters at once, so other members see this node gone without waiting for a
   * timeout, then releases timers and connections. Idempotent; safe before `start()`.
   * Never rejects: a failure to deregister is logged, and the entry then expires on its own.
   */
  stop(): Promise<void>
}
