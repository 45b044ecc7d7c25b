/**
 * The GroupStore conformance suite: every implementation runs it through its own test file
 * (test/store/groupStore.lmdb.test.ts, groupStore.cassandra.test.ts) with a factory that
 * gives each subtest a fresh, empty store.
 */
import type { Test } from 'tap'
import type { GroupMessage, GroupRecord, GroupRef, GroupStore, MemberRecord } from '../../src/store/GroupStore.js'

export interface GroupStoreFixture {
  store: GroupStore
  /** Opens another store over the same data; the suite has closed the previous store first. */
  reopen(): Promise<GroupStore>
  cleanup(): Promise<void>
}

export type GroupStoreFactory = () => Promise<GroupStoreFixture>

const APP = 1400000001
const OTHER_APP = 1400000002

export function groupRecord(groupId: string, over: Partial<GroupRecord> = {}): GroupRecord {
  return {
    groupId, type: 'Public', name: 'n', introduction: '', notification: '', faceUrl: '', owner: 'owner', createTime: 1700000000,
    infoSeq: 1, lastInfoTime: 1700000000, lastMsgTime: 0, maxMemberNum: 2000, applyJoinOption: 'NeedPermission',
    inviteJoinOption: 'FreeAccess', muteAllMember: false, historyMsgBeforeJoin: false, appDefinedData: { k: 'v' }, ...over,
  }
}

export function member(account: string, over: Partial<MemberRecord> = {}): MemberRecord {
  return {
    account, role: 'Member', joinTime: 1700000000, joinSeq: 0, readSeq: 0, msgFlag: 'AcceptAndNotify', lastSendMsgTime: 0,
    nameCard: '', appMemberDefinedData: {}, ...over,
  }
}

export function groupMessage(seq: number, from = 'owner', time = 1700000000 + seq): GroupMessage {
  return { seq, from, random: 1000 + seq, time, body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: `m${seq}` } }], flags: 0 }
}

type Case = (t: Test, store: GroupStore, reopen: () => Promise<GroupStore>) => Promise<void>

export function groupStoreConformance(t: Test, name: string, factory: GroupStoreFactory): void {
  const cases: [string, Case][] = [
    ['an unknown group loads empty', empty],
    ['create, members, mutes, requests load back; removals apply', crud],
    ['the joined-group index follows membership, per app', index],
    ['messages: gapless seqs enforced, history newest first across buckets', messages],
    ['destroy removes everything but keeps the seq; a new group continues above it', destroy],
    ['persistence: state and seqs survive close and reopen', persistence],
    ['recall: flags 8 and content purged, in place; unknown seqs skipped; idempotent', recall],
  ]
  for (const [title, body] of cases) {
    t.test(`${name}: ${title}`, async (t) => {
      const f = await factory()
      let open: GroupStore | undefined = f.store
      t.teardown(async () => {
        await open?.close()
        await f.cleanup()
      })
      const reopen = async (): Promise<GroupStore> => {
        await open?.close()
        open = undefined
        open = await f.reopen()
        return open
      }
      await body(t, f.store, reopen)
    })
  }
}

const ref = (groupId: string, app = APP): GroupRef => ({ app, groupId })

async function empty(t: Test, store: GroupStore): Promise<void> {
  t.same(await store.load(ref('none')), { members: [], mutes: [], requests: [], lastSeq: 0 })
  t.same(await store.readMessages(ref('none'), { limit: 10 }), [])
  t.equal(await store.getDedupe(ref('none'), 'u', 1), undefined)
  t.same(await store.joinedGroups(APP, 'nobody'), [])
}

