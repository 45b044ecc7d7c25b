/**
 * Validation of decoded client frames: the gateway decodes a socket message (msgpack or JSON)
 * into an unknown value and passes it here; what comes back is a typed ClientFrame holding only
 * the fields its op defines, each checked. Nothing else from the socket reaches actors.
 *
 * Error codes (ParleyError):
 * - UNKNOWN_OP (9002): `op` missing, not a string, or not a ClientFrame op.
 * - INVALID_PACKET (20001): the frame is not a map, or a field is missing, of the wrong type
 *   or out of range; the detail names the field.
 * - BAD_TO_ACCOUNT (90003): `send.to` missing or not a valid UserID.
 * - BAD_MSG_RANDOM (90005): `send.random` not a u32 (Tencent's code for MsgRandom).
 * - LIFETIME_TOO_LONG (90048): `send.lifeTime` above Limits.maxLifeTimeSeconds.
 * - BAD_MSGBODY (90002), BODY_TOO_LARGE (93000): `send.body`, via elements.ts.
 *
 * Policy: unknown top-level keys are dropped; `null` reads as absent (optional fields are
 * then omitted from the result, required ones fail as "required"); optional fields that are
 * absent are omitted, never set to undefined.
 */
import { ParleyError, type ErrorName } from '../core/errors.js'
import { checkBodySize, isPlainObject, validateBody } from './elements.js'
import { Platforms, type Platform } from '../model/platform.js'
import { type ClientFrame, type ClientOp } from './frames.js'
import { Limits } from '../core/limits.js'
import { isUserId } from '../core/ids.js'
import { groupId, groupParsers } from './groupFrames.js'

type Raw = Record<string, unknown>

/** A field rule: a type guard and the words for its failure. */
interface Rule<T> { ok: (v: unknown) => v is T; why: string }

const isSafeInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v)
const isNonNegInt = (v: unknown): v is number => isSafeInt(v) && v >= 0

/** Longest MsgKey, characters (docs/tencent-compat.md §3.1). */
const MsgKeyMaxChars = 50
/** Most keys in one `receipt` frame. */
const ReceiptMaxKeys = 100

/**
 * A UserID: 1..32 bytes of printable ASCII without space (0x21–0x7E). Tencent allows up to
 * 32 bytes; restricting to visible ASCII keeps ids unambiguous in logs, keys and URLs
 * (byte length then equals string length).
 */
const Rid: Rule<number> = { ok: isNonNegInt, why: 'must be a non-negative safe integer' }
const Seq: Rule<number> = { ok: isNonNegInt, why: 'must be a non-negative safe integer' }
const AppId: Rule<number> = { ok: (v): v is number => isSafeInt(v) && v > 0, why: 'must be a positive integer' }
const UserId: Rule<string> = { ok: isUserId, why: `must be 1..${Limits.userIdBytes} bytes of printable ASCII` }
const Str: Rule<string> = { ok: (v): v is string => typeof v === 'string', why: 'must be a string' }
const Bool: Rule<boolean> = { ok: (v): v is boolean => typeof v === 'boolean', why: 'must be a boolean' }
const U32: Rule<number> = {
  ok: (v): v is number => isNonNegInt(v) && v <= 0xffffffff, why: 'must be an unsigned 32-bit integer',
}
const PageLimit: Rule<number> = {
  ok: (v): v is number => isSafeInt(v) && v >= 1 && v <= Limits.maxPageSize,
  why: `must be an integer in 1..${Limits.maxPageSize}`,
}
const PlatformRule: Rule<Platform> = {
  ok: (v): v is Platform => typeof v === 'string' && (Platforms as readonly string[]).includes(v),
  why: `must be one of ${Platforms.join(', ')}`,
}
const SyncOther: Rule<1 | 2> = { ok: (v): v is 1 | 2 => v === 1 || v === 2, why: 'must be 1 or 2' }
const MsgKey: Rule<string> = {
  ok: (v): v is string => typeof v === 'string' && v.length > 0 && v.length <= MsgKeyMaxChars,
  why: `must be a non-empty string of at most ${MsgKeyMaxChars} characters`,
}

function fail(name: ErrorName, field: string, why: string): never {
  throw new ParleyError(name, `${field}: ${why}`)
}

/** Own property, with null read as absent. */
function get(f: Raw, key: string): unknown {
  const v = Object.hasOwn(f, key) ? f[key] : undefined
  return v === null ? undefined : v
}

function need<T>(f: Raw, key: string, rule: Rule<T>, code: ErrorName = 'INVALID_PACKET'): T {
  const v = get(f, key)
  if (v === undefined) return fail(code, key, 'required')
  return rule.ok(v) ? v : fail(code, key, rule.why)
}

function maybe<T>(f: Raw, key: string, rule: Rule<T>, code: ErrorName = 'INVALID_PACKET'): T | undefined {
  const v = get(f, key)
  if (v === undefined) return undefined
  return rule.ok(v) ? v : fail(code, key, rule.why)
}

function lifeTime(f: Raw): number | undefined {
  const v = maybe(f, 'lifeTime', Seq)
  if (v !== undefined && v > Limits.maxLifeTimeSeconds) {
    fail('LIFETIME_TOO_LONG', 'lifeTime', `${v} s above ${Limits.maxLifeTimeSeconds} s`)
  }
  return v
}

