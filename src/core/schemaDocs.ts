/**
 * The docs table of an input schema (schema.ts): one row per field, nested fields by path
 * (`MemberList[].Role`), each with its type and rule, whether it is required, the names it is
 * also accepted under, and the catalogue code a bad value gets. docs/fields.md is generated
 * from these tables (`parley fields-doc`), and a test keeps the two equal.
 */
import { Kind, type TSchema } from '@sinclair/typebox'
import { ErrorCatalogue, type ErrorName } from './errors.js'
import type { FieldOptions } from './schema.js'

type Node = TSchema & FieldOptions & Record<string, unknown>

const MAX_SAFE = Number.MAX_SAFE_INTEGER

/** What a value of `s` may be, in words. */
function typeOf(s: Node): string {
  if (s[Kind] === 'ParleyValidated') return String(s.validatedType)
  if (Array.isArray(s.oneOf)) return `one of ${(s.oneOf as unknown[]).map((v) => `\`${String(v)}\``).join(', ')}`
  switch (s.type) {
    case 'string': {
      const rules: string[] = []
      if (s.minLength === 1) rules.push('non-empty')
      if (typeof s.maxBytes === 'number') rules.push(`≤ ${s.maxBytes} bytes`)
      if (typeof s.maxLength === 'number') rules.push(`≤ ${s.maxLength} characters`)
      if (typeof s.pattern === 'string') rules.push(typeof s.why === 'string' && s.why.startsWith('must be a UserID') ? 'a UserID' : s.why === 'not a valid GroupId' ? 'a GroupId' : `\`${s.pattern}\``)
      return rules.length ? `string (${rules.join(', ')})` : 'string'
    }
    case 'integer': return range('integer', s.minimum as number, s.maximum as number)
    case 'number': return range('number', s.minimum as number, s.maximum as number)
    case 'boolean': return 'boolean'
    case 'array': {
      const n = s.minItems === 0 && s.maxItems === MAX_SAFE ? '' : ` (${s.minItems}..${s.maxItems === MAX_SAFE ? '' : s.maxItems})`
      const item = s.items as Node
      return `array of ${item.type === 'object' && item.properties ? 'maps' : typeOf(item)}${n}`
    }
    case 'object':
      if (s.patternProperties) return `map of \`${Object.keys(s.patternProperties as object)[0]}\` → ${typeOf(Object.values(s.patternProperties as Record<string, Node>)[0]!)}${typeof s.maxProperties === 'number' ? ` (≤ ${s.maxProperties} keys)` : ''}`
      return 'map'
    default: return 'any'
  }
}

function range(kind: string, min: number, max: number): string {
  if (kind === 'integer' && min === 0 && max === 0xffffffff) return 'u32'
  if (kind === 'integer' && min === 0 && max === MAX_SAFE) return 'integer ≥ 0'
  if (min === -MAX_SAFE && max === MAX_SAFE) return kind
  return `${kind} ${min}..${max === MAX_SAFE ? '' : max}`
}

export interface FieldRow {
  readonly field: string
  readonly type: string
  readonly required: boolean
  readonly aliases: readonly string[]
  readonly code: string
  readonly description: string
}

function codeText(code: ErrorName, s: Node, required: boolean): string {
  const parts = [String(ErrorCatalogue[code].code)]
  const more = (label: string, name?: ErrorName) => {
    if (name !== undefined && name !== code) parts.push(`${label} ${ErrorCatalogue[name].code}`)
  }
  if (required) more('missing', s.missingCode)
  more('size', s.sizeCode)
  more('above max', s.maxCode)
  return parts.join('; ')
}

/** The rows of an object schema's fields, nested ones by path; `code` is the parser's default. */
export function fieldRows(schema: TSchema, code: ErrorName, prefix = ''): FieldRow[] {
  const s = schema as Node
  if (s.type !== 'object' || !s.properties) return []
  const required = new Set((s.required as string[] | undefined) ?? [])
  const rows: FieldRow[] = []
  for (const [name, sub] of Object.entries(s.properties as Record<string, Node>)) {
    const own = sub.code ?? code
    const req = required.has(name) && !('default' in sub)
    const field = `${prefix}${name}`
    rows.push({ field, type: typeOf(sub), required: req, aliases: sub.aliases ?? [], code: codeText(own, sub, req), description: sub.description ?? '' })
    const item = sub.type === 'array' ? (sub.items as Node) : sub
    if (item.type === 'object' && item.properties) rows.push(...fieldRows(item, own, `${field}${sub.type === 'array' ? '[]' : ''}.`))
  }
  return rows
}

/** A Markdown table of `fieldRows`. */
export function fieldTable(schema: TSchema, code: ErrorName): string {
  const rows = fieldRows(schema, code).map((r) => {
    const name = `\`${r.field}\`${r.aliases.length ? ` (also ${r.aliases.map((a) => `\`${a}\``).join(', ')})` : ''}`
    return `| ${name} | ${r.type} | ${r.required ? 'yes' : ''} | ${r.code} |${r.description ? ` ${r.description}` : ''} |`
  })
  return ['| Field | Type | Required | Code when bad | Notes |', '|---|---|---|---|---|', ...rows].join('\n')
}
