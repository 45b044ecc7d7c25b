/**
 * Pure placement functions: where an actor lives, computed by anyone from the actor id and
 * the membership snapshot alone. No I/O. Both are table-tested.
 */
import { type ActorId, actorIdString } from './ActorId.js'

/** A versioned view of the live nodes. `version` grows with every change. */
export interface MembershipSnapshot {
  readonly version: number
  readonly nodes: readonly string[]
}

/** 32-bit FNV-1a over the UTF-16 code units of `s`; stable across processes and releases. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** Mixes a 32-bit hash (murmur3 finaliser) so that nearby inputs spread evenly. */
function mix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b) >>> 0
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35) >>> 0
  h ^= h >>> 16
  return h >>> 0
}

/** The worker thread (0..threads-1) that hosts `id` on whichever node owns it. */
export function shardOf(id: ActorId, threads: number): number {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be >= 1, got ${threads}`)
  return mix(fnv1a(actorIdString(id))) % threads
}

/**
 * The node that owns `id`: rendezvous (highest-random-weight) hashing over the snapshot's
 * nodes, so a membership change moves only the actors of the nodes that came or went.
 * Throws RangeError on an empty snapshot.
 */
export function placeActor(id: ActorId, snapshot: MembershipSnapshot): string {
  if (snapshot.nodes.length === 0) throw new RangeError('no live nodes in the membership snapshot')
  const key = actorIdString(id)
  let best = ''
  let bestWeight = -1
  for (const node of snapshot.nodes) {
    const w = mix(fnv1a(key, fnv1a(node)))
    if (w > bestWeight || (w === bestWeight && node < best)) {
      best = node
      bestWeight = w
    }
  }
  return best
}
