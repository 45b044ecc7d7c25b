/**
 * Which conversation shard owns a one-to-one conversation (docs/one-writer.md, decision 1):
 * FNV-1a of the ordered pair, modulo the deployment's shard count. Pure and stable: every
 * thread and node computes the same owner, and a conversation never changes shard while the
 * shard count stays (it is fixed for a data directory's life).
 */
import { Limits } from '../../src/core/limits.js'
import { fnv1a } from '../runtime/placement.js'

export const DEFAULT_CONV_SHARDS: number = Limits.convShards

/** The pair ordered as the log and the indexes key it (`a <= b`). */
export function orderedPair(x: string, y: string): [a: string, b: string] {
  return x <= y ? [x, y] : [y, x]
}

/** The shard of the conversation between `x` and `y` (in either order) in an app. */
export function convShard(app: number, x: string, y: string, shards = DEFAULT_CONV_SHARDS): number {
  const [a, b] = orderedPair(x, y)
  // The separator is a control character no UserID may contain, so pairs never collide by concatenation.
  const h = fnv1a(`${app}\u0001${a}\u0001${b}`)
  // Folded, so the modulus sees the high bits too.
  return ((h ^ (h >>> 16)) >>> 0) % shards
}
