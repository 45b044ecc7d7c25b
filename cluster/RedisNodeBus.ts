/**
 * RedisNodeBus: the node bus over Redis pub/sub. Each endpoint (node, thread) subscribes to
 * its own channel `P:bus:<node>:<thread>` (`P` = the key prefix, `<node>` with its boot
 * incarnation) on a subscriber connection, and publishes on a separate publisher
 * connection. Each payload is one msgpack batch of NodeMessages.
 *
 * How NodeBus.ts's semantics follow from Redis:
 * - FIFO per (sender, target): one publisher connection per bus, commands are answered and
 *   applied in order, and Redis forwards a channel's messages to a subscriber in publish order.
 * - At most once: no resends (see redisConnection.ts: no offline queue, no retry of commands
 *   in flight when a connection drops). PUBLISH's answer is the number of subscribers that
 *   got the batch; 0 means nobody listens (a node that is gone, or a subscriber momentarily
 *   reconnecting), and its messages are counted as dropped.
 * - A Redis restart: both connections reconnect by themselves and the subscriber
 *   resubscribes; what was sent meanwhile, or before the subscription is back, is dropped.
 *
 * `start()` when Redis is unreachable: keeps trying for `connectTimeoutMs`, then rejects with
 * "node bus: cannot reach Redis at <url> (…)" and leaves nothing running.
 */
import type { Logger } from '../src/core/log.js'
import { BatchingNodeBus } from './BatchingNodeBus.js'
import { RedisConnection, type RedisSource } from './redisConnection.js'

export interface RedisNodeBusOptions {
  /** Redis URL, or a factory of fresh clients (called for a publisher and a subscriber). */
  readonly redis: RedisSource
  /** Key and channel prefix shared by the cluster's nodes, e.g. `parley`. */
  readonly prefix: string
  /** This endpoint: node id (with boot incarnation) and worker thread. */
  readonly node: string
  readonly thread: number
  readonly log: Logger
  /** How long `start()` keeps trying to reach Redis before rejecting, ms. Default 5,000. */
  readonly connectTimeoutMs?: number
  /** Upper bound of the reconnect back-off, ms. Default 1,000. */
  readonly reconnectMaxMs?: number
}

/** The channel endpoint (`node`, `thread`) listens on. */
export function busChannel(prefix: string, node: string, thread: number): string {
  return `${prefix}:bus:${node}:${thread}`
}

export class RedisNodeBus extends BatchingNodeBus {
  private readonly source: RedisSource
  private readonly prefix: string
  private readonly channel: string
  private readonly connectTimeoutMs: number
  private readonly reconnectMaxMs: number
  private pub: RedisConnection | undefined
  private sub: RedisConnection | undefined

  constructor(opts: RedisNodeBusOptions) {
    super(opts.node, opts.thread, opts.log)
    this.source = opts.redis
    this.prefix = opts.prefix
    this.channel = busChannel(opts.prefix, opts.node, opts.thread)
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5_000
    this.reconnectMaxMs = opts.reconnectMaxMs ?? 1_000
  }

  protected async open(): Promise<void> {
    const common = { component: 'node bus', log: this.log, reconnectMaxMs: this.reconnectMaxMs }
    const pub = new RedisConnection(this.source, { ...common, role: 'publisher' })
    const sub = new RedisConnection(this.source, { ...common, role: 'subscriber' })
    try {
      await Promise.all([pub.ready(this.connectTimeoutMs), sub.ready(this.connectTimeoutMs)])
      sub.client.on('messageBuffer', this.onMessage)
      await sub.subscribe(this.channel)
    } catch (err) {
      pub.close()
      sub.close()
      if (err instanceof Error && err.message.startsWith('node bus:')) throw err
      throw new Error(`node bus: could not subscribe ${this.channel}: ${err instanceof Error ? err.message : String(err)}`)
    }
    this.pub = pub
    this.sub = sub
  }

  protected async transmit(node: string, thread: number, batch: ArrayBuffer, count: number): Promise<number> {
    const pub = this.pub
    if (pub === undefined) return count
    try {
      const receivers = await pub.client.publish(busChannel(this.prefix, node, thread), Buffer.from(batch))
      return receivers === 0 ? count : 0
    } catch {
      // Disconnected or timed out: the loss is counted by the caller; the outage is logged once by the connection.
      return count
    }
  }

  protected async close(): Promise<void> {
    const sub = this.sub
    if (sub !== undefined && sub.client.status === 'ready') {
      await sub.client.unsubscribe(this.channel).catch(() => undefined)
    }
    sub?.close()
    this.pub?.close()
  }

  private readonly onMessage = (channel: Buffer, message: Buffer): void => {
    if (channel.toString() === this.channel) this.deliver(message)
  }
}
