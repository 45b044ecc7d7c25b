/**
 * Priority shedding for slow room members: the pure rules that TopicTable applies.
 *
 * A socket is on one shed tier at a time (all its rooms alike), chosen from its send buffer
 * (uWS `getBufferedAmount`) against the backpressure limit `L`:
 *
 * | tier | buffered (moving down) | leaves out of its rooms' `gev` frames |
 * |---|---|---|
 * | 0 | — | nothing |
 * | 1 | > L/4 | `Lowest` group messages |
 * | 2 | > L/2 | `Low` and `Lowest` |
 * | 3 | > 3L/4 | `Normal`, `Low` and `Lowest`: only `High` messages and non-message events |
 *
 * A socket moves down as soon as a check sees its buffer past a higher tier's mark, and
 * straight back to tier 0 once a check sees it below L/8 (hysteresis: between L/8 and its
 * mark it stays where it is). Over L it is closed with 4100 (Gateway's sweep), whatever its
 * tier. Never shed: group tips (`from` `@TIM#SYSTEM`), `High` messages, recalls, leaves —
 * anything that is not an ordinary `Normal`/`Low`/`Lowest` group message. A message without
 * a priority (or with one this server does not know) counts as `Normal`.
 */
import type { GroupEvent } from '../../protocol/events.js'
import { SYSTEM_ACCOUNT } from '../../model/message.js'

export type ShedTier = 0 | 1 | 2 | 3

/** The tiers below the full one, in order; each leaves out more than the one before. */
export const SHED_TIERS = [1, 2, 3] as const

/** Never shed: `shedFrom` of an event that every tier keeps. */
const NEVER = 4

/** The first tier that leaves out a message of this priority (absent or unknown: Normal). */
const FIRST_SHED_TIER: Readonly<Record<string, number>> = { Lowest: 1, Low: 2, Normal: 3, High: NEVER }

/** The lowest tier that leaves `ev` out (1, 2 or 3), or 4 when every tier keeps it. */
export function shedFrom(ev: GroupEvent): number {
  if (ev.type !== 'groupMsg' || ev.msg.from === SYSTEM_ACCOUNT) return NEVER
  return FIRST_SHED_TIER[ev.msg.priority ?? 'Normal'] ?? FIRST_SHED_TIER.Normal
}

/** The events of `evs` that a socket on `tier` gets, in their order (`evs` itself for tier 0). */
export function keptByTier(evs: GroupEvent[], tier: ShedTier): GroupEvent[] {
  return tier === 0 ? evs : evs.filter((ev) => shedFrom(ev) > tier)
}

/**
 * The tier for a socket now on `current` with `buffered` bytes in its send buffer, against
 * the limit `limit` (see the table above): lower when the buffer passes a lower tier's mark,
 * 0 when it is under limit/8, else unchanged.
 */
export function tierForBuffer(buffered: number, current: ShedTier, limit: number): ShedTier {
  if (buffered < limit / 8) return 0
  const level: ShedTier = buffered > (limit * 3) / 4 ? 3 : buffered > limit / 2 ? 2 : buffered > limit / 4 ? 1 : 0
  return level > current ? level : current
}

/**
 * The uWS topic of `tier` of the room topic `topic`: the topic itself for tier 0, else
 * `shed<tier>:<topic>`. A prefix, not a suffix: a room topic is an actor id
 * (`group/<app>/<GroupId>`), which never starts with `shed<n>:`, while a GroupId may end in
 * any printable character, so a suffixed name could be another group's topic.
 */
export function tierTopic(topic: string, tier: ShedTier): string {
  return tier === 0 ? topic : `shed${tier}:${topic}`
}
