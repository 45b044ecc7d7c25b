/**
 * The demo app created on a first start with no app configured: a random SDKAppID and
 * secret key, kept in `<dataDir>/demo-app.json` so tokens stay valid across restarts.
 */
import { randomBytes, randomInt } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type AppConfig, parseAppConfig } from '../../model/apps.js'

export function demoAppPath(dataDir: string): string {
  return join(dataDir, 'demo-app.json')
}

/** Loads the demo app of `dataDir`, or undefined when it has none; never creates one. */
export function readDemoApp(dataDir: string): AppConfig | undefined {
  const path = demoAppPath(dataDir)
  return existsSync(path) ? parseAppConfig(JSON.parse(readFileSync(path, 'utf8')), path) : undefined
}

/** Loads the demo app, creating it if absent. `created` tells whether this call made it. */
export function ensureDemoApp(dataDir: string): { app: AppConfig; created: boolean } {
  const existing = readDemoApp(dataDir)
  if (existing) return { app: existing, created: false }
  const path = demoAppPath(dataDir)
  mkdirSync(dataDir, { recursive: true })
  const app: AppConfig = {
    sdkAppId: randomInt(1400000000, 1499999999),
    secretKey: randomBytes(32).toString('hex'),
    admins: ['administrator'],
    multiLogin: 'perPlatform',
    recallWindowSeconds: 120,
    demo: true,
  }
  writeFileSync(path, JSON.stringify(app, null, 2) + '\n', { mode: 0o600 })
  return { app, created: true }
}
