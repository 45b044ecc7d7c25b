/**
 * RemoteNodes: how a thread's router hands an envelope to another node. The cluster layer
 * implements it over the node bus (Redis); in embedded mode the membership snapshot holds
 * only this node, so the router never calls it.
 */
import type { ThreadEnvelope } from './envelope.js'

export interface RemoteNodes {
  /**
   * Sends `env` towards thread `thread` of node `node` (the id with its boot incarnation),
   * typically as a `relay` envelope. Contract for implementations:
   * - at most once; FIFO per (sending thread, target node);
   * - never blocks and never throws for an unreachable node: it drops (and counts) instead,
   *   and the asker's timeout answers the ask;
   * - `thread` is a hint for `tell`/`ask` (the receiver re-shards `env.to` with its own thread
   *   count) and authoritative for `reply`, `push` and `close`.
   */
  send(node: string, thread: number, env: ThreadEnvelope): void
}
