/**
 * The Tencent-compatible REST API (docs/tencent-compat.md §2): `POST /v4/{service}/{command}?sdkappid=…&
 * identifier=…&usersig=…&random=…&contenttype=json` with a JSON body, served by the same uWS
 * app (and port) as the WebSocket gateway. Every reply is HTTP 200 with the envelope of
 * envelope.ts; nothing a client sends can throw out of a uWS callback.
 *
 * Request pipeline and its codes:
 * 1. Method and path: `POST /v4/{service}/{command}` only. Another method on a /v4 path →
 *    60002; a path of another shape, or a command not in the table → 60009.
 * 2. Body: read in full before anything else (uWS `onData`), at most `restMaxBodyBytes`;
 *    more → 60008 and the connection is closed (also when Content-Length already says so).
 * 3. Caller: auth.ts (60006 app, 60002 contenttype, 60004 identifier, 700xx UserSig, 60010
 *    not an admin).
 * 4. JSON: the body must parse as JSON and be an object → otherwise 60003, for every service
 *    (checked before the service sees the body, so openim answers 60003 too, not 90001).
 * 5. The command (commands.ts): its body schema is parsed (`RestCommand.parse`: the first
 *    failing field in declaration order, with the field's or the service's code), then it runs
 *    its checks across fields and its actor requests. Coded failures are answered with their
 *    code; anything else is logged and answered 20005.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js'
import { describeError, type Logger } from '../../core/log.js'
import type { Router } from '../../../actors/runtime/types.js'
import type { AppRegistry } from '../../model/apps.js'
import { CodedError, ParleyError } from '../../core/errors.js'
import { isPlainObject } from '../../core/schema.js'
import type { GroupStore } from '../../store/GroupStore.js'
import { authenticate, parseQuery, type RestSigVerifier } from './auth.js'
import { restCommands } from './commands.js'
import type { RestCtx } from './context.js'
import { type Envelope, errorEnvelope, okEnvelope } from './envelope.js'
import type { Body } from './fields.js'
import { type Exchange, openExchange, readBody, sendJson } from './http.js'

export interface RestDeps {
  router: Router
  /** The thread's group store, for `get_appid_group_list` (RestCtx.groupListing). */
  groupListing: Pick<GroupStore, 'listGroups'>
  apps: AppRegistry
  verifier: RestSigVerifier
  config: { restMaxBodyBytes: number }
  log: Logger
  /** Wall clock, ms; default Date.now. */
  now?: () => number
}

/** Registers the REST routes on `app`. Call once per uWS app, before it listens. */
export function installRest(app: TemplatedApp, deps: RestDeps): void {
  app.post('/v4/:service/:command', (res, req) => onPost(deps, res, req))
  app.any('/v4/*', (res, req) => onOther(res, req))
}

function onOther(res: HttpResponse, req: HttpRequest): void {
  const ex = openExchange(res)
  const err = req.getMethod() !== 'post'
    ? new ParleyError('REST_BAD_URL', `method ${req.getCaseSensitiveMethod().slice(0, 16)}: use POST`)
    : new ParleyError('REST_UNKNOWN_COMMAND', 'path must be /v4/{service}/{command}')
  sendJson(ex, errorEnvelope(err), true)
}

function onPost(d: RestDeps, res: HttpResponse, req: HttpRequest): void {
  const ex = openExchange(res)
  const route = `${req.getParameter(0)}/${req.getParameter(1)}`
  const query = req.getQuery()
  const max = d.config.restMaxBodyBytes
  const tooLarge = () => sendJson(ex, errorEnvelope(new ParleyError('REST_BAD_HTTP', `body above ${max} bytes`)), true)
  const declared = req.getHeader('content-length')
  if (declared !== '' && Number(declared) > max) {
    tooLarge()
    return
  }
  readBody(ex, max, (body) => {
    if (body === undefined) {
      tooLarge()
      return
    }
    void serve(d, ex, route, query, body).then((reply) => sendJson(ex, reply))
  })
}

/** Runs steps 3–5 of the pipeline; always resolves with the reply. */
async function serve(d: RestDeps, ex: Exchange, route: string, rawQuery: string, raw: Buffer): Promise<Envelope> {
  const nowMs = (d.now ?? Date.now)()
  try {
    const command = restCommands.get(route)
    if (command === undefined) throw new ParleyError('REST_UNKNOWN_COMMAND', route.slice(0, 100))
    const caller = await authenticate(d, parseQuery(rawQuery), Math.floor(nowMs / 1000))
    const body = command.parse(parseBody(raw))
    if (!ex.open) return errorEnvelope(new ParleyError('REST_BAD_HTTP', 'aborted'))
    const ctx: RestCtx = { router: d.router, groupListing: d.groupListing, app: caller.app, admin: caller.admin, nowMs, log: d.log }
    return okEnvelope(await command.run(ctx, body))
  } catch (e) {
    if (e instanceof CodedError) d.log.info('REST request refused', { route, code: e.code, error: e.message })
    else d.log.error('REST command failed', { route, error: describeError(e) })
    return errorEnvelope(e)
  }
}

function parseBody(raw: Buffer): Body {
  let v: unknown
  try {
    v = JSON.parse(raw.toString('utf8'))
  } catch {
    throw new ParleyError('REST_BAD_JSON')
  }
  if (!isPlainObject(v)) throw new ParleyError('REST_BAD_JSON', 'body must be a JSON object')
  return v
}
