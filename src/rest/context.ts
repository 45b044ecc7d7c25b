/**
 * What a REST command handler gets, and the helpers every service shares: asking a user's
 * session, checking that accounts are imported, and running per-item work with bounded
 * concurrency. Handlers reach actors only through the Router, like the socket gateway; the
 * one store they read directly is the app-wide group listing (`groupListing`).
 */
import { userActor } from '../../actors/ActorId.js'
import type { Logger, Router } from '../../actors/runtime/types.js'
import type { UserSessionMsg } from '../../actors/UserSession.js'
import { type ErrorName, ParleyError } from '../errors.js'
import type { GroupStore } from '../store/GroupStore.js'
import type { Body } from './fields.js'

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

/** Runs one command; resolves with the reply fields that follow the envelope. */
export type RestHandler = (ctx: RestCtx, body: Body) => Promise<Record<string, unknown>>

/** `service/command` → handler. */
export type CommandTable = Readonly<Record<string, RestHandler>>

/** How many per-item actor requests one REST call keeps in flight. */
export const ItemConcurrency = 32

export function askUser<R = unknown>(ctx: RestCtx, user: string, msg: UserSessionMsg): Promise<R> {
  return ctx.router.ask<R>(userActor(ctx.app, user), msg)
}

export async function isImported(ctx: RestCtx, user: string): Promise<boolean> {
  return (await askUser<{ imported: boolean }>(ctx, user, { kind: 'checkAccount' })).imported
}

/** Throws `code` naming the first of `users` (in order) that is not imported. */
export async function requireImported(ctx: RestCtx, users: readonly string[], code: ErrorName): Promise<void> {
  const found = await Promise.all(users.map((u) => isImported(ctx, u)))
  const missing = users.find((_, i) => !found[i])
  if (missing !== undefined) throw new ParleyError(code, `${missing} is not imported`)
}

/** Maps `items` through `fn` with at most `limit` calls in flight; results keep input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
