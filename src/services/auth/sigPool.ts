/**
 * A pool of worker threads for UserSig v1 (ECDSA) verification, so that a login burst cannot
 * stall the main thread's event loop. One pool per node; the composition root creates and closes it.
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { ParleyError, fromWireError } from '../../core/errors.js'
import type { SigValidity } from './envelope.js'
import type { V1Expect } from './usersigV1.js'
import type { V1Reply, V1Task } from './sigWorker.js'

export interface SigPoolOptions {
  /** Worker threads, started eagerly and kept for the pool's life. */
  threads: number
  /** Verifications queued or running at once; beyond it `verifyV1` rejects with BUSY (9006). Default 256 per thread. */
  maxPending?: number
}

export interface SigPool {
  /**
   * Verifies a v1 token on a worker thread. Resolves with its validity window, or rejects with a
   * ParleyError: the verification code (70002/70003/70009/70013/70014/70001), BUSY when
   * `maxPending` are in flight, SHUTTING_DOWN after `close()`, INTERNAL for a bad PEM or a crashed worker.
   */
  verifyV1(token: string, expect: V1Expect): Promise<SigValidity>
  /** Rejects new work, waits for queued work to finish, then stops the threads. Idempotent. */
  close(): Promise<void>
}

/**
 * The worker is the sibling file with this module's extension: `sigWorker.js` in the build,
 * `sigWorker.ts` when a TypeScript loader runs the source (workers inherit the loader).
 */
const WORKER_URL = new URL(`./sigWorker${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href

export function createSigPool(options: SigPoolOptions): SigPool {
  const maxPending = options.maxPending ?? options.threads * 256
  const piscina = new Piscina<V1Task, V1Reply>({
    filename: WORKER_URL,
    minThreads: options.threads,
    maxThreads: options.threads,
  })
  let pending = 0
  let closing: Promise<void> | undefined

  async function verifyV1(token: string, expect: V1Expect): Promise<SigValidity> {
    if (closing) throw new ParleyError('SHUTTING_DOWN')
    if (pending >= maxPending) throw new ParleyError('BUSY', 'UserSig verification queue full')
    pending++
    let reply: V1Reply
    try {
      reply = await piscina.run({ token, expect })
    } catch (err) {
      const e = new ParleyError('INTERNAL', 'sig worker failed')
      e.cause = err
      throw e
    } finally {
      pending--
    }
    if (!reply.ok) throw fromWireError(reply.error)
    return { time: reply.time, expire: reply.expire }
  }

  function close(): Promise<void> {
    closing ??= piscina.close()
    return closing
  }

  return { verifyV1, close }
}
