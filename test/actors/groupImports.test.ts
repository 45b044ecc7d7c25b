/**
 * The Group actor's imports (actors/group/imports.ts) on a fake clock: an imported member's
 * join position is the last message sent at or before its JoinTime (checked against a
 * brute-force scan for many join times, also after a destroy and re-create), its read
 * position follows UnreadMsgNum, and imports publish nothing live.
 */
import t, { type Test } from 'tap'
import type { ImportMemberResult, ImportMessageResult, MembersPage, Operator } from '../../actors/group/protocol.js'
import { groupRecord } from '../store/groupStoreConformance.js'
import { groupHarness, type GroupHarness } from './fixtures/groupHarness.js'

const text = (s: string) => [{ MsgType: 'TIMTextElem' as const, MsgContent: { Text: s } }]
const appAdmin: Operator = { appAdmin: true, adminId: 'admin' }
const NOW = 1_700_000_000

async function harness(t: Test): Promise<GroupHarness> {
  const h = await groupHarness()
  t.teardown(() => h.close())
  return h
}

async function importMessages(h: GroupHarness, id: string, times: number[]): Promise<ImportMessageResult[]> {
  const messages = times.map((time, i) => ({ from: 'owner', time, random: 1000 + i + time, body: text(`m${i}`) }))
  return (await h.ask(id, { kind: 'importMessages', messages })).results
}

async function joinSeqs(h: GroupHarness, id: string): Promise<Map<string, { joinSeq: number; readSeq: number }>> {
  const page = await h.ask(id, { kind: 'members', by: appAdmin, offset: 0, limit: 1000 })
  return new Map(page.members.map((m) => [m.account, { joinSeq: m.joinSeq, readSeq: m.readSeq }]))
}

/** Imports one member per join time in `joins` and checks each join position against a scan of `msgTimes` (seq = base + index + 1). */
async function checkJoins(t: Test, h: GroupHarness, id: string, base: number, msgTimes: number[], joins: number[]): Promise<void> {
  const members = joins.map((joinTime, i) => ({ account: `m${i}`, joinTime }))
  const { results } = await h.ask(id, { kind: 'importMembers', members })
  t.same(results, joins.map(() => 1))
  const got = await joinSeqs(h, id)
  for (const [i, joinTime] of joins.entries()) {
    let expected = base
    msgTimes.forEach((time, k) => { if (time <= joinTime) expected = base + k + 1 })
    t.equal(got.get(`m${i}`)!.joinSeq, expected, `joined at ${joinTime - NOW}`)
  }
}

t.test('join positions follow JoinTime over the imported messages', async (t) => {
  const h = await harness(t)
  const created = NOW - 100_000
  await h.ask('g', { kind: 'create', record: groupRecord('g', { owner: 'owner', createTime: created, maxMemberNum: 0 }), members: [] })
  // 30 messages, some sharing a second.
  const msgTimes = Array.from({ length: 30 }, (_, i) => created + 1000 + Math.floor(i / 2) * 1000)
  const results = await importMessages(h, 'g', msgTimes)
  t.same(results.map((r) => r.seq), msgTimes.map((_, i) => i + 1))
  t.equal(h.published.length, 0, 'imports publish nothing live')
  const joins = [created, created + 999, created + 1000, created + 1500, created + 7000, created + 15_000, created + 16_000, NOW]
  await checkJoins(t, h, 'g', 0, msgTimes, joins)
})

t.test('after a destroy and re-create, join positions start above the old seqs', async (t) => {
  const h = await harness(t)
  await h.ask('d', { kind: 'create', record: groupRecord('d', { owner: 'owner', createTime: NOW - 50_000, maxMemberNum: 0 }), members: [] })
  await importMessages(h, 'd', [NOW - 40_000, NOW - 30_000, NOW - 20_000])
  await h.ask('d', { kind: 'destroy', by: appAdmin })
  const created = NOW - 10_000
  await h.ask('d', { kind: 'create', record: groupRecord('d', { owner: 'owner', createTime: created, maxMemberNum: 0 }), members: [] })
  const msgTimes = [created + 100, created + 200, created + 300, created + 400]
  const results = await importMessages(h, 'd', msgTimes)
  t.same(results.map((r) => [r.seq, r.code]), [[4, 0], [5, 0], [6, 0], [7, 0]], 'seqs continue above the destroyed ones; old message times do not block')
  await checkJoins(t, h, 'd', 3, msgTimes, [created, created + 150, created + 300, created + 5000])
})

t.test('read positions follow UnreadMsgNum, clamped to the messages since joining', async (t) => {
  const h = await harness(t)
  const created = NOW - 10_000
  await h.ask('u', { kind: 'create', record: groupRecord('u', { owner: 'owner', createTime: created, maxMemberNum: 0 }), members: [] })
  await importMessages(h, 'u', [created + 1, created + 2, created + 3, created + 4, created + 5])
  const members = [
    { account: 'none', joinTime: created }, { account: 'two', joinTime: created, unread: 2 },
    { account: 'all', joinTime: created, unread: 5 }, { account: 'more', joinTime: created, unread: 50 },
    { account: 'late', joinTime: created + 3, unread: 50 }, { account: 'now', unread: 3 },
  ]
  await h.ask('u', { kind: 'importMembers', members })
  const got = await joinSeqs(h, 'u')
  t.same(Object.fromEntries([...got].filter(([a]) => a !== 'owner').map(([a, v]) => [a, v.readSeq])),
    { none: 5, two: 3, all: 0, more: 0, late: 3, now: 5 }, 'JoinTime defaults to now: nothing to be unread')
  const unread = await h.ask('u', { kind: 'unread', user: 'late' })
  t.equal(unread.unread, 2, 'a member that joined after message 3 has at most 2 unread')
})
