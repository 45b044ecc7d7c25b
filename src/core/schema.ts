/**
 * One schema per input. Every input Parley reads — socket frames, REST bodies, the config
 * file, app entries, environment values — is declared once as a TypeBox schema built with the
 * field builders below. The declaration gives the TypeScript type (`Static`), the check (a
 * compiled TypeBox checker) with a coded error that names the field, and the docs table
 * (schemaDocs.ts).
 *
 * `inputParser(schema, …)` returns a parse function with one policy for every input:
 * - the result is a fresh value holding only the declared fields (unknown keys are dropped;
 *   nothing of the input's mutable structure is shared);
 * - `null` reads as absent, so optional fields are then omitted and required ones "required";
 * - a field may accept other names (`aliases`, e.g. Tencent's old spellings); the first present wins;
 * - an absent field with a `default` gets it (config fields; a function default is called);
 * - a strict object (`additionalProperties: false`: the config file, app entries) refuses
 *   unknown keys instead of dropping them, and a null there is a wrong type, not absent;
 * - a map field that is given an object other than a plain map (a Date, bytes) is refused;
 * - the first failing field in declaration order is reported, as a ParleyError of the field's
 *   catalogue name (`code`, else the nearest enclosing field's, else the parser's) whose detail
 *   is `path: why`, e.g. `body[2].MsgContent.URL: required`.
 * A field whose rule is not a schema (a message body: elements.ts) is a `validated` field: its
 * own function cleans it or throws its own coded error, at its place in the order.
 */
import { FormatRegistry, Kind, type SchemaOptions, type Static, type TArray, type TBoolean, type TInteger, type TNumber, type TObject, type TProperties, type TRecord, type TSchema, type TString, type TUnion, type TLiteral, type TUnknown, type TUnsafe, Type, TypeRegistry } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors'
import { type ErrorName, ParleyError } from './errors.js'
import { utf8Length } from './utf8.js'

/** Options every input field may carry besides TypeBox's own. */
export interface FieldOptions {
  /** Catalogue name of this field's failures; default: the nearest enclosing field's, else the parser's. */
  readonly code?: ErrorName
  /** Catalogue name when the field is required and absent; default `code`. */
  readonly missingCode?: ErrorName
  /** Arrays: the catalogue name when the entry count is out of range; default `code`. */
  readonly sizeCode?: ErrorName
  /** Numbers: the catalogue name when the value is above the maximum; default `code`. */
  readonly maxCode?: ErrorName
  /** The failure text after `field: `; default derived from the rule. */
  readonly why?: string
  /** Other input names of the field, tried in order after its own; the first present wins. */
  readonly aliases?: readonly string[]
  /** One line for the docs table. */
  readonly description?: string
}

type Opts<T = object> = T & FieldOptions & SchemaOptions

const MAX_SAFE = Number.MAX_SAFE_INTEGER

/** A UTF-8 byte limit as a TypeBox string format (registered once per limit). */
function bytesFormat(max: number): string {
  const name = `utf8-max-${max}`
  if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, (v) => utf8Length(v) <= max)
  return name
}

