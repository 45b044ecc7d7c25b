/**
 * The Group actor's message features on a fake clock (test/actors/fixtures/groupHarness.ts):
 * tips committed with their change and numbered in the group's sequence, recall rules and
 * the recall window, the rate limit with priority shedding, mentions and targeted messages.
 * What the actor publishes is recorded; the socket path is covered by the e2e tests.
 */
import t, { type Test } from 'tap'
import type { GroupMsg, GroupView, Operator, RecallReply, SendReply } from '../../actors/group/protocol.js'
import type { GroupEvent } from '../../src/protocol/events.js'
import type { GroupMessage, GroupType } from '../../src/model/group.js'
import { groupRecord } from '../store/groupStoreConformance.js'
import { groupHarness, type GroupHarness } from './fixtures/groupHarness.js'

const text = (s: string) => [{ MsgType: 'TIMTextElem' as const, MsgContent: { Text: s } }]
const as = (user: string): Operator => ({ user, appAdmin: false })
const appAdmin: Operator = { appAdmin: true, adminId: 'admin' }

async function harness(t: Test, o: Parameters<typeof groupHarness>[0] = {}): Promise<GroupHarness> {
  const h = await groupHarness(o)
  t.teardown(() => h.close())
  return h
}

/** Creates `id` of `type` owned by `owner` with `members` (the first of them an Admin where the type has admins). */
async function create(h: GroupHarness, id: string, type: GroupType, owner: string, members: string[], admin?: string): Promise<void> {
  const record = groupRecord(id, { type, owner, maxMemberNum: 0, applyJoinOption: 'FreeAccess', historyMsgBeforeJoin: true })
  await h.ask(id, { kind: 'create', record, members: [...members.map((account) => ({ account })), ...(admin ? [{ account: admin, role: 'Admin' as const }] : [])] })
}

function send(h: GroupHarness, id: string, from: string, body = text('hi'), draft: Partial<Extract<GroupMsg, { kind: 'send' }>['draft']> = {}): Promise<SendReply> {
  return h.ask(id, { kind: 'send', by: as(from), from, draft: { random: Math.floor(Math.random() * 2 ** 32), body, onlineOnly: false, ...draft } })
}

async function history(h: GroupHarness, id: string): Promise<GroupMessage[]> {
  return (await h.ask(id, { kind: 'history', by: appAdmin, limit: 100 })).messages
}

async function code(p: Promise<unknown>): Promise<number> {
  try {
    await p
    return 0
  } catch (e) {
    return (e as { code: number }).code
  }
}

const msgs = (evs: GroupEvent[]) => evs.filter((e): e is Extract<GroupEvent, { type: 'groupMsg' }> => e.type === 'groupMsg')
const tipOf = (m: GroupMessage) => m.body[0]?.MsgType === 'TIMGroupTipElem' ? m.body[0].MsgContent : undefined

t.test('tips: each change commits its tip at the next seq, published after the commit', async (t) => {
  const h = await harness(t)
  await create(h, 'pub', 'Public', 'o', ['a'])
  t.equal(h.published.length, 0, 'creating tells no tip')
  await h.ask('pub', { kind: 'addMembers', by: appAdmin, accounts: ['b'] })
  await h.ask('pub', { kind: 'modify', by: as('o'), changes: { name: 'Renamed', muteAllMember: true, maxMemberNum: 50 } })
  await h.ask('pub', { kind: 'setMember', by: as('o'), account: 'a', changes: { role: 'Admin', muteTime: 0 } })
  await h.ask('pub', { kind: 'mute', by: as('a'), accounts: ['b'], seconds: 60 })
  await h.ask('pub', { kind: 'removeMembers', by: as('o'), accounts: ['b'] })
  await h.ask('pub', { kind: 'changeOwner', by: as('o'), newOwner: 'a' })
  await h.ask('pub', { kind: 'quit', user: 'o' })
  const stored = (await history(h, 'pub')).reverse()
  t.same(stored.map((m) => [m.seq, m.from]), [1, 2, 3, 4, 5, 6, 7, 8].map((s) => [s, '@TIM#SYSTEM']), 'seqs 1..8, all from @TIM#SYSTEM')
  t.same(stored.map(tipOf), [
    { OpType: 1, Operator_Account: 'admin', MemberList: ['b'] },
    { OpType: 6, Operator_Account: 'o', GroupInfo: { Name: 'Renamed', MuteAllMember: 'On' } },
    { OpType: 4, Operator_Account: 'o', MemberList: ['a'] },
    { OpType: 7, Operator_Account: 'o', MemberInfoList: [{ Member_Account: 'a', MuteTime: 0 }] },
    { OpType: 7, Operator_Account: 'a', MemberInfoList: [{ Member_Account: 'b', MuteTime: 60 }] },
    { OpType: 3, Operator_Account: 'o', MemberList: ['b'] },
    { OpType: 6, Operator_Account: 'o', GroupInfo: { Owner_Account: 'a' } },
    { OpType: 2, Operator_Account: 'o', MemberList: ['o'] },
  ], 'one tip per change, in order')
  const live = msgs(h.published).map((e) => e.msg)
  t.same(live, stored, 'each tip was published as stored')
  const kicked = h.published.findIndex((e) => e.type === 'groupLeave' && e.accounts.includes('b'))
  t.equal(kicked, h.published.findIndex((e) => e.type === 'groupMsg' && tipOf(e.msg)?.['OpType'] === 3) + 1, 'the kick tip goes out just before the leave, so the kicked member sees it')
  t.match(await send(h, 'pub', 'a'), { seq: 9 }, 'messages continue the sequence after the tips')
  const info = await h.ask('pub', { kind: 'info', by: appAdmin })
  t.equal(info.nextMsgSeq, 10)
})

