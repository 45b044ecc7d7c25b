/**
 * Cassandra being unreachable or overloaded is not a bug: callers get STORE_UNAVAILABLE
 * (9012, retryable) instead of INTERNAL. `guardStore` wraps a store so every method's
 * rejection caused by the driver (no host available, a timeout, an unavailable/timeout
 * response, a closed connection) is re-thrown as that error, with the cause's message.
 * Other errors (a coded refusal, a bug) pass through unchanged.
 */
import cassandra from 'cassandra-driver'
import { CodedError, ErrorCatalogue, ParleyError } from '../../core/errors.js'

const { errors, types } = cassandra
const unavailableResponses = new Set<number>([
  types.responseErrorCodes.unavailableException, types.responseErrorCodes.overloaded,
  types.responseErrorCodes.writeTimeout, types.responseErrorCodes.readTimeout, types.responseErrorCodes.isBootstrapping,
  types.responseErrorCodes.writeFailure, types.responseErrorCodes.readFailure,
])

/** Whether `err` (or its cause, as the stores wrap driver errors) says Cassandra is unavailable. */
export function isUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof errors.NoHostAvailableError || e instanceof errors.OperationTimedOutError || e instanceof errors.BusyConnectionError) return true
    if (e instanceof errors.ResponseError && unavailableResponses.has(e.code)) return true
    if (/Connection (?:closed|had to be closed)|ECONNREFUSED|socket hang up/.test(e.message)) return true
  }
  return false
}

export function mapUnavailable(err: unknown): unknown {
  if (err instanceof CodedError && err.code !== ErrorCatalogue.INTERNAL.code) return err
  if (!isUnavailable(err)) return err
  const e = new ParleyError('STORE_UNAVAILABLE', err instanceof Error ? err.message : String(err))
  e.cause = err
  return e
}

/**
 * `store` with every promise-returning method's driver failures mapped (see the file
 * comment); `onUnavailable` hears each mapped failure (for an operator's log).
 */
export function guardStore<T extends object>(store: T, onUnavailable?: (e: ParleyError) => void): T {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown
      if (typeof v !== 'function') return v
      return (...args: unknown[]) => {
        const r = (v as (...a: unknown[]) => unknown).apply(target, args)
        return r instanceof Promise
          ? r.catch((err: unknown) => {
            const mapped = mapUnavailable(err)
            if (mapped !== err && onUnavailable) onUnavailable(mapped as ParleyError)
            throw mapped
          })
          : r
      }
    },
  })
}

/** Logs the first unavailability, then at most one line per `everyMs` with the count since. */
export function throttledReport(report: (msg: string, fields: Record<string, unknown>) => void, everyMs = 10_000): (e: ParleyError) => void {
  let last = 0
  let since = 0
  return (e) => {
    since++
    const now = Date.now()
    if (now - last < everyMs) return
    report('Cassandra unavailable; requests refused with 9012', { failures: since, error: e.message })
    last = now
    since = 0
  }
}
