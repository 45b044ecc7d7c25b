/**
 * Per-member read positions: unread counts without a write per member per message. Each
 * member's record holds `readSeq` (Tencent's member `MsgSeq`); a member's unread count is
 * the stored messages above `max(readSeq, joinSeq)` — `lastSeq − that`, since group seqs
 * have no gaps. A read is one member-record write; a send moves the sender's own position
 * in the message's commit (its own messages are never unread). Tips count as messages.
 * Groups that keep no history (AVChatRoom, BChatRoom) have no unread counts (always 0).
 */
import { ParleyError } from '../../src/core/errors.js'
import type { MemberRecord } from '../../src/model/group.js'
import { type GroupCtx, requireGroup } from './context.js'
import type { GroupRequest, UnreadView } from './protocol.js'



function member(g: GroupCtx, account: string | undefined): MemberRecord {
  requireGroup(g)
  const m = account === undefined ? undefined : g.s.members.get(account)
  if (!m) throw new ParleyError('GROUP_NO_PERMISSION', `${account ?? 'the App admin'} is not a member`)
  return m
}

function view(g: GroupCtx, m: MemberRecord): UnreadView {
  const floor = Math.max(m.readSeq, m.joinSeq)
  return { lastSeq: g.s.lastSeq, readSeq: m.readSeq, unread: Math.max(0, g.s.lastSeq - floor) }
}

/** The member's unread count in this group (members only, 10007). */
export function onUnread(g: GroupCtx, m: GroupRequest<'unread'>): UnreadView {
  return view(g, member(g, m.user))
}

/**
 * The member read up to `seq` (default: everything). A position never moves back, and never
 * past the newest message (a larger `seq` reads everything).
 */
export async function onRead(g: GroupCtx, m: GroupRequest<'read'>): Promise<UnreadView> {
  const me = member(g, m.user)
  const to = Math.min(m.seq ?? g.s.lastSeq, g.s.lastSeq)
  if (to > me.readSeq) await g.commit({ members: [{ ...me, readSeq: to }] })
  return view(g, g.s.members.get(me.account)!)
}

/**
 * REST `set_unread_msg_num`: sets the member's unread count to `unread` (clamped to the
 * messages since it joined) by moving its read position, back or forth.
 */
export async function onSetUnread(g: GroupCtx, m: GroupRequest<'setUnread'>): Promise<UnreadView> {
  const me = member(g, m.user)
  const readSeq = Math.max(me.joinSeq, g.s.lastSeq - m.unread)
  if (readSeq !== me.readSeq) await g.commit({ members: [{ ...me, readSeq }] })
  return view(g, g.s.members.get(me.account)!)
}
