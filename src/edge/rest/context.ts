/**
 * What a REST command handler gets, and the helpers every service shares: asking a user's
 * session, checking that accounts are imported, and running per-item work with bounded
 * concurrency. Handlers reach actors only through the Router, like the socket gateway; the
 * one store they read directly is the app-wide group listing (`groupListing`).
 */
import { userActor, type UserProtocol } from '../../../actors/user/protocol.js'
import type { Logger } from '../../core/log.js'
import type { Router } from '../../../actors/runtime/types.js'
import type { ReplyOf, RequestOf } from '../../../actors/runtime/protocol.js'
import { type ErrorName, ParleyError } from '../../core/errors.js'
import type { GroupStore } from '../../store/GroupStore.js'
import { type InputParser, inputParser, type Static, type TSchema } from '../../core/schema.js'

export interface RestCtx {
  readonly router: Router
  /**
   * The app-wide group listing, read straight from the thread's group store: it spans every
   * group, so no one actor owns it. Read only; every group write goes through the group's actor.
   */
  readonly groupListing: Pick<GroupStore, 'listGroups'>
  /** SDKAppID of the call, verified. */
  readonly app: number
  /** The calling App admin's UserID (query `identifier`), verified. */
  readonly admin: string
  /** Wall clock when the request was read, ms. */
  readonly nowMs: number
  readonly log: Logger
}

/**
 * One REST command: its request body declared once as a schema (which gives the body's type,
 * its check with coded errors naming the field, and the docs table), and what it does. The
 * body is parsed, whole, before `run` is called, so bad input changes nothing.
 */
export interface RestCommand<S extends TSchema = TSchema> {
  readonly body: S
  /** Catalogue name of a bad field whose schema names no code of its own. */
  readonly code: ErrorName
  readonly parse: InputParser<Static<S>>
  /** Resolves with the reply fields that follow the envelope. */
  run(ctx: RestCtx, body: Static<S>): Promise<Record<string, unknown>>
}

/** A command from its body schema, its default field code and what it does. */
export function command<S extends TSchema>(body: S, code: ErrorName, run: (ctx: RestCtx, body: Static<S>) => Promise<Record<string, unknown>>): RestCommand<S> {
  return { body, code, parse: inputParser(body, { code }), run }
}

/** `service/command` → command. */
export type CommandTable = Readonly<Record<string, RestCommand>>

/** How many per-item actor requests one REST call keeps in flight. */
export const ItemConcurrency = 32

export function askUser<K extends keyof UserProtocol & string>(ctx: RestCtx, user: string, msg: RequestOf<UserProtocol, K>): Promise<ReplyOf<UserProtocol, K>> {
  return ctx.router.ask(userActor(ctx.app, user), msg)
}

export async function isImported(ctx: RestCtx, user: string): Promise<boolean> {
  return (await askUser(ctx, user, { kind: 'checkAccount' })).imported
}

/** Throws `code` naming the first of `users` (in order) that is not imported. */
export async function requireImported(ctx: RestCtx, users: readonly string[], code: ErrorName): Promise<void> {
  const found = await Promise.all(users.map((u) => isImported(ctx, u)))
  const missing = users.find((_, i) => !found[i])
  if (missing !== undefined) throw new ParleyError(code, `${missing} is not imported`)
}
