/**
 * Builds a validated ParleyConfig from defaults, an optional JSON config file and the
 * environment (environment wins), checked against the one schema (schema.ts). An unknown key
 * in the file or in an app entry, a wrong type or an out-of-range value is refused with a
 * ConfigError naming where the value came from and the key, e.g. `PARLEY_PORT: must be an
 * integer in 0..65535` or `apps[0].multiLogin in ./parley.json: must be one of …`. No process
 * access beyond the arguments: the CLI passes `process.env` in.
 */
import { readFileSync } from 'node:fs'
import { ParleyError } from '../../core/errors.js'
import { inputParser, isPlainObject } from '../../core/schema.js'
import { type ConfigFieldSchema, ConfigSchema, configFields, type ParleyConfig } from './schema.js'

export class ConfigError extends Error {}

const parseConfig = inputParser(ConfigSchema, { code: 'INVALID_PARAMS', rootName: 'config' })

export function loadConfig(opts: { file?: string; env?: Record<string, string | undefined>; overrides?: Partial<ParleyConfig> } = {}): ParleyConfig {
  const env = opts.env ?? {}
  const file = opts.file ?? env.PARLEY_CONFIG
  const input: Record<string, unknown> = file ? readConfigFile(file) : {}
  /** Where each key's value came from, for messages: the variable, or the file. */
  const source = new Map<string, string>(Object.keys(input).map((k) => [k, `in ${file}`]))
  for (const [name, field] of configFields()) {
    const raw = env[field.env]
    if (raw === undefined || raw === '') continue
    input[name] = fromEnv(field, raw)
    source.set(name, `from ${field.env}`)
  }
  let config: ParleyConfig
  try {
    config = parseConfig(input)
  } catch (e) {
    if (!(e instanceof ParleyError)) throw e
    throw new ConfigError(describe(e.detail ?? e.message, source))
  }
  return { ...config, ...opts.overrides }
}

function readConfigFile(file: string): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new ConfigError(`config file ${file}: ${(e as Error).message}`)
  }
  if (!isPlainObject(v)) throw new ConfigError(`config file ${file}: must hold a JSON object`)
  return v
}

/**
 * An environment value as the field's type: `apps` as JSON; an integer field's value as the
 * number it spells (as `Number` reads it: `8080`, `3e5`, `0x10`; the check then wants an
 * integer in range); else the string.
 */
function fromEnv(field: ConfigFieldSchema, raw: string): unknown {
  if (field.configType === 'apps') {
    try {
      return JSON.parse(raw)
    } catch {
      throw new ConfigError(`${field.env}: must be a JSON array`)
    }
  }
  if (field.type === 'integer' && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw)
  return raw
}

/**
 * The parser's `field: why` with the field's source in front: the variable for a value from
 * the environment (`PARLEY_APPS[0].secretKey: …`), else the key and the file or "(default)".
 */
function describe(detail: string, source: ReadonlyMap<string, string>): string {
  const m = /^([^.[:\s]+)((?:\[\d+\]|\.[^.[:\s]+)*): (.*)$/.exec(detail)
  if (!m) return detail
  const [, key, rest, why] = m as unknown as [string, string, string, string]
  const from = source.get(key)
  const field = configFields().find(([n]) => n === key)?.[1]
  if (from?.startsWith('from ') && field) return `${field.env}${rest}: ${why}`
  return `${key}${rest}${from ? ` ${from}` : ' (default)'}: ${why}`
}

/** The README config table, generated from the schema. */
export function configTableMarkdown(): string {
  const rows = configFields().map(([name, f]) => {
    const d = f.defaultDoc ?? JSON.stringify(typeof f.default === 'function' ? (f.default as () => unknown)() : f.default)
    return `| \`${name}\` | \`${f.env}\` | ${typeName(f)} | ${d} | ${f.description} |`
  })
  return ['| Field | Environment | Type | Default | Meaning |', '|---|---|---|---|---|', ...rows].join('\n')
}

function typeName(f: { type?: unknown; configType?: string }): string {
  if (f.configType !== undefined) return f.configType
  return f.type === 'integer' ? 'int' : 'string'
}
