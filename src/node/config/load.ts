/**
 * Builds a validated ParleyConfig from defaults, an optional JSON config file and the
 * environment (environment wins). Validation errors name the field. No process access
 * beyond the arguments: the CLI passes `process.env` in.
 */
import { readFileSync } from 'node:fs'
import { parseAppConfig } from '../../model/apps.js'
import { ConfigSchema, type ParleyConfig } from './schema.js'

export class ConfigError extends Error {}

export function loadConfig(opts: { file?: string; env?: Record<string, string | undefined>; overrides?: Partial<ParleyConfig> } = {}): ParleyConfig {
  const env = opts.env ?? {}
  let fileValues: Record<string, unknown> = {}
  const file = opts.file ?? env.PARLEY_CONFIG
  if (file) {
    try {
      fileValues = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    } catch (e) {
      throw new ConfigError(`config file ${file}: ${(e as Error).message}`)
    }
    if (typeof fileValues !== 'object' || fileValues === null || Array.isArray(fileValues)) {
      throw new ConfigError(`config file ${file}: must hold a JSON object`)
    }
  }
  const out: Record<string, unknown> = {}
  for (const [name, field] of Object.entries(ConfigSchema)) {
    const fromEnv = env[field.env]
    let value: unknown = field.default()
    let where = `${name} (default)`
    if (name in fileValues) { value = fileValues[name]; where = `${name} in ${file}` }
    if (fromEnv !== undefined && fromEnv !== '') { value = fromEnv; where = field.env }
    out[name] = coerce(field.type, value, where, field as { min?: number; max?: number })
  }
  return { ...(out as ParleyConfig), ...opts.overrides }
}

function coerce(type: string, value: unknown, where: string, f: { min?: number; max?: number }): unknown {
  switch (type) {
    case 'int': {
      const n = typeof value === 'string' ? Number(value) : value
      if (typeof n !== 'number' || !Number.isInteger(n)) throw new ConfigError(`${where}: must be an integer`)
      if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) {
        throw new ConfigError(`${where}: must be between ${f.min} and ${f.max}`)
      }
      return n
    }
    case 'string':
      if (typeof value !== 'string' || value === '') throw new ConfigError(`${where}: must be a non-empty string`)
      return value
    case 'optstring':
      if (typeof value !== 'string') throw new ConfigError(`${where}: must be a string`)
      return value
    case 'apps': {
      let list = value
      if (typeof list === 'string') {
        try { list = JSON.parse(list) } catch { throw new ConfigError(`${where}: must be a JSON array`) }
      }
      if (!Array.isArray(list)) throw new ConfigError(`${where}: must be an array of apps`)
      try {
        return list.map((a, i) => parseAppConfig(a, `${where}[${i}]`))
      } catch (e) {
        throw new ConfigError((e as Error).message)
      }
    }
    default:
      throw new ConfigError(`${where}: unknown field type ${type}`)
  }
}

/** The README config table, generated from the schema. */
export function configTableMarkdown(): string {
  const rows = Object.entries(ConfigSchema).map(([name, f]) => {
    const d = name === 'threads' ? 'CPU count' : name === 'nodeId' ? 'host name' : JSON.stringify(f.default())
    return `| \`${name}\` | \`${f.env}\` | ${f.type} | ${d} | ${f.doc} |`
  })
  return ['| Field | Environment | Type | Default | Meaning |', '|---|---|---|---|---|', ...rows].join('\n')
}