t.test('tips: ChatRoom tells no member changes; AVChatRoom and BChatRoom push tips with seq 0', async (t) => {
  const h = await harness(t)
  await create(h, 'chat', 'ChatRoom', 'o', [])
  await h.ask('chat', { kind: 'apply', user: 'u', message: '' })
  await h.ask('chat', { kind: 'quit', user: 'u' })
  t.same(await history(h, 'chat'), [], 'ChatRoom: no join or quit tip')
  await h.ask('chat', { kind: 'modify', by: as('o'), changes: { notification: 'n' } })
  t.match(await history(h, 'chat'), [{ seq: 1, body: [{ MsgContent: { OpType: 6, GroupInfo: { Notification: 'n' } } }] }], 'but profile tips')

  h.published.length = 0
  await create(h, 'live', 'AVChatRoom', 'o', [])
  await h.ask('live', { kind: 'apply', user: 'u', message: '' })
  await h.ask('live', { kind: 'modify', by: as('o'), changes: { name: 'Show' } })
  t.same(msgs(h.published).map((e) => [e.msg.seq, tipOf(e.msg)?.['OpType']]), [[0, 1], [0, 6]], 'AVChatRoom: join and profile, live')
  t.equal((await h.ask('live', { kind: 'info', by: appAdmin })).nextMsgSeq, 1, 'nothing stored')

  h.published.length = 0
  for (let i = 0; i < 50; i++) await h.ask('live', { kind: 'apply', user: `j${i}`, message: '' })
  t.equal(msgs(h.published).length, 40 - 1, 'a join storm: join tips stop at the group\'s rate (40/s; one was used above)')
  h.clock.ms += 1000
  await h.ask('live', { kind: 'quit', user: 'j0' })
  t.match(msgs(h.published).at(-1), { msg: { seq: 0, body: [{ MsgContent: { OpType: 2 } }] } }, 'a second later tips flow again')
  t.equal((await h.ask('live', { kind: 'info', by: appAdmin })).memberNum, 51, 'every join went through')
  t.equal((await send(h, 'live', 'j1')).seq, 0, 'and the message rate is untouched by tips')

  h.published.length = 0
  await create(h, 'bcast', 'BChatRoom', 'o', [])
  await h.ask('bcast', { kind: 'apply', user: 'u', message: '' })
  await h.ask('bcast', { kind: 'modify', by: as('o'), changes: { name: 'B' } })
  t.same(msgs(h.published).map((e) => [e.msg.seq, tipOf(e.msg)?.['OpType']]), [[0, 6]], 'BChatRoom: no join tip, a live profile tip')
})

