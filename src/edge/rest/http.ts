/**
 * uWS plumbing for one REST exchange. uWS rules this module enforces:
 * - `onAborted` is registered before the handler returns, and after it fires the response
 *   is never touched again;
 * - a response written after an await is written inside `res.cork`, exactly once;
 * - request bodies arrive in `onData` chunks that uWS neuters on return, so each is copied.
 */
import type { HttpResponse } from 'uWebSockets.js'

/** One request/response pair. `open` until the reply is written or the client goes away. */
export interface Exchange {
  readonly res: HttpResponse
  open: boolean
}

/** Starts an exchange: registers the abort handler. Call synchronously in the route handler. */
export function openExchange(res: HttpResponse): Exchange {
  const ex: Exchange = { res, open: true }
  res.onAborted(() => {
    ex.open = false
  })
  return ex
}

/**
 * Writes `payload` as the JSON reply (HTTP 200) unless the exchange is already closed.
 * `closeConnection` ends the TCP connection too: used when the request body was not read
 * to its end, so the rest of it cannot be mistaken for the next request.
 */
export function sendJson(ex: Exchange, payload: unknown, closeConnection = false): void {
  if (!ex.open) return
  ex.open = false
  const text = JSON.stringify(payload)
  ex.res.cork(() => {
    ex.res.writeStatus('200 OK').writeHeader('Content-Type', 'application/json; charset=utf-8').end(text, closeConnection)
  })
}

/**
 * Collects the request body. Calls `done(body)` once with the whole body, or `done(undefined)`
 * as soon as more than `maxBytes` have arrived (the rest is ignored). Never called after an
 * abort. Register synchronously in the route handler, after `openExchange`.
 */
export function readBody(ex: Exchange, maxBytes: number, done: (body: Buffer | undefined) => void): void {
  const chunks: Buffer[] = []
  let size = 0
  let finished = false
  ex.res.onData((chunk, isLast) => {
    if (finished || !ex.open) return
    size += chunk.byteLength
    if (size > maxBytes) {
      finished = true
      done(undefined)
      return
    }
    chunks.push(Buffer.from(new Uint8Array(chunk)))
    if (isLast) {
      finished = true
      done(Buffer.concat(chunks, size))
    }
  })
}
