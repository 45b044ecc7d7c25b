/**
 * LocalNodeBus: the node bus inside one process, over a `LocalNodeHub` that the process's
 * buses share (an instance the composition or the test creates; there is no module-level
 * hub). Used to run several nodes in one process without Redis.
 *
 * It keeps the wire honest: batches are msgpack-encoded and decoded exactly as over Redis,
 * so a value that could not cross a real node boundary cannot cross this one either, and
 * the receiver never shares objects with the sender. The semantics are NodeBus.ts's; here
 * loss happens only for a target that is not attached to the hub (never started, stopped,
 * or unknown), which is what a node that is gone looks like.
 */
import type { Logger } from '../src/core/log.js'
import { BatchingNodeBus } from './BatchingNodeBus.js'

type Endpoint = (batch: ArrayBuffer) => void

/** The in-process switchboard: endpoints by (node, thread). */
export class LocalNodeHub {
  private readonly endpoints = new Map<string, Endpoint>()

  /** Attaches an endpoint; throws if the address is taken. Returns its detachment. */
  attach(node: string, thread: number, endpoint: Endpoint): () => void {
    const key = LocalNodeHub.key(node, thread)
    if (this.endpoints.has(key)) throw new Error(`local node bus: ${node} thread ${thread} is already attached`)
    this.endpoints.set(key, endpoint)
    return () => {
      if (this.endpoints.get(key) === endpoint) this.endpoints.delete(key)
    }
  }

  /** Delivers one batch to (`node`, `thread`) synchronously; false when nobody is attached there. */
  publish(node: string, thread: number, batch: ArrayBuffer): boolean {
    const endpoint = this.endpoints.get(LocalNodeHub.key(node, thread))
    if (endpoint === undefined) return false
    endpoint(batch)
    return true
  }

  private static key(node: string, thread: number): string {
    return `${thread}/${node}`
  }
}

export interface LocalNodeBusOptions {
  readonly hub: LocalNodeHub
  readonly node: string
  readonly thread: number
  readonly log: Logger
}

export class LocalNodeBus extends BatchingNodeBus {
  private readonly hub: LocalNodeHub
  private detach: (() => void) | undefined

  constructor(opts: LocalNodeBusOptions) {
    super(opts.node, opts.thread, opts.log)
    this.hub = opts.hub
  }

  protected async open(): Promise<void> {
    this.detach = this.hub.attach(this.node, this.thread, (batch) => this.deliver(batch))
  }

  /** Called from the flush, so delivery is never synchronous with `send`. */
  protected async transmit(node: string, thread: number, batch: ArrayBuffer, count: number): Promise<number> {
    return this.hub.publish(node, thread, batch) ? 0 : count
  }

  protected async close(): Promise<void> {
    this.detach?.()
    this.detach = undefined
  }
}
