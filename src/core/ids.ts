/**
 * Identifier rules of the public interface, declared once: the schema fields every input
 * uses, and the guards code that already holds a value uses. Both come from one pattern.
 */
import { F, type FieldOptions } from './schema.js'
import { Limits } from './limits.js'

/**
 * A UserID: 1..32 bytes of printable ASCII without space (0x21–0x7E; docs/tencent-compat.md §8). Tencent allows up to
 * 32 bytes; restricting to visible ASCII keeps ids unambiguous in logs, keys and URLs (byte
 * length then equals string length).
 */
const UserIdPattern = `^[\\x21-\\x7e]{1,${Limits.userIdBytes}}$`
const userIdRe = new RegExp(UserIdPattern)

/** A GroupId: 1..47 printable ASCII characters, space included (docs/tencent-compat.md §4.5). */
const GroupIdPattern = `^[\\x20-\\x7e]{1,${Limits.groupIdChars}}$`
const groupIdRe = new RegExp(GroupIdPattern)

export function isUserId(v: unknown): v is string {
  return typeof v === 'string' && userIdRe.test(v)
}

export function isGroupId(v: unknown): v is string {
  return typeof v === 'string' && groupIdRe.test(v)
}

/** A UserID field of an input. */
export function userIdField(o: FieldOptions = {}) {
  return F.string({ pattern: UserIdPattern, why: `must be a UserID of 1..${Limits.userIdBytes} printable ASCII bytes`, ...o })
}

/** A GroupId field of an input: a malformed one is GROUP_BAD_ID (10015), a missing one the caller's code. */
export function groupIdField(o: FieldOptions = {}) {
  return F.string({ pattern: GroupIdPattern, why: 'not a valid GroupId', code: 'GROUP_BAD_ID', ...o })
}