/** Field builders. Each returns a plain TypeBox schema carrying its FieldOptions. */
export const F = {
  /** A string; `maxBytes` limits its UTF-8 length, `nonEmpty` forbids ''. */
  string(o: Opts<{ maxBytes?: number; nonEmpty?: boolean; pattern?: string; maxLength?: number }> = {}): TString {
    const { maxBytes, nonEmpty, ...rest } = o
    return Type.String({
      ...rest,
      ...(maxBytes !== undefined ? { format: bytesFormat(maxBytes), maxBytes } : {}),
      ...(nonEmpty ? { minLength: 1 } : {}),
    })
  },
  /** A safe integer in `min..max` (defaults: the safe range). */
  int(o: Opts<{ min?: number; max?: number }> = {}): TInteger {
    const { min = -MAX_SAFE, max = MAX_SAFE, ...rest } = o
    return Type.Integer({ ...rest, minimum: min, maximum: max })
  },
  /** A finite number in `min..max`. */
  number(o: Opts<{ min: number; max: number }>): TNumber {
    const { min, max, ...rest } = o
    return Type.Number({ ...rest, minimum: min, maximum: max })
  },
  /** A non-negative safe integer (times, counts, seqs, indexes). */
  uint(o: Opts<{ max?: number }> = {}): TInteger {
    return F.int({ ...o, min: 0 })
  },
  /** An unsigned 32-bit integer. */
  u32(o: Opts = {}): TInteger {
    return F.int({ ...o, min: 0, max: 0xffffffff })
  },
  bool(o: Opts = {}): TBoolean {
    return Type.Boolean(o)
  },
  /** One of `values` (strings or numbers). */
  oneOf<const V extends readonly (string | number)[]>(values: V, o: Opts = {}): TUnion<TLiteral<V[number]>[]> {
    return Type.Union(values.map((v) => Type.Literal(v)) as never, { ...o, oneOf: values }) as never
  },
  /** An array of `min..max` items. */
  array<T extends TSchema>(item: T, o: Opts<{ min?: number; max?: number }> = {}): TArray<T> {
    const { min = 0, max = MAX_SAFE, ...rest } = o
    return Type.Array(item, { ...rest, minItems: min, maxItems: max })
  },
  object<P extends TProperties>(props: P, o: Opts = {}): TObject<P> {
    return Type.Object(props, o)
  },
  /** A map whose keys match `keyPattern` (described by `keyWhy`), at most `maxKeys` of them. */
  record<V extends TSchema>(keyPattern: string, value: V, o: Opts<{ maxKeys?: number; keyWhy?: string }> = {}): TRecord<TString, V> {
    const { maxKeys, ...rest } = o
    return Type.Record(Type.String({ pattern: keyPattern }), value, {
      ...rest, additionalProperties: false, ...(maxKeys !== undefined ? { maxProperties: maxKeys } : {}),
    }) as TRecord<TString, V>
  },
  opt<T extends TSchema>(s: T) {
    return Type.Optional(s)
  },
  /** Any value, taken as it is (a field checked elsewhere, or passed through). */
  unknown(o: Opts = {}): TUnknown {
    return Type.Unknown(o)
  },
  /**
   * A field cleaned and checked by `validate`, which returns the clean value (an object or an
   * array) or throws a ParleyError; that error is the field's, reported at its place in order.
   * `type` names the rule in docs tables.
   */
  validated<T extends object>(type: string, validate: (raw: unknown, path: string) => T, o: Opts = {}): TUnsafe<T> {
    return Type.Unsafe<T>({ ...o, [Kind]: ValidatedKind, validatedType: type, validate })
  },
}

const ValidatedKind = 'ParleyValidated'
/** Values a `validated` field's function returned: the compiled check accepts exactly these. */
const validatedValues = new WeakSet<object>()
TypeRegistry.Set(ValidatedKind, (_schema, value) => typeof value === 'object' && value !== null && validatedValues.has(value))

/** A `validated` field's failure, held in place of its value until the check reports it. */
class Refused {
  constructor(readonly error: ParleyError) {}
}

type Projector = (raw: unknown, path: string) => unknown

/** A plain map as decoded from msgpack or JSON (not an array, buffer, Map or class instance). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  const proto: unknown = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/**
 * Sets an own property whatever the key: a key such as `__proto__` (which JSON.parse makes an
 * own property) is then a key the check sees, not the result's prototype.
 */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
}

/** What a map field holds when the input is not a plain map: an array or a primitive as it is (the check refuses it), any other object (a Date, bytes, a Map) as null (likewise). */
function notAMap(raw: unknown): unknown {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? null : raw
}

/** Own property, with null read as absent. */
function own(obj: Record<string, unknown>, key: string): unknown {
  const v = Object.hasOwn(obj, key) ? obj[key] : undefined
  return v === null ? undefined : v
}

/**
 * A field's `default` (a value, copied for each use, or a function called for each use), as
 * a function; undefined when it has none. Defaults fill absent fields before the check.
 */
function defaultOf(s: TSchema): (() => unknown) | undefined {
  if (!('default' in s)) return undefined
  const d: unknown = s.default
  return typeof d === 'function' ? (d as () => unknown) : () => structuredClone(d)
}

