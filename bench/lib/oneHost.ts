/**
 * One ActorHost with an in-memory Router (no mesh, no sockets) for in-process benchmarks of
 * actor paths: tells and asks go straight to the host, replies settle the caller's promise,
 * pushes are counted and dropped.
 */
import { type ActorId, actorIdString } from '../../actors/runtime/ActorId.js'
import { ActorHost, type ActorHostOptions, type ReplySink } from '../../actors/runtime/ActorHost.js'
import type { ReplyAddress, ReplyEnvelope } from '../../actors/runtime/envelope.js'
import { fromWire } from '../../actors/runtime/errors.js'
import type { ActorMessage } from '../../actors/runtime/protocol.js'
import type { ConnRef, Router, ThreadRef } from '../../actors/runtime/types.js'
import type { Logger } from '../../src/core/log.js'

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} }

export class OneHost<S> implements ReplySink {
  readonly host: ActorHost<S>
  readonly router: Router
  pushes = 0
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()

  constructor(opts: Omit<ActorHostOptions<S>, 'node' | 'thread' | 'router' | 'replies' | 'log'>) {
    const self = this
    this.router = {
      tell: (to: ActorId, msg: ActorMessage) => this.host.deliver(actorIdString(to), msg),
      ask: (to: ActorId, msg: ActorMessage) => new Promise((resolve, reject) => {
        const id = this.nextId++
        this.pending.set(id, { resolve, reject })
        const reply: ReplyAddress = { id, node: 'n1', from: 0 }
        this.host.deliver(actorIdString(to), msg, reply)
      }),
      push(_c: ConnRef, _f: Uint8Array) { self.pushes++ },
      disconnect() {},
      subscribe() {},
      publish() {},
      queryInterest() {},
      threads: (): ThreadRef[] => [{ node: 'n1', thread: 0 }],
    } as Router
    this.host = new ActorHost<S>({ node: 'n1', thread: 0, router: this.router, replies: this, log: quiet, ...opts })
  }

  reply(to: ReplyAddress, env: ReplyEnvelope): void {
    const p = this.pending.get(to.id)
    if (p === undefined) return
    this.pending.delete(to.id)
    if (env.ok) p.resolve(env.value)
    else p.reject(fromWire(env.error))
  }
}