async function crud(t: Test, store: GroupStore): Promise<void> {
  const g = ref('g1')
  await store.commit(g, {
    group: groupRecord('g1'), members: [member('owner', { role: 'Owner' }), member('a')],
    mutes: [{ account: 'a', until: 1800000000 }], requests: [{ account: 'x', time: 5, message: 'let me in' }],
  })
  let s = await store.load(g)
  t.same(s.group, groupRecord('g1'))
  t.same(sorted(s.members.map((m) => m.account)), ['a', 'owner'])
  t.same(s.mutes, [{ account: 'a', until: 1800000000 }])
  t.same(s.requests, [{ account: 'x', time: 5, message: 'let me in' }])
  await store.commit(g, {
    group: groupRecord('g1', { name: 'renamed', infoSeq: 2 }), members: [member('a', { role: 'Admin' })],
    removeMembers: ['owner'], mutes: [{ account: 'a', until: 0 }], removeRequests: ['x'],
  })
  s = await store.load(g)
  t.equal(s.group?.name, 'renamed')
  t.same(s.members, [member('a', { role: 'Admin' })])
  t.same(s.mutes, [], 'until 0 deletes the mute')
  t.same(s.requests, [])
  t.same((await store.load(ref('g'))).members, [], 'a GroupId that prefixes another is a different group')
  t.same((await store.load(ref('g1', OTHER_APP))).members, [], 'apps are isolated')
}

async function index(t: Test, store: GroupStore): Promise<void> {
  await store.commit(ref('b-group'), { group: groupRecord('b-group'), members: [member('u', { joinTime: 7 }), member('v')] })
  await store.commit(ref('a-group'), { group: groupRecord('a-group'), members: [member('u', { joinTime: 8 })] })
  await store.commit(ref('a-group', OTHER_APP), { group: groupRecord('a-group'), members: [member('u')] })
  t.same(await store.joinedGroups(APP, 'u'), [{ groupId: 'a-group', joinTime: 8 }, { groupId: 'b-group', joinTime: 7 }])
  await store.commit(ref('b-group'), { removeMembers: ['u'] })
  t.same(await store.joinedGroups(APP, 'u'), [{ groupId: 'a-group', joinTime: 8 }])
  t.same((await store.joinedGroups(APP, 'v')).map((j) => j.groupId), ['b-group'])
  t.same((await store.joinedGroups(OTHER_APP, 'u')).map((j) => j.groupId), ['a-group'])
}

async function messages(t: Test, store: GroupStore): Promise<void> {
  const g = ref('chat')
  await store.commit(g, { group: groupRecord('chat') })
  await t.rejects(store.commit(g, { messages: [groupMessage(2)] }), { code: 20005 }, 'a gap is rejected')
  const total = 1005
  for (let seq = 1; seq <= total; seq += 201) {
    const batch = Array.from({ length: Math.min(201, total - seq + 1) }, (_, i) => groupMessage(seq + i))
    await store.commit(g, { messages: batch, dedupe: [{ from: 'owner', random: batch[0]!.random, record: { seq, time: batch[0]!.time } }] })
  }
  await t.rejects(store.commit(g, { messages: [groupMessage(total)] }), { code: 20005 }, 'a repeated seq is rejected')
  await t.rejects(store.commit(g, { group: groupRecord('chat', { name: 'x' }), messages: [groupMessage(total + 2)] }), { code: 20005 })
  t.equal((await store.load(g)).group?.name, 'n', 'a rejected commit applied nothing')
  t.equal((await store.load(g)).lastSeq, total)
  const seqs = async (q: { beforeSeq?: number; limit: number }) => (await store.readMessages(g, q)).map((m) => m.seq)
  t.same(await seqs({ limit: 3 }), [1005, 1004, 1003])
  t.same(await seqs({ beforeSeq: 1002, limit: 4 }), [1001, 1000, 999, 998], 'across a bucket boundary')
  t.same(await seqs({ beforeSeq: 3, limit: 10 }), [2, 1])
  t.same((await store.readMessages(g, { beforeSeq: 6, limit: 1 }))[0], groupMessage(5))
  t.same(await store.getDedupe(g, 'owner', 1001), { seq: 1, time: groupMessage(1).time })
  t.equal(await store.getDedupe(g, 'other', 1001), undefined, 'keyed by sender too')
}

