#!/usr/bin/env node
/**
 * The `parley` command, the only place that reads argv, handles signals and exits. Commands
 * and their options are declared once below; `parley --help` and `parley <command> --help`
 * print usage generated from those declarations (cliArgs.ts).
 *
 * Exit codes: 0 done; 1 a runtime failure (bad configuration, no app to mint for, a node
 * that cannot start), one line on stderr; 2 a usage error (unknown command or option, a
 * missing or malformed value), with a pointer to the command's help.
 */
import { resolve } from 'node:path'
import { groupTypesTableMarkdown } from '../../actors/group/rulesTable.js'
import { errorTableMarkdown } from '../core/errors.js'
import { isUserId } from '../core/ids.js'
import { Limits } from '../core/limits.js'
import type { AppConfig } from '../model/apps.js'
import { mintUserSigV2 } from '../services/auth/usersigV2.js'
import { startBanner } from './banner.js'
import {
  type CommandSpec, CommandError, commandUsage, type OptionSpec, type OptionValues, parseCommand,
  positiveInteger, topUsage, UsageError,
} from './cliArgs.js'
import { demoAppPath, ensureDemoApp, readDemoApp } from './config/demoApp.js'
import { ConfigError, configTableMarkdown, loadConfig } from './config/load.js'
import type { ParleyConfig } from './config/schema.js'
import { createNode } from './createNode.js'
import { fieldsDocMarkdown } from './fieldsDoc.js'

/** Default lifetime of a token from `parley usersig`: 180 days, seconds. */
const DEFAULT_EXPIRE = 180 * 24 * 3600

interface Command {
  readonly spec: CommandSpec
  /** Parses the words after the command name, prints help or runs it. */
  invoke(argv: readonly string[]): Promise<void>
}

function command<O extends Record<string, OptionSpec>>(
  spec: CommandSpec & { options: O },
  run: (args: readonly string[], values: OptionValues<O>) => void | Promise<void>,
): Command {
  return {
    spec,
    async invoke(argv) {
      const parsed = parseCommand(spec, argv)
      if (parsed.help) return void process.stdout.write(commandUsage(spec))
      await run(parsed.args, parsed.values)
    },
  }
}

const CONFIG_OPTIONS = {
  config: { type: 'string', value: 'FILE', description: 'JSON config file (default: PARLEY_CONFIG); the environment overrides it.' },
  'data-dir': { type: 'string', value: 'DIR', description: 'Data directory (overrides PARLEY_DATA_DIR and the config file; default ./data).' },
} as const satisfies Record<string, OptionSpec>

/** The config as `--config` and `--data-dir` and the environment give it. */
function configFrom(values: OptionValues<typeof CONFIG_OPTIONS>, cmd: string): ParleyConfig {
  for (const name of ['config', 'data-dir'] as const) {
    if (values[name] === '') throw new UsageError(`--${name} must not be empty`, cmd)
  }
  const dataDir = values['data-dir']
  return loadConfig({ file: values.config, env: process.env, overrides: dataDir ? { dataDir } : undefined })
}

const start = command({
  name: 'start',
  summary: 'Run a node: WebSocket gateway, REST API and web page on one port.',
  details: [
    'With no app configured, uses the demo app of the data directory (created on the first start) and serves /demo/usersig.',
    'Stops gracefully on SIGINT or SIGTERM.',
  ],
  args: [],
  options: CONFIG_OPTIONS,
}, async (_args, values) => {
  const configured = configFrom(values, 'start')
  const demo = configured.apps.length > 0 ? undefined : ensureDemoApp(configured.dataDir)
  const config = demo ? { ...configured, apps: [demo.app] } : configured
  const node = createNode(config)
  const { port } = await node.start().catch((e: unknown) => {
    // Unreachable services, a port in use: one clear line, not a stack.
    throw new CommandError(`cannot start: ${e instanceof Error ? e.message : String(e)}`)
  })
  const admin = demo?.app.admins[0]
  process.stdout.write(startBanner({
    host: config.host, port, threads: config.threads, dataDir: config.dataDir,
    demo: demo && admin !== undefined
      ? { sdkAppId: demo.app.sdkAppId, created: demo.created, keyPath: demoAppPath(config.dataDir), admin, adminSig: mint(demo.app, admin, DEFAULT_EXPIRE) }
      : undefined,
  }))
  let stopping = false
  const stop = (sig: string) => {
    if (stopping) return
    stopping = true
    process.stdout.write(`${sig}: stopping\n`)
    node.stop().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1) })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
})

