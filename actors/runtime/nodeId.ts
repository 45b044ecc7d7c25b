/**
 * Node ids: `<name>#<incarnation>.<threads>`. The name is the configured node id; the
 * incarnation is fresh at every boot (so a restarted node is a new member and envelopes for
 * its previous life are dropped); `threads` is its worker-thread count, so a sender can pick
 * the right thread on a node that runs a different number of threads than its own.
 */
import { randomBytes } from 'node:crypto'

export function makeNodeId(name: string, threads: number): string {
  return `${name}#${Date.now().toString(36)}${randomBytes(2).toString('hex')}.${threads}`
}

/** The worker-thread count encoded in `id`, or undefined for an id without one. */
export function threadsOf(id: string): number | undefined {
  const m = /#[0-9a-z]+\.(\d+)$/.exec(id)
  const n = m ? Number(m[1]) : NaN
  return Number.isInteger(n) && n > 0 ? n : undefined
}
