/**
 * The failures the actor runtime raises itself, with their wire codes. The runtime knows no
 * other code: a handler's coded failure is any CodedError (src/core/errors.ts), passed on as
 * `{code, message}`, and an ask rejected by another thread or node is rebuilt as a CodedError
 * of the code it carried. The app's catalogue (src/core/errors.ts) lists these four codes
 * too, for its error table; test/actors/runtimeErrors.test.ts keeps the two equal.
 */
import { CodedError, type WireError } from '../../src/core/errors.js'

export const RuntimeErrors = {
  /** A handler threw something other than a CodedError, or the runtime itself failed. */
  INTERNAL: { code: 20005, retryable: true, message: 'internal server error' },
  /** The target's mailbox is full. */
  BUSY: { code: 9006, retryable: true, message: 'actor mailbox full; retry later' },
  /** No reply within the ask's timeout. */
  TIMEOUT: { code: 9007, retryable: true, message: 'request timed out inside the server' },
  /** The host or the mesh is stopping. */
  SHUTTING_DOWN: { code: 9008, retryable: true, message: 'server is shutting down; reconnect' },
} as const satisfies Record<string, { code: number; retryable: boolean; message: string }>

export type RuntimeErrorName = keyof typeof RuntimeErrors

export class RuntimeError extends CodedError {
  constructor(readonly reason: RuntimeErrorName, detail?: string) {
    const e = RuntimeErrors[reason]
    super(e.code, detail ? `${e.message}: ${detail}` : e.message, e.retryable)
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
