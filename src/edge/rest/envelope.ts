/**
 * The Tencent REST reply envelope (docs/tencent-compat.md §2.1). Every reply — success, coded failure,
 * unknown URL — is HTTP 200 with `{ActionStatus, ErrorCode, ErrorInfo, …}`; clients treat
 * `FAIL` or a non-zero ErrorCode as failure. Batch commands answer `OK` and report per item.
 */
import { toWireError } from '../../core/errors.js'

export interface Envelope {
  ActionStatus: 'OK' | 'FAIL'
  ErrorCode: number
  ErrorInfo: string
  [field: string]: unknown
}

/** A successful reply: the envelope first, then the command's own fields in their order. */
export function okEnvelope(fields: Record<string, unknown> = {}): Envelope {
  return { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', ...fields }
}

/** A failed reply for any thrown value; non-ParleyErrors become INTERNAL (20005). */
export function errorEnvelope(err: unknown): Envelope {
  const w = toWireError(err)
  return { ActionStatus: 'FAIL', ErrorCode: w.code, ErrorInfo: w.message }
}
