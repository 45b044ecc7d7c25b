/** Identifier rules of the public interface, declared once. */
import { Limits } from './limits.js'

/** A UserID: 1..32 bytes of printable ASCII (docs/tencent-compat.md §8). */
export function isUserId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= Limits.userIdBytes && /^[\x21-\x7e]+$/.test(v)
}
