/**
 * Imports into an existing group: members and messages migrated from another system (REST
 * `import_group_member`, `import_group_msg`; docs/tencent-compat.md §2.9). An import sends no tips, no
 * system notices and no live pushes, and takes no rate-limit token. Live rooms (AVChatRoom)
 * refuse every import (docs/tencent-compat.md §2.9), and types that keep no history refuse message
 * imports (10007).
 *
 * Time order: a group's stored messages keep seq order = time order. Imported messages must
 * be sent no earlier than the group's CreateTime nor than the newest stored message, and not
 * in the future; each one that is not gets 10004 and is skipped, the others are stored. So an
 * imported member's `joinSeq` (what it may read when HistoryMsgBeforeJoin is off) can be
 * found from its JoinTime by a binary search over seqs: O(log messages) reads per distinct
 * JoinTime.
 *
 * Unread: an imported member's read position is set so that it has `unread` unread messages
 * (clamped to those since it joined). Messages imported later count as unread for members
 * present at the time, as live messages do; migrate messages first, then members with their
 * `UnreadMsgNum`, or fix counts with `set_unread_msg_num`.
 */
import { ParleyError } from '../../src/core/errors.js'
import type { GroupDedupeRecord } from '../../src/store/GroupStore.js'
import type { GroupMessage, GroupRecord, MemberRecord } from '../../src/model/group.js'
import { type GroupCtx, requireGroup } from './context.js'
import type { GroupRequest, ImportMember, ImportMemberResult, ImportMessage, ImportMessageResult } from './protocol.js'
import { findDuplicate, storedMessage } from './messaging.js'
import { GroupTypeRules, hasRoom } from './rules.js'


function refuseLiveRoom(group: GroupRecord): void {
  if (group.type === 'AVChatRoom') throw new ParleyError('GROUP_NO_PERMISSION', 'imports are not allowed for AVChatRoom')
}

/**
 * Imports members, each once (a repeat or a member is 2). All or nothing against the member
 * cap (10014). Admin in a type without admins, or a JoinTime outside [CreateTime, now], is 0.
 */
export async function onImportMembers(g: GroupCtx, m: GroupRequest<'importMembers'>): Promise<{ results: ImportMemberResult[] }> {
  const group = requireGroup(g)
  refuseLiveRoom(group)
  const now = g.nowSec()
  const rules = GroupTypeRules[group.type]
  const seen = new Set<string>()
  const fresh: (ImportMember & { joinTime: number })[] = []
  const results = m.members.map((x): ImportMemberResult => {
    if (g.s.members.has(x.account) || seen.has(x.account)) return 2
    seen.add(x.account)
    const joinTime = x.joinTime ?? now
    if ((x.role === 'Admin' && !rules.admins) || joinTime < group.createTime || joinTime > now) return 0
    fresh.push({ ...x, joinTime })
    return 1
  })
  if (!hasRoom(group.maxMemberNum, g.s.members.size, fresh.length)) {
    throw new ParleyError('GROUP_FULL', `${g.s.members.size} of ${group.maxMemberNum} members, ${fresh.length} to import`)
  }
  const joinSeqs = new Map<number, number>()
  for (const t of new Set(fresh.map((x) => x.joinTime))) joinSeqs.set(t, await lastSeqAt(g, t))
  const members = fresh.map((x): MemberRecord => {
    const joinSeq = joinSeqs.get(x.joinTime)!
    return {
      account: x.account, role: x.role ?? 'Member', joinTime: x.joinTime, joinSeq,
      readSeq: Math.max(joinSeq, g.s.lastSeq - (x.unread ?? 0)), msgFlag: 'AcceptAndNotify', lastSendMsgTime: 0,
      nameCard: '', appMemberDefinedData: {},
    }
  })
  if (members.length) await g.commit({ members })
  return { results }
}

/**
 * Stores imported messages with the next seqs, in the order given. A message whose sender
 * and Random were stored within the dedupe window answers with that message's seq and time
 * (a retried import stores nothing twice).
 */
export async function onImportMessages(g: GroupCtx, m: GroupRequest<'importMessages'>): Promise<{ results: ImportMessageResult[] }> {
  const group = requireGroup(g)
  refuseLiveRoom(group)
  if (!GroupTypeRules[group.type].storesHistory) throw new ParleyError('GROUP_NO_PERMISSION', `${group.type} groups keep no history`)
  const now = g.nowSec()
  let seq = g.s.lastSeq
  let floor = Math.max(group.createTime, g.s.lastMsgTime)
  const messages: GroupMessage[] = []
  const dedupe: { from: string; random: number; record: GroupDedupeRecord }[] = []
  const batch = new Map<string, GroupMessage>()
  const results: ImportMessageResult[] = []
  for (const x of m.messages) {
    const key = `${x.random}/${x.from}`
    const dup = batch.get(key) ?? await findDuplicate(g, x.from, x.random, now)
    if (dup) { results.push({ seq: dup.seq, time: dup.time, code: 0 }); continue }
    if (x.time < floor || x.time > now) { results.push({ seq: 0, time: x.time, code: 10004 }); continue }
    const msg: GroupMessage = {
      seq: ++seq, from: x.from, random: x.random, time: x.time, body: x.body,
      ...(x.cloudCustomData !== undefined ? { cloudCustomData: x.cloudCustomData } : {}), flags: 0,
    }
    floor = x.time
    messages.push(msg)
    batch.set(key, msg)
    dedupe.push({ from: x.from, random: x.random, record: { seq: msg.seq, time: now } })
    results.push({ seq: msg.seq, time: msg.time, code: 0 })
  }
  if (messages.length) await g.commit({ messages, dedupe })
  return { results }
}

/**
 * The highest seq whose message was sent at or before `time` (0 when none): a binary search
 * over seqs, relying on seq order = time order. A seq without a stored message (from before
 * a destroy and re-create under the same id) counts as earlier than everything.
 */
export async function lastSeqAt(g: GroupCtx, time: number): Promise<number> {
  if (g.s.lastMsgTime <= time) return g.s.lastSeq
  let lo = 0
  let hi = g.s.lastSeq
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    const msg = await storedMessage(g, mid)
    if (!msg || msg.time <= time) lo = mid
    else hi = mid - 1
  }
  return lo
}
