/**
 * Piscina worker body for the sig pool (sigPool.ts). Runs v1 verification and never throws:
 * every outcome crosses back to the main thread as a `V1Reply`, failures as a WireError.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { toWireError, type WireError } from '../../core/errors.js'
import { verifyUserSigV1, type V1Expect } from './usersigV1.js'

/** Main thread → worker: one v1 verification. */
export interface V1Task {
  token: string
  expect: V1Expect
}

/** Worker → main thread: the validity window, or the coded failure (non-ParleyErrors become 20005). */
export type V1Reply =
  | { ok: true; time: number; expire: number }
  | { ok: false; error: WireError }

/** Parsed public keys of this thread, by PEM text. Parsing costs about twice the verification. */
const keyCache = new Map<string, KeyObject>()

/** Most keys kept per thread (one per active app); beyond it the oldest entry is dropped. */
const KEY_CACHE_MAX = 1024

function cachedKey(pem: string): KeyObject {
  let key = keyCache.get(pem)
  if (key === undefined) {
    key = createPublicKey(pem)
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string)
    keyCache.set(pem, key)
  }
  return key
}

export default function verifyV1Task(task: V1Task): V1Reply {
  try {
    const { time, expire } = verifyUserSigV1(task.token, task.expect, cachedKey)
    return { ok: true, time, expire }
  } catch (err) {
    return { ok: false, error: toWireError(err) }
  }
}