t.test('recall: the sender within the window, owner and admins any; codes per seq', async (t) => {
  const h = await harness(t, { recallWindowSeconds: 120 })
  await create(h, 'g', 'Public', 'o', ['a', 'b'], 'adm')
  const a1 = await send(h, 'g', 'a', text('one'))
  const a2 = await send(h, 'g', 'a', text('two'), { cloudCustomData: 'cc', atAccounts: ['b'] })
  const b1 = await send(h, 'g', 'b')
  await h.ask('g', { kind: 'modify', by: as('o'), changes: { name: 'x' } })
  const tipSeq = b1.seq + 1
  const recall = (by: Operator, seqs: number[]) => h.ask('g', { kind: 'recall', by, seqs })
  h.published.length = 0

  t.same((await recall(as('b'), [a1.seq])).results, [{ seq: a1.seq, code: 10007 }], 'a member may not recall another\'s message')
  t.same((await recall(as('a'), [a1.seq, 99, tipSeq])).results,
    [{ seq: a1.seq, code: 0 }, { seq: 99, code: 10030 }, { seq: tipSeq, code: 10032 }], 'own: recalled; unknown seq 10030; a tip 10032')
  t.same(h.published, [{ type: 'groupRecall', groupId: 'g', seq: a1.seq }], 'one groupRecall event, for what was recalled')
  t.same((await recall(as('b'), [a1.seq])).results, [{ seq: a1.seq, code: 0 }], 'recalling a recalled message changes nothing')
  t.equal(h.published.length, 1, 'and tells nothing')

  h.clock.ms += 121_000
  t.same((await recall(as('a'), [a2.seq])).results, [{ seq: a2.seq, code: 10031 }], 'past the window: 10031')
  t.same((await recall(as('adm'), [a2.seq])).results, [{ seq: a2.seq, code: 0 }], 'an admin recalls at any age')
  t.same((await recall(appAdmin, [b1.seq, b1.seq])).results, [{ seq: b1.seq, code: 0 }, { seq: b1.seq, code: 0 }], 'so does the App admin; repeated seqs answer twice')
  const stored = new Map((await history(h, 'g')).map((m) => [m.seq, m]))
  t.same(stored.get(a2.seq), { seq: a2.seq, from: 'a', random: a2.message.random, time: a2.time, body: [], flags: 8 }, 'flags 8, content and mentions purged')
  t.equal(stored.get(b1.seq)?.flags, 8)
  t.equal(stored.get(tipSeq)?.flags, 0, 'the tip is untouched')

  t.equal(await code(recall(as('stranger'), [a1.seq])), 10007, 'a non-member: 10007')
  t.equal(await code(h.ask('nope', { kind: 'recall', by: appAdmin, seqs: [1] })), 10010, 'no such group: 10010')
  await create(h, 'av', 'AVChatRoom', 'o', [])
  t.equal(await code(h.ask('av', { kind: 'recall', by: as('o'), seqs: [1] })), 10033, 'a room without history: 10033')
})

t.test('rate: a burst of one second\'s worth, refills with time; AVChatRoom sheds Lowest first; counted in info', async (t) => {
  const h = await harness(t, { rate: 4 })
  await create(h, 'g', 'Public', 'o', ['a'])
  const sends = async (n: number, draft = {}) => {
    const out: number[] = []
    for (let i = 0; i < n; i++) out.push(await code(send(h, 'g', 'a', text(`m${i}`), draft)))
    return out
  }
  t.same(await sends(5), [0, 0, 0, 0, 10023], 'four go through, the fifth is refused')
  t.same(await sends(1, { onlineOnly: true }), [10023], 'online-only messages count too')
  t.equal((await h.ask('g', { kind: 'info', by: appAdmin })).nextMsgSeq, 5, 'a refused send took no seq')
  h.clock.ms += 250
  t.same(await sends(2), [0, 10023], 'a quarter second later: one more')
  const dup = await history(h, 'g')
  t.match(await send(h, 'g', 'a', text('again'), { random: dup[0]!.random }), { duplicate: true, seq: dup[0]!.seq }, 'a resend of a stored message is answered, not refused')
  t.equal((await h.ask('g', { kind: 'info', by: appAdmin })).msgRateShed, 3, 'refusals counted in info')

  await create(h, 'room', 'AVChatRoom', 'o', ['a'])
  const room = (priority: string) => code(send(h, 'room', 'a', text(priority), { priority }))
  t.equal(await room('Normal'), 0)
  t.equal(await room('Normal'), 0)
  t.equal(await room('Lowest'), 10023, 'two of four tokens left: Lowest must leave two')
  t.equal(await room('Low'), 0, 'Low must leave one')
  t.equal(await room('Low'), 10023)
  t.equal(await room('High'), 0, 'High takes the last token')
  t.equal(await room('High'), 10023)
  await create(h, 'work', 'Public', 'o', ['a'])
  for (let i = 0; i < 4; i++) t.equal(await code(send(h, 'work', 'a', text('low'), { priority: 'Lowest' })), 0, 'other types: every priority alike')
})

t.test('mentions keep members and @ALL; a targeted message goes to members only, unstored', async (t) => {
  const h = await harness(t)
  await create(h, 'g', 'Public', 'o', ['a', 'b'])
  const m = await send(h, 'g', 'a', text('hey'), { atAccounts: ['b', 'stranger', '@ALL', 'b'] })
  t.same(m.message.atAccounts, ['b', '@ALL'], 'non-members dropped, each once')
  t.same((await history(h, 'g'))[0]?.atAccounts, ['b', '@ALL'], 'stored with the message')
  t.notOk('atAccounts' in (await send(h, 'g', 'a', text('x'), { atAccounts: ['stranger'] })).message, 'no member left: no mentions')

  h.published.length = 0
  const to = await send(h, 'g', 'a', text('psst'), { to: ['b', 'stranger', 'b'] })
  t.match(to, { seq: 0, duplicate: false })
  t.same(h.published, [{ type: 'groupMsg', groupId: 'g', to: ['b'], msg: to.message }], 'published with its targets')
  t.equal((await history(h, 'g')).length, 2, 'not stored')
  t.equal(await code(send(h, 'g', 'a', text('x'), { to: ['stranger'] })), 10004, 'no target is a member: 10004')
})
