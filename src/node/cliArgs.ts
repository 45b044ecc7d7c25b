/**
 * How `parley` reads its arguments: each command declares its positional arguments and its
 * options once (name, type, value placeholder, description); `parseCommand` checks argv
 * against that declaration with `node:util` parseArgs in strict mode (an unknown option, a
 * missing value or a wrong number of arguments is a UsageError), and `commandUsage` /
 * `topUsage` generate the help text from the same declaration. No process access: the CLI
 * entry (cli.ts) prints and exits.
 */
import { parseArgs } from 'node:util'

/** A mistake in how `parley` was invoked (the CLI exits 2); `command` names the command whose usage applies. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message)
  }
}

/** A failure while running a well-formed command (the CLI prints the message alone and exits 1). */
export class CommandError extends Error {}

export interface OptionSpec {
  readonly type: 'string' | 'boolean'
  /** Placeholder of a string option's value in the usage text, e.g. `SECONDS`. */
  readonly value?: string
  readonly description: string
}

export interface CommandSpec {
  readonly name: string
  /** One line for the command list of `parley --help`. */
  readonly summary: string
  /** Further paragraphs of `parley <command> --help`, each one line. */
  readonly details?: readonly string[]
  /** Required positional arguments, in order. */
  readonly args: readonly { readonly name: string; readonly description: string }[]
  readonly options: Readonly<Record<string, OptionSpec>>
}

/** The values of a command's options as given (absent options are undefined). */
export type OptionValues<O extends Record<string, OptionSpec>> = {
  [K in keyof O]?: O[K]['type'] extends 'string' ? string : boolean
}

export type Parsed<O extends Record<string, OptionSpec>> =
  | { readonly help: true }
  | { readonly help: false; readonly args: readonly string[]; readonly values: OptionValues<O> }

/** Every command takes `-h` / `--help`. */
const HELP_OPTION: OptionSpec = { type: 'boolean', description: 'Print this help and exit.' }

/** Parses `argv` (the words after the command name) against `spec`; throws UsageError. */
export function parseCommand<O extends Record<string, OptionSpec>>(spec: CommandSpec & { options: O }, argv: readonly string[]): Parsed<O> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } }
  for (const [name, o] of Object.entries(spec.options)) options[name] = { type: o.type }
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] }
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true })
  } catch (e) {
    throw new UsageError(parseArgsMessage(e), spec.name)
  }
  if (parsed.values.help === true) return { help: true }
  const { positionals } = parsed
  if (positionals.length !== spec.args.length) {
    const wanted = spec.args.length === 0 ? 'no arguments' : spec.args.map((a) => `<${a.name}>`).join(' ')
    const got = positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')
    throw new UsageError(`${spec.name} takes ${wanted} (got ${got})`, spec.name)
  }
  const values: Record<string, string | boolean | undefined> = { ...parsed.values }
  delete values.help
  return { help: false, args: positionals, values: values as OptionValues<O> }
}

/** parseArgs' messages, shortened to the option at fault. */
function parseArgsMessage(e: unknown): string {
  const err = e as { code?: string; message?: string }
  const message = err.message ?? String(e)
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const name = /'([^']+)'/.exec(message)?.[1]
    return name ? `unknown option ${name}` : message
  }
  return message
}

/**
 * A whole number in [1, max] written as decimal digits only ("3600"; not "3h", "1e3", "0x10"
 * or "-1"); anything else is a UsageError naming `what`.
 */
export function positiveInteger(text: string, what: string, max: number, command?: string): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(n) || n < 1 || n > max) {
    const bound = max < Number.MAX_SAFE_INTEGER ? ` no greater than ${max}` : ''
    throw new UsageError(`${what} must be a positive whole number${bound} (got ${JSON.stringify(text)})`, command)
  }
  return n
}

/** `parley <command> --help`. */
export function commandUsage(spec: CommandSpec): string {
  const args = spec.args.map((a) => ` <${a.name}>`).join('')
  const lines = [`Usage: parley ${spec.name}${args} [options]`, '', spec.summary]
  for (const d of spec.details ?? []) lines.push('', d)
  if (spec.args.length > 0) {
    lines.push('', 'Arguments:')
    lines.push(...table(spec.args.map((a) => [`<${a.name}>`, a.description])))
  }
  const options = Object.entries(spec.options).map(([name, o]): [string, string] =>
    [`--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`, o.description])
  lines.push('', 'Options:', ...table([...options, ['-h, --help', HELP_OPTION.description]]))
  return lines.join('\n') + '\n'
}

/** `parley --help`: the command list. `fallback` is the command run when none is given. */
export function topUsage(specs: readonly CommandSpec[], fallback: string): string {
  return [
    'Usage: parley <command> [options]',
    '',
    'Commands:',
    ...table(specs.map((s) => [s.name, s.summary])),
    '',
    `With no command (or only options), parley runs \`${fallback}\`.`,
    'Run `parley <command> --help` for the arguments and options of a command.',
  ].join('\n') + '\n'
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length))
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)
}