/** Builds the function that copies an input into the schema's shape (see the file comment). */
function projector(s: TSchema): Projector {
  if (s[Kind] === ValidatedKind) {
    const validate = (s as unknown as { validate: (raw: unknown, path: string) => object }).validate
    return (raw, path) => {
      try {
        const v = validate(raw, path)
        validatedValues.add(v)
        return v
      } catch (e) {
        if (e instanceof ParleyError) return new Refused(e)
        throw e
      }
    }
  }
  if (s.type === 'object' && s.properties !== undefined) {
    const fields = Object.entries(s.properties as Record<string, TSchema>).map(([key, sub]) => ({
      key, names: [key, ...((sub as FieldOptions).aliases ?? [])], project: projector(sub), fallback: defaultOf(sub),
    }))
    const known = new Set(fields.flatMap((f) => f.names))
    // A strict object (`additionalProperties: false`: the config file, app entries) keeps
    // unknown keys, so the check refuses them, and keeps null, so a null is a wrong type there.
    const strict = s.additionalProperties === false
    const read = strict ? (o: Record<string, unknown>, k: string) => (Object.hasOwn(o, k) ? o[k] : undefined) : own
    return (raw, path) => {
      if (!isPlainObject(raw)) return notAMap(raw)
      const out: Record<string, unknown> = {}
      for (const f of fields) {
        let v: unknown
        for (const n of f.names) if ((v = read(raw, n)) !== undefined) break
        if (v === undefined && f.fallback !== undefined) v = f.fallback()
        if (v !== undefined) out[f.key] = f.project(v, join(path, f.key))
      }
      if (strict) for (const k of Object.keys(raw)) if (!known.has(k)) setOwn(out, k, raw[k])
      return out
    }
  }
  if (s.type === 'object' && s.patternProperties !== undefined) {
    const project = projector(Object.values(s.patternProperties as Record<string, TSchema>)[0]!)
    return (raw, path) => {
      if (!isPlainObject(raw)) return notAMap(raw)
      const out: Record<string, unknown> = {}
      for (const k of Object.keys(raw)) {
        const v = own(raw, k)
        if (v !== undefined) setOwn(out, k, project(v, join(path, k)))
      }
      return out
    }
  }
  if (s.type === 'array' && s.items !== undefined) {
    const project = projector(s.items as TSchema)
    return (raw, path) => (Array.isArray(raw) ? raw.map((x, i) => project(x, `${path}[${i}]`)) : raw)
  }
  return (raw) => raw
}

export interface ParserOptions {
  /** Catalogue name of failures no field names a code for. */
  readonly code: ErrorName
  /** The name shown when the input itself is wrong (not a map) and no `at` is given. Default 'body'. */
  readonly rootName?: string
}

/**
 * A parse function: the clean, typed value, or a ParleyError naming the first failing field.
 * `at` is where the input sits in a larger one (e.g. `MsgBody[2].MsgContent`): every path in
 * a failure starts with it.
 */
export type InputParser<T> = (raw: unknown, at?: string) => T

export function inputParser<T extends TSchema>(schema: T, o: ParserOptions): InputParser<Static<T>> {
  const check = TypeCompiler.Compile(schema)
  const project = projector(schema)
  return (raw, at = '') => {
    const v = project(raw, at)
    if (check.Check(v)) return v
    throw firstError(schema, [...take(check.Errors(v), 64)], o, at)
  }
}

/** `path` + `.key` (or `key` at the root). */
function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

function* take<T>(it: Iterable<T>, n: number): Iterable<T> {
  if (n <= 0) return
  for (const x of it) {
    yield x
    if (--n <= 0) return
  }
}

/** The schema nodes along a JSON pointer, root first, and each step's declaration rank. */
function walk(root: TSchema, pointer: string): { nodes: TSchema[]; rank: number[]; keys: string[]; indexes: boolean[] } {
  const keys = pointer === '' ? [] : pointer.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))
  const nodes: TSchema[] = [root]
  const rank: number[] = []
  /** Per key: whether it indexes an array (shown `[i]`) rather than names a field or map key. */
  const indexes: boolean[] = []
  let s: TSchema | undefined = root
  for (const k of keys) {
    let next: TSchema | undefined
    indexes.push(s?.type === 'array')
    if (s?.type === 'object' && s.properties !== undefined) {
      const names = Object.keys(s.properties)
      rank.push(names.indexOf(k))
      next = (s.properties as Record<string, TSchema>)[k]
    } else if (s?.type === 'object' && s.patternProperties !== undefined) {
      rank.push(0)
      next = Object.values(s.patternProperties as Record<string, TSchema>)[0]
    } else if (s?.type === 'array') {
      rank.push(Number(k))
      next = s.items as TSchema
    } else {
      rank.push(0)
    }
    s = next
    if (s !== undefined) nodes.push(s)
  }
  return { nodes, rank, keys, indexes }
}

