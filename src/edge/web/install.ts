/**
 * The web page at `/`: a small chat client built on the SDK (bundled for browsers by
 * esbuild into dist/web/client.js during `npm run build`). For apps flagged `demo` only,
 * `GET /demo/usersig?userId=…` mints a UserSig so a person can try Parley in a browser;
 * apps you configure yourself never expose that endpoint.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TemplatedApp } from 'uWebSockets.js'
import { mintUserSigV2 } from '../../services/auth/usersigV2.js'
import type { AppConfig } from '../../model/apps.js'
import { isUserId } from '../../core/ids.js'

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url))
    dir = up
  }
  return dir
}

export function installWeb(app: TemplatedApp, deps: { config: { readonly apps: readonly AppConfig[] } }): void {
  const root = packageRoot()
  const page = readFileSync(join(root, 'src/edge/web/index.html'))
  const bundlePath = join(root, 'dist/web/client.js')
  const bundle = existsSync(bundlePath) ? readFileSync(bundlePath) : undefined
  const demo = deps.config.apps.find((a) => a.demo)

  app.get('/', (res) => {
    res.writeHeader('content-type', 'text/html; charset=utf-8').end(page)
  })
  app.get('/client.js', (res) => {
    if (!bundle) return void res.writeStatus('404 Not Found').end('client bundle not built: run npm run build')
    res.writeHeader('content-type', 'text/javascript; charset=utf-8').end(bundle)
  })
  app.get('/demo/app', (res) => {
    res.writeHeader('content-type', 'application/json')
    res.end(JSON.stringify(demo ? { sdkAppId: demo.sdkAppId } : { sdkAppId: null }))
  })
  app.get('/demo/usersig', (res, req) => {
    const userId = new URLSearchParams(req.getQuery() ?? '').get('userId') ?? ''
    res.writeHeader('content-type', 'application/json')
    if (!demo) return void res.writeStatus('404 Not Found').end(JSON.stringify({ error: 'no demo app' }))
    if (!isUserId(userId)) return void res.writeStatus('400 Bad Request').end(JSON.stringify({ error: 'bad userId' }))
    const userSig = mintUserSigV2({ sdkAppId: demo.sdkAppId, key: demo.secretKey, userId, expireSec: 86400, nowSec: Math.floor(Date.now() / 1000) })
    res.end(JSON.stringify({ sdkAppId: demo.sdkAppId, userId, userSig }))
  })
  app.any('/*', (res) => {
    res.writeStatus('404 Not Found').writeHeader('content-type', 'text/plain').end('not found')
  })
}
