/**
 * Field builders every REST service shares. A command's body is one schema (context.ts
 * `command`), parsed by the schema kit's policy (src/core/schema.ts): `null` reads as absent,
 * unknown keys are dropped, numbers must be JSON numbers (a numeric string is a wrong type, as
 * for Tencent), Tencent's old and new spellings of a field are `aliases` (the first present
 * wins; docs/tencent-compat.md §2.2), and the first failing field in declaration order is
 * reported with its service's code (70402 account, 90010 one-to-one messages, 50002 recent
 * contacts, 10004 groups) or the field's own, in a detail that names it.
 */
import { F } from '../../core/schema.js'

/** A request body as decoded from JSON, before its command's schema is applied. */
export type Body = Record<string, unknown>

/** A 0/1 flag (absent reads as 0). */
export const Flag = F.oneOf([0, 1])

/** A list of strings, each checked for type only (what an id that is no UserID means is the command's rule). */
export function strings(o: Parameters<typeof F.array>[1] = {}) {
  return F.array(F.string(), o)
}

