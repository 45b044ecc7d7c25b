/**
 * Starts a real Parley node for a test: worker threads, real uWS on 127.0.0.1, real LMDB in
 * a fresh temp dir. Not a test file itself.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mintUserSigV2 } from '../../src/services/auth/usersigV2.js'
import type { AppConfig } from '../../src/model/apps.js'
import { loadConfig } from '../../src/node/config/load.js'
import type { ParleyConfig } from '../../src/node/config/schema.js'
import { createNode } from '../../src/node/createNode.js'

export interface TestServer {
  url: string
  wsUrl: string
  port: number
  app: AppConfig
  dataDir: string
  config: ParleyConfig
  adminSig(): string
  userSig(userId: string, expireSec?: number): string
  stop(): Promise<void>
}

export function testApp(over: Partial<AppConfig> = {}): AppConfig {
  return {
    sdkAppId: 1400000000 + Math.floor(Math.random() * 99999999),
    secretKey: randomBytes(32).toString('hex'),
    admins: ['administrator'],
    multiLogin: 'unlimited',
    recallWindowSeconds: 120,
    ...over,
  }
}

export async function startServer(opts: { apps?: AppConfig[]; threads?: number; config?: Partial<ParleyConfig>; dataDir?: string } = {}): Promise<TestServer> {
  const app = opts.apps?.[0] ?? testApp()
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-test-'))
  const config: ParleyConfig = {
    ...loadConfig({ env: {} }),
    host: '127.0.0.1', port: 0, dataDir, threads: opts.threads ?? 2, nodeId: 'test',
    apps: opts.apps ?? [app],
    ...opts.config,
  }
  const node = createNode(config)
  const { port } = await node.start()
  const sig = (userId: string, expireSec = 3600) =>
    mintUserSigV2({ sdkAppId: app.sdkAppId, key: app.secretKey, userId, expireSec, nowSec: Math.floor(Date.now() / 1000) })
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    port, app, dataDir, config,
    adminSig: () => sig(app.admins[0]),
    userSig: sig,
    async stop() {
      await node.stop()
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
