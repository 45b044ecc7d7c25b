/**
 * Typed actor protocols. Each actor kind declares, in one place, every message it takes and
 * the reply each one gets: a map from message kind to `Call<request, reply>`. A reference to
 * an actor (`ActorRef<P>`) carries its protocol in its type, so `ask` infers the reply from
 * the request's `kind` and no caller restates it; the kind's handler table is checked against
 * the same map (`Handlers<P>`), so a handler that answers a wrong shape does not compile.
 *
 * Nothing here exists at run time beyond `dispatch`: an `ActorRef` is a plain ActorId, and a
 * request and its reply cross threads and nodes as msgpack values, as before.
 */
import type { ActorId } from './ActorId.js'

/** Every actor message is a plain, msgpack-encodable object with a string `kind`. */
export interface ActorMessage {
  readonly kind: string
  /**
   * A tell with `ifActive: true` is dropped when its target is not active (it never activates
   * one): for news an actor learns anyway when it next activates.
   */
  readonly ifActive?: boolean
}

/** One message of a protocol: its request type and the type of its reply. */
export interface Call<M extends ActorMessage, R> {
  readonly msg: M
  readonly reply: R
}

/** An actor kind's protocol: for each message kind, the Call it makes. */
export type Protocol = { readonly [kind: string]: Call<ActorMessage, unknown> }

/**
 * A protocol whose every entry's request carries its own key as `kind`; `never` otherwise.
 * Declare protocols as `type P = CheckedProtocol<{ … }>` so a mismatch cannot be written.
 */
export type CheckedProtocol<P extends Protocol> = { [K in keyof P]: P[K]['msg']['kind'] extends K ? P[K] : never }

declare const protocolOf: unique symbol

/** An ActorId typed with the protocol of the actor it names (see the kind's `…Actor()` constructor). */
export type ActorRef<P extends Protocol> = ActorId & { readonly [protocolOf]?: P }

/** The request union of a protocol. */
export type MessageOf<P extends Protocol> = P[keyof P]['msg']

/** The request of kind `K`, as `ask` and `tell` take it. */
export type RequestOf<P extends Protocol, K extends keyof P & string> = { readonly kind: K } & P[K]['msg']

/** The reply to the request of kind `K`. */
export type ReplyOf<P extends Protocol, K extends keyof P> = P[K]['reply']

/**
 * A reply the actor has not finished. Returned from a handler, it lets the actor take its
 * next message at once while the asker waits for `promise` (e.g. a durable store flush).
 * The host sends the reply when `promise` settles: a coded error (CodedError) rejection is a
 * coded failure; any other rejection is a fault (logged, INTERNAL, the activation discarded).
 * Replies of one actor go out in the order their promises settle. The actor stays active
 * (no idle deactivation) while any of its later replies is pending.
 */
export class LaterReply<R = unknown> {
  constructor(readonly promise: Promise<R>) {}
}

/** What a handler may return for a reply of type R (an async handler may resolve to a LaterReply). */
export type Reply<R> = R | LaterReply<R> | Promise<R | LaterReply<R>>

/** One handler per message kind of P, each answering that kind's reply type. */
export type Handlers<P extends Protocol> = { readonly [K in keyof P]: (msg: P[K]['msg']) => Reply<P[K]['reply']> }

/**
 * Runs the handler of `msg.kind`. A kind without a handler (a message from a newer or a
 * confused sender) throws a TypeError: a fault, as any other bug in a handler.
 */
export async function dispatch<P extends Protocol>(handlers: Handlers<P>, msg: ActorMessage): Promise<unknown> {
  const h = Object.hasOwn(handlers, msg.kind) ? (handlers as Record<string, (m: ActorMessage) => unknown>)[msg.kind] : undefined
  if (h === undefined) throw new TypeError(`unhandled message kind: ${msg.kind}`)
  return h(msg)
}
