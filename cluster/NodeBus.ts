/**
 * NodeBus: node-to-node transport of NodeMessages. One bus is one endpoint, (node, thread):
 * each worker thread of each node owns one, and receives only what is sent to its address.
 *
 * Implementations: `LocalNodeBus` (an in-process hub, for several nodes in one process) and
 * `RedisNodeBus` (Redis pub/sub, one channel per node thread). One conformance suite runs
 * against both (test/cluster/fixtures/nodeBusSuite.ts).
 *
 * Delivery semantics (what callers may rely on, and what they may not):
 * - At most once. A message is never delivered twice; it may be lost: while the bus is
 *   disconnected from its transport (a Redis outage or restart drops what is sent and what
 *   is in flight), when the target endpoint does not exist or is not subscribed (a node
 *   that is gone, a thread it does not have, an earlier boot incarnation), when it cannot
 *   be encoded, or when sent before `start()` or after `stop()`. Losses are counted in
 *   `stats().dropped` (for Redis, a publish that reached no subscriber counts), never thrown.
 * - FIFO per (sending endpoint, target endpoint) while both stay connected: messages arrive
 *   in send order, with gaps only where a loss happened. No order across senders.
 * - Batching: everything one endpoint sends to one target during one event-loop turn leaves
 *   at the end of that turn (a `setImmediate` flush) as ONE encoded batch (one publish).
 * - Asynchronous: `send` never delivers synchronously, not even to its own address.
 *
 * Why losses are acceptable: an ask that loses its request or reply is answered by the
 * asker's timeout (TIMEOUT, retryable); a lost tell or push is repaired by the delivery
 * contract's catch-up: every acknowledged message is durable in the store, and a device
 * catches up from its cursor on reconnect or when it sees a gap. The bus adds no durability
 * and no retries of its own.
 */
import type { NodeMessage } from './NodeMessage.js'

/** Called with each message addressed to this endpoint, in arrival order. Must not throw (a throw is caught and logged). */
export type NodeMessageHandler = (msg: NodeMessage) => void

/** Counters since the bus was created. */
export interface NodeBusStats {
  /** Messages handed to the transport, and the batches (publishes) that carried them. */
  sent: number
  batchesSent: number
  /** Messages delivered to handlers, and the batches they arrived in. */
  received: number
  batchesReceived: number
  /** Messages lost on either side: see the delivery semantics above. */
  dropped: number
}

export interface NodeBus {
  /** This endpoint's address: node id (with boot incarnation) and worker thread. */
  readonly node: string
  readonly thread: number

  /**
   * Connects and subscribes this endpoint's address; messages sent to it from then on are
   * delivered. Rejects with an Error naming the transport and the cause when it cannot
   * connect within the implementation's timeout, or after `stop()` (a bus is not restarted:
   * make a new one). Calling it again returns the same promise.
   */
  start(): Promise<void>

  /**
   * Queues `msg` for endpoint (`node`, `thread`); it leaves with this turn's batch. Never
   * throws and never blocks; at most once (see above).
   */
  send(node: string, thread: number, msg: NodeMessage): void

  /** Adds a handler for messages addressed to this endpoint; returns its removal. */
  onReceive(handler: NodeMessageHandler): () => void

  /**
   * Flushes what is queued now and resolves once every batch sent so far has been accepted
   * or refused by the transport (so `stats()` accounts for it). Never rejects.
   */
  drain(): Promise<void>

  stats(): NodeBusStats

  /**
   * Flushes and drains what was sent, unsubscribes (later messages to this address are
   * dropped by the transport) and releases connections. Handlers are not called after it
   * resolves; later `send`s are dropped. Idempotent; never rejects.
   */
  stop(): Promise<void>
}
