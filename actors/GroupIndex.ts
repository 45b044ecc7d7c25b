/**
 * GroupIndex: one virtual actor per (app, user) that reads the user's joined-group index.
 *
 * Why an index written by the groups and read here: each index row (app, user, groupId) is
 * written by that group's actor in the same commit as the membership change, so membership
 * and index can never disagree, even after a crash between steps (no coordinator has to
 * repair a half-done change). Reads need the store, and actors are the only holders of
 * store interfaces, so this actor serves them; it holds no state and never writes. It is
 * the natural home for later per-user group state (the per-user group count cap, catch-up
 * over every joined group).
 */
import type { JoinedGroup } from '../src/store/GroupStore.js'
import type { ActorDeps } from './deps.js'
import type { Actor, ActorContext, DeactivationReason } from './runtime/types.js'

export type GroupIndexMsg = { kind: 'joined' }

export class GroupIndex implements Actor {
  constructor(private readonly ctx: ActorContext<ActorDeps>) {}

  async onActivate(): Promise<void> {}

  async onDeactivate(_reason: DeactivationReason): Promise<void> {}

  async handle(raw: { kind: string }): Promise<unknown> {
    const msg = raw as GroupIndexMsg
    switch (msg.kind) {
      case 'joined': return this.onJoined()
      default: return assertNever(msg.kind)
    }
  }

  /** The user's groups, ordered by GroupId. */
  private onJoined(): Promise<JoinedGroup[]> {
    return this.ctx.deps.groups.joinedGroups(this.ctx.self.app, this.ctx.self.key)
  }
}

function assertNever(x: never): never {
  throw new TypeError(`unhandled message kind: ${String(x)}`)
}
