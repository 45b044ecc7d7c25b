/**
 * What the Group actor's handler modules (management.ts, messaging.ts, read.ts, recall.ts,
 * imports.ts) get from the actor, and the checks every handler starts with.
 */
import { ParleyError } from '../../src/core/errors.js'
import type { GroupRecord } from '../../src/model/group.js'
import type { GroupCommit } from '../../src/store/GroupStore.js'
import type { ActorDeps } from '../deps.js'
import type { ActorContext } from '../runtime/types.js'
import type { RoomFanout } from './fanout.js'
import type { GroupView } from './protocol.js'
import type { MessageRate } from './rate.js'
import type { Rank } from './rules.js'
import type { GroupState } from './state.js'
import type { TipContent } from './tips.js'

/** What the handler modules get: the state, the clock, and the one way to change state. */
export interface GroupCtx {
  readonly s: GroupState
  readonly actor: ActorContext<ActorDeps>
  /** The group's live fan-out to members' online sockets. */
  readonly fanout: RoomFanout
  /** The group's message rate limit. */
  readonly rate: MessageRate
  nowSec(): number
  view(group: GroupRecord): GroupView
  /**
   * Commits durably, then applies to `s` and publishes: `tips` (stored ones are appended to
   * `c.messages` with the next seqs, so the change and its tips commit atomically; live ones
   * are pushed with seq 0; see tipDelivery), then a `groupLeave` for members that left.
   * A failed commit marks the actor broken.
   */
  commit(c: GroupCommit, tips?: readonly TipContent[]): Promise<void>
}

/** The group's record, or GROUP_NOT_FOUND (10010). */
export function requireGroup(g: GroupCtx) {
  const group = g.s.group
  if (!group) throw new ParleyError('GROUP_NOT_FOUND', g.actor.self.key)
  return group
}

/** GROUP_NO_PERMISSION (10007) below `min`. */
export function requireRank(rank: Rank, min: Rank, what = 'this operation'): void {
  if (rank < min) throw new ParleyError('GROUP_NO_PERMISSION', what)
}
