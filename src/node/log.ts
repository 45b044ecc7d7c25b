/**
 * The node's loggers, on pino: one JSON object per line on stderr with `level` (its name:
 * error, warn, info, debug), `time` (ms since the epoch), `msg`, the component's fields
 * (`node`, `thread`) and the caller's.
 * Lines are written asynchronously (pino's sonic-boom destination, not a synchronous write per
 * line); `flush()` writes out what is buffered, for a stop. Each worker thread has its own
 * destination on the same file descriptor: lines of one thread keep their order; a burst of
 * many kilobytes from two threads at once may interleave on a pipe (a file opened for append
 * does not).
 */
import pino from 'pino'
import type { Logger } from '../core/log.js'

export interface NodeLogger extends Logger {
  /** Writes out every buffered line; resolves when done. */
  flush(): Promise<void>
}

export function createLogger(component: Record<string, unknown>, level: string): NodeLogger {
  const dest = pino.destination({ dest: 2, sync: false })
  const p = pino({ level, base: component, formatters: { level: (label) => ({ level: label }) } }, dest)
  return {
    error: (m, f) => p.error(f ?? {}, m),
    warn: (m, f) => p.warn(f ?? {}, m),
    info: (m, f) => p.info(f ?? {}, m),
    debug: (m, f) => p.debug(f ?? {}, m),
    flush: () => new Promise((resolve) => p.flush(() => resolve())),
  }
}
