/**
 * The Group actor's message handlers: send (server seq, Random dedupe, mute checks, mentions,
 * targeted messages, the rate limit) and history. A stored message is durable before it is
 * published to members' devices (once per thread with members online, see fanout.ts) and
 * answered.
 */
import { ParleyError } from '../../src/core/errors.js'
import { AT_ALL } from '../../src/model/message.js'
import type { GroupMessage, GroupType } from '../../src/model/group.js'
import { type GroupCtx, requireGroup, requireRank } from './context.js'
import type { GroupRequest, SendReply } from './protocol.js'
import { GroupTypeRules, mayReadSeq, Rank, sendCheck } from './rules.js'


/** Same sender and Random within this many seconds is a duplicate (docs/tencent-compat.md §4.6). */
export const GROUP_DEDUPE_SECONDS = 300

/**
 * Sends one message. Online-only messages, targeted ones (`draft.to`) and every message of
 * a type that keeps no history (AVChatRoom, BChatRoom) get seq 0 and are not stored. A
 * duplicate (same sender and Random within 5 minutes; keyed by both, so senders never collide)
 * answers with the stored message, changing nothing. Mentions of non-members are dropped.
 * Every send but a duplicate takes a token of the group's rate limit before anything is
 * published or stored (10023 when none is left; see rate.ts), so a refused send changed nothing.
 */
export async function onSend(g: GroupCtx, m: GroupRequest<'send'>): Promise<SendReply> {
  const group = requireGroup(g)
  const now = g.nowSec()
  const rank = g.s.rank(m.by)
  if (rank === Rank.none) throw new ParleyError('GROUP_NO_PERMISSION', `${m.from} is not a member`)
  const check = sendCheck(group.type, rank, g.s.mutes.get(m.from) ?? 0, group.muteAllMember, now)
  if (check === 'denied') throw new ParleyError('GROUP_NO_PERMISSION', `${m.from} may not send in this ${group.type} group`)
  if (check === 'muted') throw new ParleyError('GROUP_MUTED', m.from)
  const d = m.draft
  const to = d.to && targets(g, d.to)
  const atAccounts = d.atAccounts && mentions(g, d.atAccounts)
  const base = {
    from: m.from, random: d.random, time: now, body: d.body, cloudCustomData: d.cloudCustomData, priority: d.priority,
    ...(atAccounts ? { atAccounts } : {}), flags: 0,
  }
  const groupId = g.actor.self.key
  if (to || d.onlineOnly || !GroupTypeRules[group.type].storesHistory) {
    takeToken(g, group.type, d.priority)
    const message = { ...base, seq: 0 }
    g.fanout.publish({ type: 'groupMsg', groupId, msg: message, ...(to ? { to } : {}) })
    return { seq: 0, time: now, duplicate: false, message }
  }
  const dup = await findDuplicate(g, m.from, d.random, now)
  if (dup) return { seq: dup.seq, time: dup.time, duplicate: true, message: dup }
  takeToken(g, group.type, d.priority)
  const message: GroupMessage = { ...base, seq: g.s.lastSeq + 1 }
  // The sender has read its own message (actors/group/read.ts), in the same commit.
  const sender = g.s.members.get(m.from)
  await g.commit({
    messages: [message], dedupe: [{ from: m.from, random: d.random, record: { seq: message.seq, time: now } }],
    ...(sender ? { members: [{ ...sender, readSeq: message.seq, lastSendMsgTime: now }] } : {}),
  })
  g.fanout.publish({ type: 'groupMsg', groupId, msg: message })
  return { seq: message.seq, time: now, duplicate: false, message }
}


/** The members among a targeted message's `to`, each once; 10004 when none is. */
function targets(g: GroupCtx, to: readonly string[]): string[] {
  const members = [...new Set(to)].filter((a) => g.s.members.has(a))
  if (!members.length) throw new ParleyError('GROUP_INVALID_PARAMS', 'To_Account: none of the listed accounts is a member')
  return members
}

/** Mentioned members and `@ALL`, each once, in the order given; undefined when none is left. */
function mentions(g: GroupCtx, at: readonly string[]): string[] | undefined {
  const kept = [...new Set(at)].filter((a) => a === AT_ALL || g.s.members.has(a))
  return kept.length ? kept : undefined
}

/** Takes a rate-limit token or refuses the send (10023); logs the first refusal and every 100th. */
function takeToken(g: GroupCtx, type: GroupType, priority: string | undefined): void {
  if (g.rate.take(g.actor.now(), priority, type === 'AVChatRoom')) return
  const shed = g.rate.shed
  if (shed === 1 || shed % 100 === 0) g.actor.log.warn('group message rate exceeded; sends refused', { group: g.actor.self.key, shed, priority: priority ?? 'Normal' })
  throw new ParleyError('GROUP_RATE_LIMITED', `${g.actor.deps.groupMsgRate} messages/s`)
}

/** The stored message `from` sent with `random` within the dedupe window, if any (also used by imports). */
export async function findDuplicate(g: GroupCtx, from: string, random: number, now: number): Promise<GroupMessage | undefined> {
  const ref = { app: g.actor.self.app, groupId: g.actor.self.key }
  const d = await g.actor.deps.groups.getDedupe(ref, from, random)
  if (!d || now - d.time > GROUP_DEDUPE_SECONDS) return undefined
  return storedMessage(g, d.seq)
}

/** The stored message at `seq`, if any (also used by recall). */
export async function storedMessage(g: GroupCtx, seq: number): Promise<GroupMessage | undefined> {
  const ref = { app: g.actor.self.app, groupId: g.actor.self.key }
  const [msg] = await g.actor.deps.groups.readMessages(ref, { beforeSeq: seq + 1, limit: 1 })
  return msg?.seq === seq ? msg : undefined
}

/**
 * Up to `limit` messages below `before` (default newest), newest first. A member that joined
 * while HistoryMsgBeforeJoin was off sees nothing from before its join. `complete` is true
 * when nothing older remains for this reader.
 */
export async function onHistory(g: GroupCtx, m: GroupRequest<'history'>): Promise<{ messages: GroupMessage[]; complete: boolean }> {
  const group = requireGroup(g)
  const rank = g.s.rank(m.by)
  requireRank(rank, Rank.member, 'members only')
  const me = m.by.user !== undefined ? g.s.members.get(m.by.user) : undefined
  const floor = rank >= Rank.appAdmin || !me || group.historyMsgBeforeJoin ? 0 : me.joinSeq
  const ref = { app: g.actor.self.app, groupId: g.actor.self.key }
  const list = await g.actor.deps.groups.readMessages(ref, { beforeSeq: m.before, limit: m.limit })
  const messages = list.filter((x) => mayReadSeq(floor === 0, floor, x.seq))
  const oldest = list.length ? list[list.length - 1]!.seq : 0
  return { messages, complete: list.length < m.limit || messages.length < list.length || oldest <= floor + 1 }
}