const usersig = command({
  name: 'usersig',
  summary: 'Print a UserSig (v2) for a user of a configured app or of the data directory\'s demo app.',
  details: [
    'The app is the configured one (--config, PARLEY_CONFIG or PARLEY_APPS; the first unless --app), or, with none configured, the demo app that `parley start` created in the data directory. Never creates a demo app.',
    'The token goes to stdout alone; one line on stderr says which app and configuration or data directory it came from. Admin tokens are minted here, never over HTTP.',
  ],
  args: [{ name: 'userId', description: `The UserID the token is for (1 to ${Limits.userIdBytes} printable ASCII characters).` }],
  options: {
    app: { type: 'string', value: 'SDKAPPID', description: 'SDKAppID of the app (default: the first configured app, or the demo app).' },
    expire: { type: 'string', value: 'SECONDS', description: `Lifetime in whole seconds (default ${DEFAULT_EXPIRE}, 180 days).` },
    ...CONFIG_OPTIONS,
  },
}, (args, values) => {
  const userId = args[0]
  if (!isUserId(userId)) throw new UsageError(`<userId> must be 1 to ${Limits.userIdBytes} printable ASCII characters without spaces (got ${JSON.stringify(userId)})`, 'usersig')
  const expire = values.expire === undefined ? DEFAULT_EXPIRE : positiveInteger(values.expire, '--expire SECONDS', Number.MAX_SAFE_INTEGER, 'usersig')
  const wanted = values.app === undefined ? undefined : positiveInteger(values.app, '--app SDKAPPID', 0xffffffff, 'usersig')
  const config = configFrom(values, 'usersig')
  const { app, source } = usersigApp(config, values.config ?? process.env.PARLEY_CONFIG, wanted)
  process.stdout.write(mint(app, userId, expire) + '\n')
  const role = app.admins.includes(userId) ? ' (an App admin)' : ''
  process.stderr.write(`parley: UserSig for ${userId}${role}, SDKAppID ${app.sdkAppId} from ${source}, valid ${expire} s\n`)
})

/** The app `usersig` mints for, and a phrase naming where it came from. Never creates a demo app. */
function usersigApp(config: ParleyConfig, file: string | undefined, wanted: number | undefined): { app: AppConfig; source: string } {
  if (config.apps.length > 0) {
    // The environment wins over the config file (load.ts), so the apps came from PARLEY_APPS when it is set.
    const source = process.env.PARLEY_APPS ? 'PARLEY_APPS' : `config file ${file}`
    const app = wanted === undefined ? config.apps[0] : config.apps.find((a) => a.sdkAppId === wanted)
    if (!app) throw new CommandError(`no app with SDKAppID ${wanted} in ${source} (it has ${config.apps.map((a) => a.sdkAppId).join(', ')})`)
    return { app, source }
  }
  const dir = resolve(config.dataDir)
  const demo = readDemoApp(config.dataDir)
  if (!demo) {
    throw new CommandError(
      `no app is configured and data directory ${dir} holds no demo app (no demo-app.json). ` +
      'Start the server once with this data directory (npx parley start) to create it, pass --data-dir with the data directory of a server that has one, ' +
      'or configure an app (PARLEY_APPS or --config FILE).')
  }
  if (wanted !== undefined && wanted !== demo.sdkAppId) {
    throw new CommandError(`no app with SDKAppID ${wanted}: no app is configured, and the demo app in data directory ${dir} is ${demo.sdkAppId}`)
  }
  return { app: demo, source: `the demo app in data directory ${dir}` }
}

function mint(app: AppConfig, userId: string, expireSec: number): string {
  return mintUserSigV2({ sdkAppId: app.sdkAppId, key: app.secretKey, userId, expireSec, nowSec: Math.floor(Date.now() / 1000) })
}

/** A command printing generated Markdown; `what` says what it is and where it goes. */
function table(name: string, what: string, markdown: () => string): Command {
  return command({ name, summary: `Print ${what} (Markdown), generated from the code.`, args: [], options: {} }, () => {
    process.stdout.write(markdown() + '\n')
  })
}

const COMMANDS: readonly Command[] = [
  start,
  usersig,
  table('config-table', 'the README configuration table', configTableMarkdown),
  table('error-table', 'the README error code table', errorTableMarkdown),
  table('group-table', 'the README group type table', groupTypesTableMarkdown),
  table('fields-doc', 'docs/fields.md, every input\'s field table', fieldsDocMarkdown),
]

async function main(argv: readonly string[]): Promise<void> {
  const [first, ...rest] = argv
  if (first === '--help' || first === '-h') return void process.stdout.write(topUsage(COMMANDS.map((c) => c.spec), start.spec.name))
  // `parley` alone, or with options only, runs `start`.
  if (first === undefined || first.startsWith('-')) return start.invoke(argv)
  const cmd = COMMANDS.find((c) => c.spec.name === first)
  if (!cmd) throw new UsageError(`unknown command ${JSON.stringify(first)}; the commands are ${COMMANDS.map((c) => c.spec.name).join(', ')}`)
  return cmd.invoke(rest)
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) {
    const help = e.command ? `parley ${e.command} --help` : 'parley --help'
    process.stderr.write(`parley: ${e.message}\nRun \`${help}\` for usage.\n`)
    process.exit(2)
  }
  if (e instanceof ConfigError || e instanceof CommandError) process.stderr.write(`parley: ${e.message}\n`)
  else console.error(e)
  process.exit(1)
})
