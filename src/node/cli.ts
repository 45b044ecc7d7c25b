#!/usr/bin/env node
/**
 * The `parley` command, the only place that reads argv, handles signals and exits.
 *   parley start [--config FILE]            run a node (embedded mode by default)
 *   parley usersig <userId> [--app ID] [--expire SECONDS] [--config FILE]
 *   parley config-table | error-table | group-table   print a README table
 */
import { mintUserSigV2 } from '../services/auth/usersigV2.js'
import { errorTableMarkdown } from '../core/errors.js'
import { groupTypesTableMarkdown } from '../../actors/group/rulesTable.js'
import type { AppConfig } from '../model/apps.js'
import { ensureDemoApp } from './config/demoApp.js'
import { ConfigError, configTableMarkdown, loadConfig } from './config/load.js'
import type { ParleyConfig } from './config/schema.js'
import { createNode } from './createNode.js'

const DEFAULT_EXPIRE = 180 * 24 * 3600

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

/** Config plus the demo app when none is configured. */
function resolveConfig(args: string[]): { config: ParleyConfig; demo?: { app: AppConfig; created: boolean } } {
  const config = loadConfig({ file: flag(args, '--config'), env: process.env })
  if (config.apps.length > 0) return { config }
  const demo = ensureDemoApp(config.dataDir)
  return { config: { ...config, apps: [demo.app] }, demo }
}

function pickApp(config: ParleyConfig, id: string | undefined): AppConfig {
  const app = id ? config.apps.find((a) => a.sdkAppId === Number(id)) : config.apps[0]
  if (!app) throw new ConfigError(`no app with SDKAppID ${id}`)
  return app
}

function mint(app: AppConfig, userId: string, expireSec = DEFAULT_EXPIRE): string {
  return mintUserSigV2({ sdkAppId: app.sdkAppId, key: app.secretKey, userId, expireSec, nowSec: Math.floor(Date.now() / 1000) })
}

async function start(args: string[]): Promise<void> {
  const { config, demo } = resolveConfig(args)
  const node = createNode(config)
  const { port } = await node.start().catch((e: unknown) => {
    // Unreachable services, a port in use: one clear line, not a stack.
    throw new ConfigError(`cannot start: ${e instanceof Error ? e.message : String(e)}`)
  })
  const out = process.stdout
  out.write(`Parley listening on http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port} (${config.threads} threads, data in ${config.dataDir})\n`)
  if (demo) {
    const app = demo.app
    out.write(`${demo.created ? 'Created' : 'Using'} the demo app: SDKAppID ${app.sdkAppId} (key in ${config.dataDir}/demo-app.json)\n`)
    out.write(`  user token:  npx parley usersig <userId>\n`)
    out.write(`  admin token (administrator): ${mint(app, app.admins[0])}\n`)
    out.write(`  chat in a browser: http://127.0.0.1:${port}/\n`)
  }
  let stopping = false
  const stop = (sig: string) => {
    if (stopping) return
    stopping = true
    out.write(`${sig}: stopping\n`)
    node.stop().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1) })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...args] = argv
  switch (cmd) {
    case 'start':
    case undefined:
      return start(args)
    case 'usersig': {
      const userId = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')))
      if (!userId) throw new ConfigError('usage: parley usersig <userId> [--app SDKAPPID] [--expire SECONDS]')
      const { config } = resolveConfig(args)
      const app = pickApp(config, flag(args, '--app'))
      const expire = flag(args, '--expire')
      process.stdout.write(mint(app, userId, expire ? Number(expire) : undefined) + '\n')
      return
    }
    case 'config-table':
      process.stdout.write(configTableMarkdown() + '\n')
      return
    case 'error-table':
      process.stdout.write(errorTableMarkdown() + '\n')
      return
    case 'group-table':
      process.stdout.write(groupTypesTableMarkdown() + '\n')
      return
    default:
      throw new ConfigError(`unknown command ${cmd}; use start, usersig, config-table, error-table or group-table`)
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof ConfigError ? `parley: ${e.message}` : e)
  process.exit(1)
})
