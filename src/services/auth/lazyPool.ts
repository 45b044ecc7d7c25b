/**
 * A SigPool that starts its piscina threads on the first v1 token, so nodes that only see
 * v2 tokens (the common case) run no extra threads.
 */
import { createSigPool, type SigPool } from './sigPool.js'

export function createLazySigPool(threads: number): SigPool {
  let pool: SigPool | undefined
  return {
    verifyV1: (token, expect) => (pool ??= createSigPool({ threads })).verifyV1(token, expect),
    close: async () => { await pool?.close() },
  }
}
