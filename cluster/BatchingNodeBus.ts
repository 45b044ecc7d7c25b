/**
 * BatchingNodeBus: what every NodeBus implementation shares — the per-target outbox flushed
 * once per event-loop turn, encoding with salvage, decoding and dispatch of received
 * batches, handlers, counters, and the start/drain/stop lifecycle. A backend supplies only
 * `open` (connect and subscribe), `transmit` (hand one encoded batch to the transport) and
 * `close` (unsubscribe and release).
 *
 * The semantics written in NodeBus.ts hold provided the backend's `transmit` keeps order
 * per target and never retries.
 */
import type { Logger } from '../src/core/log.js'
import type { NodeBus, NodeBusStats, NodeMessageHandler } from './NodeBus.js'
import { type NodeMessage, decodeNodeBatch, encodeNodeBatch } from './NodeMessage.js'

interface Outgoing {
  readonly node: string
  readonly thread: number
  msgs: NodeMessage[]
}

type State = 'new' | 'starting' | 'open' | 'stopping' | 'stopped'

export abstract class BatchingNodeBus implements NodeBus {
  readonly node: string
  readonly thread: number
  protected readonly log: Logger
  private readonly handlers = new Set<NodeMessageHandler>()
  private outbox = new Map<string, Outgoing>()
  private scheduled = false
  private readonly inFlight = new Set<Promise<void>>()
  private state: State = 'new'
  private started: Promise<void> | undefined
  private stopping: Promise<void> | undefined
  private readonly counters: NodeBusStats = { sent: 0, batchesSent: 0, received: 0, batchesReceived: 0, dropped: 0 }

  protected constructor(node: string, thread: number, log: Logger) {
    if (!Number.isInteger(thread) || thread < 0) throw new RangeError(`thread must be a non-negative integer, got ${thread}`)
    this.node = node
    this.thread = thread
    this.log = log
  }

  /** Connects and subscribes this endpoint; rejects with a clear Error when it cannot. */
  protected abstract open(): Promise<void>

  /**
   * Hands one encoded batch of `count` messages for (`node`, `thread`) to the transport, in
   * call order per target. Resolves with how many of them are known lost (0 when accepted;
   * `count` when refused or nobody listens); must not reject and must not retry.
   */
  protected abstract transmit(node: string, thread: number, batch: ArrayBuffer, count: number): Promise<number>

  /** Unsubscribes and releases the transport. Must not reject. */
  protected abstract close(): Promise<void>

  start(): Promise<void> {
    this.started ??= (async () => {
      if (this.stopping !== undefined) throw new Error(`node bus: ${this.node} thread ${this.thread} was stopped`)
      this.state = 'starting'
      try {
        await this.open()
      } catch (err) {
        this.state = 'stopped'
        throw err
      }
      if (this.state === 'starting') this.state = 'open'
    })()
    return this.started
  }

  send(node: string, thread: number, msg: NodeMessage): void {
    if (this.state !== 'open') {
      this.counters.dropped++
      return
    }
    const key = `${thread}/${node}`
    const out = this.outbox.get(key)
    if (out === undefined) this.outbox.set(key, { node, thread, msgs: [msg] })
    else out.msgs.push(msg)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flush)
    }
  }

  onReceive(handler: NodeMessageHandler): () => void {
    this.handlers.add(handler)
    return () => {
      this.handlers.delete(handler)
    }
  }

  async drain(): Promise<void> {
    this.flush()
    while (this.inFlight.size > 0) await Promise.all(this.inFlight)
  }

  stats(): NodeBusStats {
    return { ...this.counters }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.started !== undefined) await this.started.catch(() => undefined)
      const wasOpen = this.state === 'open'
      if (wasOpen) await this.drain()
      this.state = 'stopping'
      if (wasOpen) await this.close()
      this.state = 'stopped'
      this.handlers.clear()
    })()
    return this.stopping
  }

  /** For backends: one batch arrived for this endpoint. Never throws. */
  protected deliver(bytes: Uint8Array | ArrayBuffer): void {
    if (this.state !== 'open' && this.state !== 'stopping') return
    let messages: NodeMessage[]
    try {
      const decoded = decodeNodeBatch(bytes)
      messages = decoded.messages
      if (decoded.invalid > 0) {
        this.counters.dropped += decoded.invalid
        this.log.warn('node bus: elements that are not node messages dropped', { count: decoded.invalid })
      }
    } catch (err) {
      this.counters.dropped++
      this.log.error('node bus: undecodable batch dropped', { error: String(err) })
      return
    }
    this.counters.batchesReceived++
    this.counters.received += messages.length
    for (const msg of messages) {
      for (const h of this.handlers) {
        try {
          h(msg)
        } catch (err) {
          this.log.error('node bus handler threw', { tag: msg.t, error: err instanceof Error ? err.stack : String(err) })
        }
      }
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false
    if (this.outbox.size === 0) return
    const outbox = this.outbox
    this.outbox = new Map()
    for (const out of outbox.values()) {
      const { bytes, count, dropped } = encodeNodeBatch(out.msgs, this.log)
      this.counters.dropped += dropped
      if (bytes === null) continue
      this.counters.sent += count
      this.counters.batchesSent++
      const p: Promise<void> = this.transmit(out.node, out.thread, bytes, count).then(
        (lost) => {
          this.counters.dropped += lost
          this.inFlight.delete(p)
        },
        (err: unknown) => {
          this.counters.dropped += count
          this.inFlight.delete(p)
          this.log.error('node bus transmit failed', { error: String(err) })
        },
      )
      this.inFlight.add(p)
    }
  }
}
