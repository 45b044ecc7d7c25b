/**
 * Reconnect policy, pure: which WebSocket close codes end the session, and how long to wait
 * before the next attempt.
 */

export interface BackoffOptions {
  /** Base delay of the first attempt, ms. Default 500. */
  minMs: number
  /** Cap of the delay, ms. Default 30,000. */
  maxMs: number
}

export const DefaultBackoff: BackoffOptions = { minMs: 500, maxMs: 30_000 }

/**
 * Delay before reconnect attempt `attempt` (0 = the first after a drop), ms: "equal jitter"
 * over an exponential ceiling, i.e. uniformly in [c/2, c] with c = min(maxMs, minMs·2^attempt).
 * Half the ceiling is always waited, so a fleet of clients dropped together spreads out
 * without any of them hammering the server at near-zero delay. `random` returns [0, 1).
 */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(Math.max(0, Math.floor(attempt)), 30)
  const ceiling = Math.min(o.maxMs, o.minMs * 2 ** exp)
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

/**
 * Delay before reconnect attempt `attempt` (0 = the first after a drop, counted until a
 * successful login) of a client that moves to the next of its `urls` addresses at each
 * attempt, ms: `backoffDelay` of the number of full rounds made through the list. So with
 * several nodes each is tried after the base delay before the backoff grows, and a node that
 * is down costs one short delay, not a doubling of every later one. With one URL this is
 * `backoffDelay(attempt)`.
 */
export function reconnectDelay(attempt: number, urls: number, o: BackoffOptions, random: () => number = Math.random): number {
  const n = Number.isInteger(urls) && urls > 1 ? urls : 1
  return backoffDelay(Math.floor(Math.max(0, attempt) / n), o, random)
}

/**
 * What a close code means for the client:
 * - `kicked`: 4001 (another login), 4002 (kicked by the app backend), 4003 (login refused) —
 *   terminal, reported as a `kicked` event.
 * - `ended`: any other 4000–4099 (4004 logged out, 4005 protocol violation) — terminal.
 * - `transient`: everything else (4100–4199 slow consumer / shutting down / login timeout,
 *   1001 going away, 1006 abnormal, 1009 too big, 1011, 1012, 1013, …) — reconnect with
 *   backoff and catch up.
 */
export type CloseKind = 'kicked' | 'ended' | 'transient'

export function classifyClose(code: number): CloseKind {
  if (code === 4001 || code === 4002 || code === 4003) return 'kicked'
  if (code >= 4000 && code <= 4099) return 'ended'
  return 'transient'
}
