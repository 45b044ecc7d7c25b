/**
 * The SDK's one error type. Every rejected promise and every `error` event carries a
 * ParleyClientError with a numeric code: the server's code when the server answered
 * (Tencent's numbers, or Parley's 9xxx gateway codes — see docs/protocol.md), or one of the
 * client-only codes below (95xx), which never appear on the wire.
 *
 * Browser-safe: no Node imports, and nothing from the server's catalogue (src/core/errors.ts) is
 * imported, so a bundle of the SDK pulls no server code.
 */

/** Codes the SDK raises itself. 9003 is the server's FRAME_TOO_LARGE, checked before sending. */
export const ClientErrorCodes = {
  /** The encoded frame is above `maxFrameBytes`; it was never sent (server code 9003). */
  FRAME_TOO_LARGE: 9003,
  /** No response within `requestTimeoutMs` (time spent waiting for a connection included). */
  REQUEST_TIMEOUT: 9501,
  /** The client is not started (`connect()` not called) or has ended (closed, kicked). */
  NOT_CONNECTED: 9502,
  /** `close()` or `logout()` was called while the request was pending. */
  CLIENT_CLOSED: 9503,
  /** The server ended the session (kicked, logged out, login refused) while it was pending. */
  SESSION_ENDED: 9504,
  /** The socket dropped before the response of a request bound to that socket (login, sync, ping). */
  CONNECTION_LOST: 9505,
  /** A server frame could not be decoded or had no `op`; it was ignored. */
  BAD_SERVER_FRAME: 9506,
  /** `getUserSig()` threw or returned something other than a non-empty string. */
  USERSIG_UNAVAILABLE: 9507,
  /** The cursor store's `load` or `save` failed. */
  CURSOR_STORE_FAILED: 9508,
  /**
   * Informational: a cursor was from other data, so it restarted at 0 and that stream is
   * replayed: a shard's cursor was above its stream's head, or named a shard the server does
   * not list, or the stored cursor was a version-1 single seq.
   */
  CURSOR_RESET: 9509,
} as const

export type ClientErrorCode = (typeof ClientErrorCodes)[keyof typeof ClientErrorCodes]

/**
 * Codes after which sending the same request again may succeed: the server's retryable
 * catalogue entries (INTERNAL 20005, REST_RATE_LIMITED 60007, BUSY 9006, TIMEOUT 9007,
 * SHUTTING_DOWN 9008, STORE_UNAVAILABLE 9012, SENDS_IN_FLIGHT 9013, GROUP_RATE_LIMITED 10023)
 * and the client's transient conditions.
 */
const RetryableCodes: ReadonlySet<number> = new Set([
  20005, 60007, 9006, 9007, 9008, 9012, 9013, 10023,
  ClientErrorCodes.REQUEST_TIMEOUT, ClientErrorCodes.CONNECTION_LOST, ClientErrorCodes.USERSIG_UNAVAILABLE,
])

export function isRetryableCode(code: number): boolean {
  return RetryableCodes.has(code)
}

export class ParleyClientError extends Error {
  override readonly name = 'ParleyClientError'
  /** Whether the same request, sent again, may succeed. */
  readonly retryable: boolean
  /** For SESSION_ENDED: the WebSocket close code that ended the session. */
  readonly closeCode?: number

  constructor(readonly code: number, message: string, opts: { closeCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.retryable = isRetryableCode(code)
    if (opts.closeCode !== undefined) this.closeCode = opts.closeCode
  }
}
