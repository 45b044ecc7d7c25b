/**
 * The logging contract every component writes through: a message and fields, at a level.
 * The composition root implements it (src/node/log.ts, on pino: one JSON object per line on
 * stderr, with the node and thread on every line, and the actor on every line an actor writes).
 * Levels, most severe first: error (a fault: a bug or a failed dependency), warn (a refusal or
 * a degradation an operator should see: refused logins, slow consumers closed, dropped tells),
 * info (lifecycle and refused client requests), debug (per-request detail).
 */
export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  debug(msg: string, fields?: Record<string, unknown>): void
}

/** A thrown value as log text: an Error's stack (or message), anything else as a string. */
export function describeError(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err)
}