function msgKeys(f: Raw): string[] {
  const v = get(f, 'msgKeys')
  if (v === undefined) return fail('INVALID_PACKET', 'msgKeys', 'required')
  if (!Array.isArray(v)) return fail('INVALID_PACKET', 'msgKeys', 'must be an array')
  if (v.length < 1 || v.length > ReceiptMaxKeys) fail('INVALID_PACKET', 'msgKeys', `must hold 1..${ReceiptMaxKeys} keys`)
  return v.map((k, i) => (MsgKey.ok(k) ? k : fail('INVALID_PACKET', `msgKeys[${i}]`, MsgKey.why)))
}

function send(f: Raw): Extract<ClientFrame, { op: 'send' }> {
  const rid = need(f, 'rid', Rid)
  const to = need(f, 'to', UserId, 'BAD_TO_ACCOUNT')
  const body = validateBody(get(f, 'body'), 'body')
  const cloudCustomData = maybe(f, 'cloudCustomData', Str)
  checkBodySize(body, cloudCustomData)
  return {
    op: 'send', rid, to, body,
    random: maybe(f, 'random', U32, 'BAD_MSG_RANDOM'),
    msgSeq: maybe(f, 'msgSeq', U32),
    cloudCustomData,
    syncOtherMachine: maybe(f, 'syncOtherMachine', SyncOther),
    lifeTime: lifeTime(f),
    onlineOnly: maybe(f, 'onlineOnly', Bool),
    needReadReceipt: maybe(f, 'needReadReceipt', Bool),
    noUnread: maybe(f, 'noUnread', Bool),
    noLastMsg: maybe(f, 'noLastMsg', Bool),
  }
}

type Parsers = { [K in ClientOp]: (f: Raw) => Extract<ClientFrame, { op: K }> }

/** One parser per op; the mapped type makes the table exhaustive over the ClientFrame union. */
const parsers: Parsers = {
  login: (f) => ({
    op: 'login', rid: need(f, 'rid', Rid), sdkAppId: need(f, 'sdkAppId', AppId),
    userId: need(f, 'userId', UserId),
    // May be empty here: the auth step answers an empty UserSig with SIG_EMPTY (70002).
    userSig: need(f, 'userSig', Str),
    platform: need(f, 'platform', PlatformRule),
  }),
  ping: (f) => ({ op: 'ping', rid: maybe(f, 'rid', Rid) }),
  guest: (f) => ({ op: 'guest', rid: need(f, 'rid', Rid), sdkAppId: need(f, 'sdkAppId', AppId), groupId: groupId(f) }),
  sync: (f) => ({ op: 'sync', rid: need(f, 'rid', Rid), after: need(f, 'after', Seq), limit: maybe(f, 'limit', PageLimit) }),
  send,
  history: (f) => ({
    op: 'history', rid: need(f, 'rid', Rid), peer: need(f, 'peer', UserId),
    before: maybe(f, 'before', Seq), limit: maybe(f, 'limit', PageLimit),
  }),
  recall: (f) => ({ op: 'recall', rid: need(f, 'rid', Rid), peer: need(f, 'peer', UserId), msgKey: need(f, 'msgKey', MsgKey) }),
  read: (f) => ({ op: 'read', rid: need(f, 'rid', Rid), peer: need(f, 'peer', UserId), seq: maybe(f, 'seq', Seq) }),
  receipt: (f) => ({ op: 'receipt', rid: need(f, 'rid', Rid), peer: need(f, 'peer', UserId), msgKeys: msgKeys(f) }),
  convs: (f) => ({ op: 'convs', rid: need(f, 'rid', Rid) }),
  pin: (f) => ({ op: 'pin', rid: need(f, 'rid', Rid), peer: need(f, 'peer', UserId), pinned: need(f, 'pinned', Bool) }),
  deleteConv: (f) => ({
    op: 'deleteConv', rid: need(f, 'rid', Rid), peer: need(f, 'peer', UserId),
    clearHistory: maybe(f, 'clearHistory', Bool),
  }),
  logout: (f) => ({ op: 'logout', rid: need(f, 'rid', Rid) }),
  ...groupParsers,
}

/** Every op of the ClientFrame union, in declaration order. */
export const ClientOps: readonly ClientOp[] = Object.keys(parsers) as ClientOp[]

function isClientOp(v: unknown): v is ClientOp {
  return typeof v === 'string' && Object.hasOwn(parsers, v)
}

/** Drops keys whose value is undefined, so absent optional fields stay absent. */
function compact<T extends object>(frame: T): T {
  for (const k of Object.keys(frame) as Array<keyof T>) if (frame[k] === undefined) delete frame[k]
  return frame
}

/**
 * Validates a decoded frame and returns a new, typed frame with only its op's fields. Field
 * checks run in a fixed order and the first failure is thrown (see the module comment for
 * codes); on success the result shares no mutable structure with `raw`.
 */
export function parseClientFrame(raw: unknown): ClientFrame {
  if (!isPlainObject(raw)) return fail('INVALID_PACKET', 'frame', 'must be a map')
  const op = get(raw, 'op')
  if (!isClientOp(op)) {
    const shown = typeof op === 'string' ? JSON.stringify(op.slice(0, 32)) : op === undefined ? 'missing' : typeof op
    return fail('UNKNOWN_OP', 'op', shown)
  }
  const parse = parsers[op] as (f: Raw) => ClientFrame
  return compact(parse(raw))
}

/**
 * The `rid` of a raw decoded frame if it is a safe integer, else undefined. For the gateway
 * to address an error response to the right request even when the frame failed validation.
 */
export function frameRid(raw: unknown): number | undefined {
  if (!isPlainObject(raw)) return undefined
  const rid = get(raw, 'rid')
  return isSafeInt(rid) ? rid : undefined
}
