/**
 * The failures the actor runtime raises itself, with their wire codes (declared in
 * src/core/errors.ts as RuntimeFailures, where the app's catalogue lists them by reference).
 * The runtime knows no other code: a handler's coded failure is any CodedError, passed on as
 * `{code, message}`, and an ask rejected by another thread or node is rebuilt as a CodedError
 * of the code it carried.
 */
import { CodedError, RuntimeFailures, type WireError } from '../../src/core/errors.js'

export const RuntimeErrors = RuntimeFailures

export type RuntimeErrorName = keyof typeof RuntimeErrors

export class RuntimeError extends CodedError {
  constructor(readonly reason: RuntimeErrorName, detail?: string) {
    const e = RuntimeErrors[reason]
    super(e.code, detail ? `${e.message}: ${detail}` : e.message, e.retryable)
  }
}

/**
 * An ask rejected because the node it was sent to left the membership before answering
 * (ThreadMesh.abandonAsks). On the wire it is a TIMEOUT (9007): the outcome is as unknown as
 * a timed-out ask's; within the asking thread the class lets the router resend it.
 */
export class NodeLeftError extends RuntimeError {
  constructor(readonly node: string, to: string) {
    super('TIMEOUT', `ask to ${to}: node ${node} left the cluster before answering`)
  }
}

/** The wire form of a runtime failure (frozen: shared by every refusal). */
export function runtimeWire(reason: RuntimeErrorName, detail?: string): WireError {
  const e = RuntimeErrors[reason]
  return Object.freeze({ code: e.code, message: detail ? `${e.message}: ${detail}` : e.message })
}

const retryableCodes = new Set<number>(Object.values(RuntimeErrors).map((e) => e.code))

/**
 * An ask's failure as another thread or node sent it. Whether it may be retried is known
 * for the runtime's own codes only; the app maps other codes by its catalogue.
 */
export function fromWire(w: WireError): CodedError {
  return new CodedError(w.code, w.message, retryableCodes.has(w.code))
}
