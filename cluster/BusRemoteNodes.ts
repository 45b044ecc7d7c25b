/**
 * BusRemoteNodes: a worker thread's RemoteNodes over its NodeBus endpoint, both ways.
 *
 * - Out: `send(node, thread, env)` wraps `env` in a `relay` addressed to (node, thread) and
 *   hands it to the bus for that endpoint. It inherits the bus's semantics (NodeBus.ts): at
 *   most once, FIFO per (this thread, target endpoint), never throws or blocks.
 * - In: every relay arriving on the bus goes to `mesh.receive`, where the thread mesh checks
 *   the boot incarnation (a relay for an earlier incarnation is dropped) and re-shards tells
 *   and asks with this node's own thread count.
 *
 * Thread hints: for `tell`/`ask` the router picks the target thread with its own thread
 * count; when the target's id carries its thread count (actors/runtime/nodeId.ts), the hint is
 * recomputed here with that count, so nodes may run different numbers of threads. (For an id
 * without one, a hint beyond the target's threads is dropped by the bus.)
 */
import { parseActorId } from '../actors/runtime/ActorId.js'
import { shardOf } from '../actors/runtime/placement.js'
import type { RemoteNodes } from '../actors/runtime/RemoteNodes.js'
import type { Envelope, ThreadEnvelope } from '../actors/runtime/envelope.js'
import type { NodeBus } from './NodeBus.js'
import { threadsOf } from '../actors/runtime/nodeId.js'

/** Where arriving relays go: the thread mesh of the bus's thread. */
export interface RelayReceiver {
  receive(env: Envelope): void
}

export interface BusRemoteNodesOptions {
  readonly bus: NodeBus
  readonly mesh: RelayReceiver
}

export class BusRemoteNodes implements RemoteNodes {
  private readonly bus: NodeBus
  private readonly unsubscribe: () => void

  /** Starts forwarding the bus's arrivals to `mesh` at once; `close()` stops that. */
  constructor(opts: BusRemoteNodesOptions) {
    this.bus = opts.bus
    const mesh = opts.mesh
    this.unsubscribe = opts.bus.onReceive((msg) => mesh.receive(msg))
  }

  send(node: string, thread: number, env: ThreadEnvelope): void {
    let to = thread
    if (env.t === 'tell' || env.t === 'ask') {
      const threads = threadsOf(node)
      if (threads !== undefined) {
        try {
          to = shardOf(parseActorId(env.to), threads)
        } catch {
          // A malformed actor id: keep the hint; the receiving host refuses it.
        }
      }
    }
    this.bus.send(node, to, { t: 'relay', node, thread: to, env })
  }

  /** Stops forwarding arrivals. The bus itself is stopped by its owner. */
  close(): void {
    this.unsubscribe()
  }
}