async function destroy(t: Test, store: GroupStore): Promise<void> {
  const g = ref('doomed')
  await store.commit(g, {
    group: groupRecord('doomed'), members: [member('u'), member('w')], mutes: [{ account: 'u', until: 9 }],
    requests: [{ account: 'r', time: 1, message: '' }], messages: [groupMessage(1), groupMessage(2)],
    dedupe: [{ from: 'owner', random: 5, record: { seq: 1, time: 1 } }],
  })
  await store.commit(g, { destroy: true, removeMembers: ['u', 'w'] })
  t.same(await store.load(g), { members: [], mutes: [], requests: [], lastSeq: 2 }, 'only the seq remains')
  t.same(await store.readMessages(g, { limit: 10 }), [])
  t.equal(await store.getDedupe(g, 'owner', 5), undefined)
  t.same(await store.joinedGroups(APP, 'u'), [])
  await t.rejects(store.commit(g, { messages: [groupMessage(1)] }), { code: 20005 }, 'seq 1 is never reused')
  await store.commit(g, { group: groupRecord('doomed', { name: 'again' }), members: [member('u')], messages: [groupMessage(3)] })
  const s = await store.load(g)
  t.equal(s.group?.name, 'again')
  t.equal(s.lastSeq, 3)
  t.same((await store.readMessages(g, { limit: 10 })).map((m) => m.seq), [3])
}

async function persistence(t: Test, store: GroupStore, reopen: () => Promise<GroupStore>): Promise<void> {
  const g = ref('kept')
  await store.commit(g, { group: groupRecord('kept'), members: [member('u')], messages: [groupMessage(1), groupMessage(2)] })
  const again = await reopen()
  const s = await again.load(g)
  t.equal(s.lastSeq, 2)
  t.same(s.members, [member('u')])
  await t.rejects(again.commit(g, { messages: [groupMessage(2)] }), { code: 20005 }, 'no seq repeats after a restart')
  await again.commit(g, { messages: [groupMessage(3)] })
  t.same((await again.readMessages(g, { limit: 5 })).map((m) => m.seq), [3, 2, 1])
}

async function recall(t: Test, store: GroupStore, reopen: () => Promise<GroupStore>): Promise<void> {
  const g = ref('recalls')
  const rich: GroupMessage = { ...groupMessage(2, 'a'), cloudCustomData: 'cc', priority: 'High', atAccounts: ['b', '@ALL'] }
  await store.commit(g, { group: groupRecord('recalls'), messages: [groupMessage(1), rich, groupMessage(3)] })
  await store.commit(g, { recall: [2, 99] })
  const gone = { seq: 2, from: 'a', random: rich.random, time: rich.time, priority: 'High', body: [], flags: 8 }
  t.same((await store.readMessages(g, { beforeSeq: 3, limit: 1 }))[0], gone, 'flags 8, body, cloudCustomData and mentions purged')
  t.same((await store.readMessages(g, { limit: 5 })).map((m) => [m.seq, m.flags]), [[3, 0], [2, 8], [1, 0]], 'the others untouched')
  t.equal((await store.load(g)).lastSeq, 3, 'a recall takes no seq; seq 99 was skipped')
  await store.commit(g, { recall: [2], messages: [groupMessage(4)] })
  t.same((await store.readMessages(g, { beforeSeq: 3, limit: 1 }))[0], gone, 'recalling again changes nothing')
  const again = await reopen()
  t.same((await again.readMessages(g, { limit: 5 })).map((m) => [m.seq, m.flags]), [[4, 0], [3, 0], [2, 8], [1, 0]], 'durable')
  await again.commit(g, { destroy: true })
  await again.commit(g, { recall: [1, 2] })
  t.same(await again.readMessages(g, { limit: 5 }), [], 'recalling destroyed messages writes nothing')
}

function sorted(xs: string[]): string[] {
  return [...xs].sort()
}
