/**
 * The node's loggers, on pino: one JSON object per line on stderr with `level` (its name:
 * error, warn, info, debug), `time` (ms since the epoch), `msg`, the component's fields
 * (`node`, `thread`) and the caller's (a caller never passes `node` or `thread` of its own).
 *
 * One writer: every thread's lines go through `process.stderr`. In a worker thread that stream
 * hands each line to the main thread asynchronously (a worker never waits on a write, and its
 * lines keep their order); the main thread writes them, and its own, whole, so lines of
 * different threads never interleave. `flush()` resolves once what this thread wrote has been
 * handed on, so a stopping worker loses no line.
 */
import pino from 'pino'
import type { Logger } from '../core/log.js'

export interface NodeLogger extends Logger {
  /** Resolves once every line written so far has left this thread. */
  flush(): Promise<void>
}

export function createLogger(component: Record<string, unknown>, level: string): NodeLogger {
  const p = pino({ level, base: component, formatters: { level: (label) => ({ level: label }) } }, process.stderr)
  return {
    error: (m, f) => p.error(f ?? {}, m),
    warn: (m, f) => p.warn(f ?? {}, m),
    info: (m, f) => p.info(f ?? {}, m),
    debug: (m, f) => p.debug(f ?? {}, m),
    flush: () => new Promise((resolve) => { process.stderr.write('', () => resolve()) }),
  }
}
