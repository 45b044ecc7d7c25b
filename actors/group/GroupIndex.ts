/**
 * GroupIndex: one virtual actor per (app, user) that reads the user's joined-group index.
 *
 * Why an index written by the groups and read here: each index row (app, user, groupId) is
 * written by that group's actor in the same commit as the membership change, so membership
 * and index can never disagree, even after a crash between steps (no coordinator has to
 * repair a half-done change). Reads need the store, and actors are the only holders of
 * store interfaces, so this actor serves them; it holds no state and never writes. It is
 * the natural home for later per-user group state (the per-user group count cap, catch-up
 * over every joined group). Its protocol is GroupIndexProtocol (protocol.ts).
 */
import type { ActorDeps } from '../deps.js'
import { type ActorMessage, dispatch, type Handlers } from '../runtime/protocol.js'
import type { Actor, ActorContext, DeactivationReason } from '../runtime/types.js'
import type { GroupIndexProtocol } from './protocol.js'

export class GroupIndex implements Actor {
  constructor(private readonly ctx: ActorContext<ActorDeps>) {}

  private readonly handlers: Handlers<GroupIndexProtocol> = {
    joined: () => this.ctx.deps.groups.joinedGroups(this.ctx.self.app, this.ctx.self.key),
  }

  async onActivate(): Promise<void> {}

  async onDeactivate(_reason: DeactivationReason): Promise<void> {}

  handle(msg: ActorMessage): Promise<unknown> {
    return dispatch(this.handlers, msg)
  }
}