function before(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]!
  return a.length < b.length
}

function fieldPath(keys: readonly string[], indexes: readonly boolean[], at: string, root: string): string {
  if (keys.length === 0) return at === '' ? root : at
  let out = at
  keys.forEach((k, i) => { out = indexes[i] ? `${out}[${k}]` : join(out, k) })
  return out
}

function firstError(root: TSchema, errors: ValueError[], o: ParserOptions, at: string): ParleyError {
  let best: { e: ValueError; w: ReturnType<typeof walk> } | undefined
  for (const e of errors) {
    const w = walk(root, e.path)
    if (best === undefined || before(w.rank, best.w.rank)) best = { e, w }
  }
  if (best === undefined) return new ParleyError(o.code, `${fieldPath([], [], at, o.rootName ?? 'body')}: invalid`)
  const { e, w } = best
  if (e.value instanceof Refused) return e.value.error
  const missing = e.type === ValueErrorType.ObjectRequiredProperty
  const node = (missing ? e.schema : w.nodes[w.nodes.length - 1] ?? e.schema) as TSchema & FieldOptions
  let code: ErrorName = o.code
  for (const n of w.nodes) if ((n as FieldOptions).code !== undefined) code = (n as FieldOptions).code!
  if (missing) code = node.missingCode ?? node.code ?? code
  if (e.type === ValueErrorType.ArrayMinItems || e.type === ValueErrorType.ArrayMaxItems) code = node.sizeCode ?? code
  if (e.type === ValueErrorType.IntegerMaximum || e.type === ValueErrorType.NumberMaximum) code = node.maxCode ?? code
  const why = missing ? 'required' : describeFailure(e, node)
  return new ParleyError(code, `${fieldPath(w.keys, w.indexes, at, o.rootName ?? 'body')}: ${why}`)
}

/** The words for a failed rule (a field's own `why` wins). */
function describeFailure(e: ValueError, node: TSchema & FieldOptions): string {
  const s = e.schema as TSchema & Record<string, unknown>
  if (e.type === ValueErrorType.ObjectAdditionalProperties) return (s.keyWhy as string | undefined) ?? 'unknown key'
  if (node.why !== undefined) return node.why
  switch (e.type) {
    case ValueErrorType.String: return 'must be a string'
    case ValueErrorType.StringFormat: return `longer than ${String(s.maxBytes)} bytes`
    case ValueErrorType.StringMinLength: return s.minLength === 1 ? 'must not be empty' : `at least ${String(s.minLength)} characters`
    case ValueErrorType.StringMaxLength: return `at most ${String(s.maxLength)} characters`
    case ValueErrorType.StringPattern: return 'has the wrong form'
    case ValueErrorType.Boolean: return 'must be a boolean'
    case ValueErrorType.Array: return 'must be an array'
    case ValueErrorType.ArrayMinItems:
    case ValueErrorType.ArrayMaxItems: return `must hold ${String(s.minItems)}..${String(s.maxItems)} entries`
    case ValueErrorType.Object: return 'must be a map'
    case ValueErrorType.ObjectMaxProperties: return `at most ${String(s.maxProperties)} keys`
    case ValueErrorType.Union: return Array.isArray(s.oneOf) ? `must be one of ${(s.oneOf as unknown[]).join(', ')}` : 'not an allowed value'
    case ValueErrorType.Number:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum: return `must be a finite number in ${String(s.minimum)}..${String(s.maximum)}`
    case ValueErrorType.Integer:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum: return integerWhy(s.minimum as number, s.maximum as number)
    default: return e.message
  }
}

function integerWhy(min: number, max: number): string {
  if (min === 0 && max === 0xffffffff) return 'must be an unsigned 32-bit integer'
  if (min === 0 && max === MAX_SAFE) return 'must be a non-negative integer'
  if (min === -MAX_SAFE && max === MAX_SAFE) return 'must be an integer'
  return `must be an integer in ${min}..${max}`
}

export type { Static, TSchema, TObject, TProperties }
