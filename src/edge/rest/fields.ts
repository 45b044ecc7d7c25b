/**
 * Field-by-field reading of a REST request body. Each command builds a `BodyReader` with its
 * service's code for a bad field (70402 account, 90010 one-to-one messages, 50002 recent
 * contacts); a call may name a more specific code (e.g. 90005 for MsgRandom). Every failure
 * is a ParleyError whose detail names the field, thrown before the command touches any actor,
 * so bad input changes nothing.
 *
 * Policy (the same as socket frames, src/protocol/validate.ts): `null` reads as absent; unknown
 * keys are ignored; numbers must be JSON numbers (a numeric string is a wrong type, as for
 * Tencent); several names for one field (old and new spellings, docs/tencent-compat.md §2.2) are tried in order and
 * the first present wins.
 */
import { type ErrorName, ParleyError } from '../../core/errors.js'
import { isPlainObject } from '../../core/schema.js'
import { Limits } from '../../core/limits.js'
import { isUserId } from '../../core/ids.js'

export type Body = Record<string, unknown>

type Names = string | readonly string[]

const isSafeInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v)

function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8')
}

export class BodyReader {
  /** `prefix` names where this map sits in the request (e.g. `CheckItem[3].`) in error details. */
  constructor(private readonly body: Body, private readonly code: ErrorName, private readonly prefix = '') {}

  /** The first of `names` present (own property, not null), or undefined. */
  pick(names: Names): { name: string; value: unknown } | undefined {
    for (const name of typeof names === 'string' ? [names] : names) {
      const value = Object.hasOwn(this.body, name) ? this.body[name] : undefined
      if (value !== undefined && value !== null) return { name, value }
    }
    return undefined
  }

  fail(field: string, why: string, code?: ErrorName): never {
    throw new ParleyError(code ?? this.code, `${this.prefix}${field}: ${why}`)
  }

  private required(names: Names, code?: ErrorName): { name: string; value: unknown } {
    return this.pick(names) ?? this.fail(typeof names === 'string' ? names : names.join(' or '), 'required', code)
  }

  /** A UserID (1..32 bytes of printable ASCII). */
  userId(names: Names, code?: ErrorName): string {
    const { name, value } = this.required(names, code)
    return isUserId(value) ? value : this.fail(name, `must be a UserID of 1..${Limits.userIdBytes} printable ASCII bytes`, code)
  }

  optUserId(names: Names, code?: ErrorName): string | undefined {
    return this.pick(names) === undefined ? undefined : this.userId(names, code)
  }

  /** An unsigned 32-bit integer. */
  u32(names: Names, code?: ErrorName): number {
    const { name, value } = this.required(names, code)
    return isSafeInt(value) && value >= 0 && value <= 0xffffffff ? value : this.fail(name, 'must be an unsigned 32-bit integer', code)
  }

  optU32(names: Names, code?: ErrorName): number | undefined {
    return this.pick(names) === undefined ? undefined : this.u32(names, code)
  }

  /** A non-negative safe integer (times, counts, indexes). */
  uint(names: Names, code?: ErrorName): number {
    const { name, value } = this.required(names, code)
    return isSafeInt(value) && value >= 0 ? value : this.fail(name, 'must be a non-negative integer', code)
  }

  optUint(names: Names, code?: ErrorName): number | undefined {
    return this.pick(names) === undefined ? undefined : this.uint(names, code)
  }

  /** One of the listed integers. */
  oneOf<T extends number>(names: Names, allowed: readonly T[], code?: ErrorName): T {
    const { name, value } = this.required(names, code)
    return allowed.includes(value as T) ? (value as T) : this.fail(name, `must be one of ${allowed.join(', ')}`, code)
  }

  optOneOf<T extends number>(names: Names, allowed: readonly T[], code?: ErrorName): T | undefined {
    return this.pick(names) === undefined ? undefined : this.oneOf(names, allowed, code)
  }

  /** A 0/1 flag read as a boolean; absent = false. */
  flag(names: Names, code?: ErrorName): boolean {
    return this.optOneOf(names, [0, 1], code) === 1
  }

  /** A string of at most `maxBytes` UTF-8 bytes (and at least one character if `nonEmpty`). */
  string(names: Names, o: { maxBytes?: number; nonEmpty?: boolean; code?: ErrorName } = {}): string {
    const { name, value } = this.required(names, o.code)
    if (typeof value !== 'string') return this.fail(name, 'must be a string', o.code)
    if (o.nonEmpty && value.length === 0) this.fail(name, 'must not be empty', o.code)
    if (o.maxBytes !== undefined && utf8Bytes(value) > o.maxBytes) this.fail(name, `longer than ${o.maxBytes} bytes`, o.code)
    return value
  }

  optString(names: Names, o: { maxBytes?: number; nonEmpty?: boolean; code?: ErrorName } = {}): string | undefined {
    return this.pick(names) === undefined ? undefined : this.string(names, o)
  }

  /**
   * An array of `min..max` entries. Too few or too many fail with `sizeCode` (default: the
   * field's code), so batch limits can answer their documented code (70206, 90011).
   */
  array(names: Names, o: { min: number; max: number; code?: ErrorName; sizeCode?: ErrorName }): unknown[] {
    const { name, value } = this.required(names, o.code)
    if (!Array.isArray(value)) return this.fail(name, 'must be an array', o.code)
    if (value.length < o.min || value.length > o.max) {
      this.fail(name, `must hold ${o.min}..${o.max} entries, got ${value.length}`, o.sizeCode ?? o.code)
    }
    return value
  }

  optArray(names: Names, o: { min: number; max: number; code?: ErrorName; sizeCode?: ErrorName }): unknown[] | undefined {
    return this.pick(names) === undefined ? undefined : this.array(names, o)
  }

  /**
   * An array of strings (each checked for type only; callers decide what an id that is not a
   * valid UserID means for their command, usually a per-item "not imported").
   */
  strings(names: Names, o: { min: number; max: number; code?: ErrorName; sizeCode?: ErrorName }): string[] {
    const list = this.array(names, o)
    const name = this.pick(names)!.name
    list.forEach((v, i) => {
      if (typeof v !== 'string') this.fail(`${name}[${i}]`, 'must be a string', o.code)
    })
    return list as string[]
  }

  optStrings(names: Names, o: { min: number; max: number; code?: ErrorName; sizeCode?: ErrorName }): string[] | undefined {
    return this.pick(names) === undefined ? undefined : this.strings(names, o)
  }

  /** An array of maps, each returned as a reader with this reader's code. */
  items(names: Names, o: { min: number; max: number; code?: ErrorName; sizeCode?: ErrorName }): BodyReader[] {
    const list = this.array(names, o)
    const name = this.pick(names)!.name
    return list.map((v, i) => isPlainObject(v)
      ? new BodyReader(v, o.code ?? this.code, `${this.prefix}${name}[${i}].`)
      : this.fail(`${name}[${i}]`, 'must be a map', o.code))
  }
}
