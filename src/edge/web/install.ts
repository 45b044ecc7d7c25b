/**
 * The web page at `/`: a small chat client built on the SDK (bundled for browsers by
 * esbuild into dist/web/client.js during `npm run build`). For apps flagged `demo` only,
 * `GET /demo/usersig?userId=…` mints a UserSig so a person can try Parley in a browser:
 * to anyone who can reach the port, for any UserID except the demo app's admins (403,
 * ErrorCode 70402; admin tokens come from `parley usersig` on the server). Apps you
 * configure yourself never expose that endpoint (404).
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js'
import { mintUserSigV2 } from '../../services/auth/usersigV2.js'
import type { AppConfig } from '../../model/apps.js'
import { ErrorCatalogue } from '../../core/errors.js'
import { isUserId } from '../../core/ids.js'

/** Writes a JSON answer; uWS needs the status before any header. */
function json(res: HttpResponse, status: string, body: unknown): void {
  res.writeStatus(status).writeHeader('content-type', 'application/json').end(JSON.stringify(body))
}

/**
 * A refused demo request, in the shape of a Tencent REST failure. The code is 70402 (invalid
 * parameters): the request is well-formed but names a UserID this endpoint does not serve.
 */
function refuse(res: HttpResponse, status: string, detail: string): void {
  const { code, message } = ErrorCatalogue.INVALID_PARAMS
  json(res, status, { ActionStatus: 'FAIL', ErrorCode: code, ErrorInfo: `${message}: ${detail}` })
}

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
    json(res, '200 OK', { sdkAppId: demo ? demo.sdkAppId : null })
  })
  app.get('/demo/usersig', (res, req) => {
    const userId = new URLSearchParams(req.getQuery() ?? '').get('userId') ?? ''
    if (!demo) return void json(res, '404 Not Found', { error: 'no demo app' })
    if (!isUserId(userId)) return void refuse(res, '400 Bad Request', 'bad userId')
    if (demo.admins.includes(userId)) {
      return void refuse(res, '403 Forbidden', `${userId} is an App admin: the demo page never hands out admin tokens; run \`npx parley usersig ${userId}\` on the server`)
    }
    const userSig = mintUserSigV2({ sdkAppId: demo.sdkAppId, key: demo.secretKey, userId, expireSec: 86400, nowSec: Math.floor(Date.now() / 1000) })
    json(res, '200 OK', { sdkAppId: demo.sdkAppId, userId, userSig })
  })
  app.any('/*', (res) => {
    res.writeStatus('404 Not Found').writeHeader('content-type', 'text/plain').end('not found')
  })
}
