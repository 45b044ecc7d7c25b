/**
 * Validation of decoded client frames: the gateway decodes a socket message (msgpack or JSON)
 * into an unknown value and passes it here; what comes back is a typed ClientFrame holding only
 * the fields its op defines, each checked by the op's schema (sessionFrames.ts, groupFrames.ts;
 * the policy and the error format are src/core/schema.ts's). Nothing else from the socket
 * reaches actors.
 *
 * Error codes (ParleyError):
 * - UNKNOWN_OP (9002): `op` missing, not a string, or not a ClientFrame op.
 * - INVALID_PACKET (20001): the frame is not a map, or a field is missing, of the wrong type
 *   or out of range; the detail names the field.
 * - the field's own code where its schema names one (sessionFrames.ts, groupFrames.ts);
 * - BODY_TOO_LARGE (93000): `send` and `groupSend` whose body and cloudCustomData together
 *   exceed 12 KB, checked after the fields.
 */
import { ParleyError } from '../core/errors.js'
import { type InputParser, inputParser, isPlainObject } from '../core/schema.js'
import { checkBodySize } from './elements.js'
import type { ClientFrame, ClientOp } from './frames.js'
import { GroupFrameSchemas } from './groupFrames.js'
import { SessionFrameSchemas } from './sessionFrames.js'

const FrameSchemas = { ...SessionFrameSchemas, ...GroupFrameSchemas }

/** One parser per op; `satisfies` keeps the table exhaustive over the ClientFrame union. */
const parsers = Object.fromEntries(Object.entries(FrameSchemas).map(([op, schema]) => {
  const code = op in GroupFrameSchemas ? 'GROUP_INVALID_PARAMS' : 'INVALID_PACKET'
  return [op, inputParser(schema, { code, rootName: 'frame' })]
})) as { [K in ClientOp]: InputParser<Omit<Extract<ClientFrame, { op: K }>, 'op'>> }

/** Every op of the ClientFrame union, in declaration order. */
export const ClientOps: readonly ClientOp[] = Object.keys(FrameSchemas) as ClientOp[]

function isClientOp(v: unknown): v is ClientOp {
  return typeof v === 'string' && Object.hasOwn(parsers, v)
}

/**
 * Validates a decoded frame and returns a new, typed frame with only its op's fields. The
 * first failing field in declaration order is thrown (see the module comment for codes); on
 * success the result shares no mutable structure with `raw`.
 */
export function parseClientFrame(raw: unknown): ClientFrame {
  if (!isPlainObject(raw)) throw new ParleyError('INVALID_PACKET', 'frame: must be a map')
  const op = Object.hasOwn(raw, 'op') ? raw.op : undefined
  if (!isClientOp(op)) {
    const shown = typeof op === 'string' ? JSON.stringify(op.slice(0, 32)) : op === undefined || op === null ? 'missing' : typeof op
    throw new ParleyError('UNKNOWN_OP', `op: ${shown}`)
  }
  const frame = { op, ...(parsers[op] as InputParser<object>)(raw) } as ClientFrame
  if (frame.op === 'send' || frame.op === 'groupSend') checkBodySize(frame.body, frame.cloudCustomData)
  return frame
}

/**
 * The `rid` of a raw decoded frame if it is a safe integer, else undefined. For the gateway
 * to address an error response to the right request even when the frame failed validation.
 */
export function frameRid(raw: unknown): number | undefined {
  if (!isPlainObject(raw)) return undefined
  const rid = raw.rid
  return typeof rid === 'number' && Number.isSafeInteger(rid) ? rid : undefined
}

/** Whether a raw decoded frame names a send op (`send`, `groupSend`), before any field is checked. */
export function isRawSend(raw: unknown): boolean {
  return isPlainObject(raw) && (raw.op === 'send' || raw.op === 'groupSend')
}
