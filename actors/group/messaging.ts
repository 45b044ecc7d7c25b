/**
 * The Group actor's message handlers: send (server seq, Random dedupe, mute checks) and
 * history. A stored message is durable before it is published to members' devices (once per
 * thread with members online, see fanout.ts) and answered.
 */
import { ParleyError } from '../../src/errors.js'
import type { GroupMessage } from '../../src/store/GroupStore.js'
import { type GroupCtx, requireGroup, requireRank } from '../Group.js'
import type { GroupMsg, SendReply } from './messages.js'
import { GroupTypeRules, mayReadSeq, Rank, sendCheck } from './rules.js'

type Msg<K extends GroupMsg['kind']> = Extract<GroupMsg, { kind: K }>

/** Same sender and Random within this many seconds is a duplicate (reference §2.3 send_group_msg). */
export const GROUP_DEDUPE_SECONDS = 300

/**
 * Stores and sequences one message. Online-only messages, and every message of a type that
 * keeps no history (AVChatRoom, BChatRoom), get seq 0 and are not stored. A duplicate
 * (same sender and Random within 5 minutes; keyed by both, so senders never collide) answers with the stored message, changing nothing.
 */
export async function onSend(g: GroupCtx, m: Msg<'send'>): Promise<SendReply> {
  const group = requireGroup(g)
  const now = g.nowSec()
  const rank = g.s.rank(m.by)
  if (rank === Rank.none) throw new ParleyError('GROUP_NO_PERMISSION', `${m.from} is not a member`)
  const check = sendCheck(group.type, rank, g.s.mutes.get(m.from) ?? 0, group.muteAllMember, now)
  if (check === 'denied') throw new ParleyError('GROUP_NO_PERMISSION', `${m.from} may not send in this ${group.type} group`)
  if (check === 'muted') throw new ParleyError('GROUP_MUTED', m.from)
  const recipients = [...g.s.members.keys()].filter((a) => a !== m.from)
  const d = m.draft
  const base = { from: m.from, random: d.random, time: now, body: d.body, cloudCustomData: d.cloudCustomData, priority: d.priority, flags: 0 }
  const groupId = g.actor.self.key
  if (d.onlineOnly || !GroupTypeRules[group.type].storesHistory) {
    const message = { ...base, seq: 0 }
    g.fanout.publish({ type: 'groupMsg', groupId, msg: message })
    return { seq: 0, time: now, duplicate: false, recipients, message }
  }
  const dup = await findDuplicate(g, m.from, d.random, now)
  if (dup) return { seq: dup.seq, time: dup.time, duplicate: true, recipients: [], message: dup }
  const message: GroupMessage = { ...base, seq: g.s.lastSeq + 1 }
  await g.commit({ messages: [message], dedupe: [{ from: m.from, random: d.random, record: { seq: message.seq, time: now } }] })
  g.fanout.publish({ type: 'groupMsg', groupId, msg: message })
  return { seq: message.seq, time: now, duplicate: false, recipients, message }
}

async function findDuplicate(g: GroupCtx, from: string, random: number, now: number): Promise<GroupMessage | undefined> {
  const ref = { app: g.actor.self.app, groupId: g.actor.self.key }
  const d = await g.actor.deps.groups.getDedupe(ref, from, random)
  if (!d || now - d.time > GROUP_DEDUPE_SECONDS) return undefined
  const [msg] = await g.actor.deps.groups.readMessages(ref, { beforeSeq: d.seq + 1, limit: 1 })
  return msg && msg.seq === d.seq ? msg : undefined
}

/**
 * Up to `limit` messages below `before` (default newest), newest first. A member that joined
 * while HistoryMsgBeforeJoin was off sees nothing from before its join. `complete` is true
 * when nothing older remains for this reader.
 */
export async function onHistory(g: GroupCtx, m: Msg<'history'>): Promise<{ messages: GroupMessage[]; complete: boolean }> {
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
