/**
 * Recalling group messages. A member recalls its own message within the app's recall window
 * (`recallWindowSeconds`, default 120 s); the owner, admins and the App admin recall any
 * stored message at any age. Tips cannot be recalled. A recalled message keeps its seq in
 * history with flags 8 and no content (GroupStore `recall`), and members' devices get a
 * `groupRecall` event after the commit. Recalling a recalled message succeeds and changes
 * nothing.
 */
import { ErrorCatalogue, ParleyError } from '../../src/core/errors.js'
import { Limits } from '../../src/core/limits.js'
import { SYSTEM_ACCOUNT } from '../../src/model/message.js'
import { type GroupMessage, RECALLED_FLAG } from '../../src/model/group.js'
import { type GroupCtx, requireGroup, requireRank } from './context.js'
import type { GroupRequest, RecallReply } from './protocol.js'
import { storedMessage } from './messaging.js'
import { GroupTypeRules, Rank } from './rules.js'


/**
 * Recalls `m.seqs` (each once) and answers a code per seq, in request order: 0, or 10030 no
 * such stored message, 10032 a tip, 10007 another member's message, 10031 past the window.
 * The whole request fails with 10010 (no group), 10007 (not a member) or 10033 (a type
 * without stored messages).
 */
export async function onRecall(g: GroupCtx, m: GroupRequest<'recall'>): Promise<RecallReply> {
  const group = requireGroup(g)
  const rank = g.s.rank(m.by)
  requireRank(rank, Rank.member, 'members only')
  if (!GroupTypeRules[group.type].storesHistory) throw new ParleyError('GROUP_TYPE_NO_RECALL', group.type)
  const seqs = [...new Set(m.seqs)]
  const found = await Promise.all(seqs.map((seq) => storedMessage(g, seq)))
  const window = g.actor.deps.apps.get(g.actor.self.app)?.recallWindowSeconds ?? Limits.recallWindowSeconds
  const now = g.nowSec()
  const codes = new Map<number, number>()
  const recall: number[] = []
  seqs.forEach((seq, i) => {
    const msg = found[i]
    const code = recallCode(msg, rank, m.by.user, now, window)
    codes.set(seq, code)
    if (code === 0 && msg!.flags !== RECALLED_FLAG) recall.push(seq)
  })
  if (recall.length) {
    await g.commit({ recall })
    for (const seq of recall) g.fanout.publish({ type: 'groupRecall', groupId: g.actor.self.key, seq })
  }
  return { results: m.seqs.map((seq) => ({ seq, code: codes.get(seq)! })) }
}

function recallCode(msg: GroupMessage | undefined, rank: number, user: string | undefined, now: number, window: number): number {
  if (!msg) return ErrorCatalogue.GROUP_MSG_NOT_FOUND.code
  if (msg.from === SYSTEM_ACCOUNT) return ErrorCatalogue.GROUP_MSG_NOT_RECALLABLE.code
  if (msg.flags === RECALLED_FLAG || rank >= Rank.admin) return 0
  if (msg.from !== user) return ErrorCatalogue.GROUP_NO_PERMISSION.code
  return now - msg.time > window ? ErrorCatalogue.GROUP_RECALL_WINDOW_PASSED.code : 0
}
