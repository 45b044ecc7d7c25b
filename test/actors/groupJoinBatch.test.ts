/**
 * Join storms (actors/group/Group.ts onApply, management.ts onApplies): applications queued behind
 * one that joins at once are served by one commit, each answered as if alone (joined, 10013
 * already a member, 10014 full), in order; groups that need approval take them one by one.
 */
import t from 'tap'
import type { MembersPage } from '../../actors/group/protocol.js'
import { groupRecord } from '../store/groupStoreConformance.js'
import { groupHarness } from './fixtures/groupHarness.js'

const appAdmin = { appAdmin: true, adminId: 'admin' }

async function settle(ps: Promise<unknown>[]): Promise<(string | number)[]> {
  return Promise.all(ps.map((p) => p.then((r) => (r as { result: string }).result, (e: { code: number }) => e.code)))
}

t.test('queued applications join in one commit, each answered as if alone', async (t) => {
  const h = await groupHarness()
  t.teardown(() => h.close())
  await h.ask('room', { kind: 'create', record: groupRecord('room', { type: 'ChatRoom', owner: 'owner', maxMemberNum: 8, applyJoinOption: 'FreeAccess' }), members: [] })
  const before = h.commits()
  const users = ['u1', 'u2', 'u3', 'u2', 'owner', 'u4', 'u5', 'u6', 'u7', 'u8', 'u9']
  const results = await settle(users.map((user) => h.ask('room', { kind: 'apply', user, message: '' })))
  t.same(results, ['joined', 'joined', 'joined', 10013, 10013, 'joined', 'joined', 'joined', 'joined', 10014, 10014])
  // The active group starts on the first application as it arrives (nothing queued yet);
  // the ten sent in the same turn wait behind it and join together.
  t.equal(h.commits() - before, 2, 'the first alone, then one commit for the other ten')
  const page = await h.ask('room', { kind: 'members', by: appAdmin, offset: 0, limit: 100 })
  t.same(page.members.map((m) => m.account).sort(), ['owner', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'])
})

t.test('a public group that admits at once stores one join tip per member, in order', async (t) => {
  const h = await groupHarness()
  t.teardown(() => h.close())
  await h.ask('pub', { kind: 'create', record: groupRecord('pub', { type: 'Public', owner: 'owner', maxMemberNum: 0, applyJoinOption: 'FreeAccess', historyMsgBeforeJoin: true }), members: [] })
  const results = await settle(['a', 'b', 'c'].map((user) => h.ask('pub', { kind: 'apply', user, message: '' })))
  t.same(results, ['joined', 'joined', 'joined'])
  const { messages } = await h.ask('pub', { kind: 'history', by: appAdmin, limit: 10 })
  t.same(messages.map((m) => [m.seq, m.body[0]!.MsgContent.MemberList]), [[3, ['c']], [2, ['b']], [1, ['a']]])
})

t.test('applications that need approval are not batched: one request each', async (t) => {
  const h = await groupHarness()
  t.teardown(() => h.close())
  await h.ask('ask', { kind: 'create', record: groupRecord('ask', { type: 'Public', owner: 'owner', maxMemberNum: 0, applyJoinOption: 'NeedPermission' }), members: [] })
  const before = h.commits()
  const results = await settle(['a', 'b', 'c'].map((user) => h.ask('ask', { kind: 'apply', user, message: 'hi' })))
  t.same(results, ['pending', 'pending', 'pending'])
  t.equal(h.commits() - before, 3)
})
