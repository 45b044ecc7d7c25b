/**
 * The shed rules (src/edge/gateway/shedding.ts) as pure decisions: which tier leaves out which
 * event, which tier a send buffer calls for (with hysteresis), and the tier topics' names.
 */
import t from 'tap'
import { groupTopic } from '../../actors/topic.js'
import { keptByTier, SHED_TIERS, type ShedTier, shedFrom, tierForBuffer, tierTopic } from '../../src/edge/gateway/shedding.js'
import type { GroupEvent } from '../../src/protocol/events.js'

const msg = (n: number, priority?: string, from = 'alice'): GroupEvent => ({
  type: 'groupMsg', groupId: 'g',
  msg: { seq: n, from, random: n, time: 0, body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: `m${n}` } }], flags: 0, ...(priority ? { priority } : {}) },
})
const tip = (n: number): GroupEvent => ({
  type: 'groupMsg', groupId: 'g',
  msg: { seq: n, from: '@TIM#SYSTEM', random: 0, time: 0, priority: 'Lowest', body: [{ MsgType: 'TIMGroupTipElem', MsgContent: { OpType: 6 } }], flags: 0 },
})

t.test('each tier leaves out one more priority; tips, High, recalls and leaves never', async (t) => {
  const cases: [string, GroupEvent, number][] = [
    ['Lowest', msg(1, 'Lowest'), 1],
    ['Low', msg(2, 'Low'), 2],
    ['Normal', msg(3, 'Normal'), 3],
    ['no priority (Normal)', msg(4), 3],
    ['an unknown priority (Normal)', msg(5, 'Urgent'), 3],
    ['High', msg(6, 'High'), 4],
    ['a tip, whatever its priority', tip(7), 4],
    ['a recall', { type: 'groupRecall', groupId: 'g', seq: 1 }, 4],
    ['a leave', { type: 'groupLeave', groupId: 'g', accounts: ['bob'] }, 4],
  ]
  for (const [what, ev, from] of cases) t.equal(shedFrom(ev), from, `${what}: shed from tier ${from === 4 ? 'none' : from}`)
})

t.test('a tier keeps, in order, the events it does not shed; tier 0 keeps the list itself', async (t) => {
  const evs = [msg(1, 'Lowest'), msg(2, 'High'), msg(3, 'Low'), tip(4), msg(5), { type: 'groupLeave', groupId: 'g', accounts: ['x'] } as GroupEvent, msg(6, 'Lowest')]
  const seqs = (tier: ShedTier) => keptByTier(evs, tier).map((e) => (e.type === 'groupMsg' ? e.msg.seq : e.type))
  t.equal(keptByTier(evs, 0), evs, 'tier 0: the same array, nothing copied')
  t.same(seqs(1), [2, 3, 4, 5, 'groupLeave'])
  t.same(seqs(2), [2, 4, 5, 'groupLeave'])
  t.same(seqs(3), [2, 4, 'groupLeave'])
  t.same(SHED_TIERS, [1, 2, 3])
  for (const tier of SHED_TIERS) {
    t.same(keptByTier(keptByTier(evs, (tier - 1) as ShedTier), tier), keptByTier(evs, tier), `tier ${tier} is a subset of tier ${tier - 1}`)
  }
})

t.test('the tier for a send buffer: down past L/4, L/2, 3L/4; back to 0 only under L/8', async (t) => {
  const L = 800
  const table: [buffered: number, current: ShedTier, want: ShedTier][] = [
    [0, 0, 0], [99, 0, 0], [200, 0, 0], [201, 0, 1], [400, 0, 1], [401, 0, 2], [601, 0, 3], [800, 0, 3], [5000, 0, 3],
    // Moving down only: a lower buffer above L/8 keeps the tier.
    [601, 1, 3], [401, 3, 3], [150, 3, 3], [100, 3, 3], [100, 1, 1], [250, 2, 2],
    // Under L/8: back to the full tier from anywhere.
    [99, 3, 0], [99, 1, 0], [0, 2, 0],
  ]
  for (const [buffered, current, want] of table) t.equal(tierForBuffer(buffered, current, L), want, `${buffered} B on tier ${current} → ${want}`)
})

t.test('tier topics: the room topic for tier 0, a prefix no room topic can have for the others', async (t) => {
  const room = groupTopic(1400000000, 'room#1')
  t.equal(tierTopic(room, 0), room)
  t.equal(tierTopic(room, 1), 'shed1:group/1400000000/room#1')
  t.equal(tierTopic(room, 3), 'shed3:group/1400000000/room#1')
  const roomPrefix = groupTopic(1400000000, '')
  for (const tier of SHED_TIERS) t.notOk(tierTopic(room, tier).startsWith(roomPrefix), `tier ${tier} is never some group's room topic`)
})
