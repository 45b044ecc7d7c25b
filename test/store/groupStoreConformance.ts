/**
 * The GroupStore conformance suite: every implementation runs it through its own test file
 * (test/store/groupStore.lmdb.test.ts, groupStore.cassandra.test.ts) with a factory that
 * gives each subtest a fresh, empty store.
 */
import type { Test } from 'tap'
import { type ConformanceCase, runConformance, type StoreFactory } from './conformance.js'
import { type GroupMessage, type GroupRecord, type GroupType, type MemberRecord } from '../../src/model/group.js'
import { type GroupRef, type GroupStore, groupListKey, type ListedGroup, MAX_GROUP_LIST_KEY } from '../../src/store/GroupStore.js'

export type GroupStoreFactory = StoreFactory<GroupStore>

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

type Case = ConformanceCase<GroupStore>

export function groupStoreConformance(t: Test, name: string, factory: GroupStoreFactory): void {
  const cases: [string, Case][] = [
    ['an unknown group loads empty', empty],
    ['create, members, mutes, requests load back; removals apply', crud],
    ['the joined-group index follows membership, per app', index],
    ['messages: gapless seqs enforced, history newest first across buckets', messages],
    ['destroy removes everything but keeps the seq; a new group continues above it', destroy],
    ['persistence: state and seqs survive close and reopen', persistence],
    ['recall: flags 8 and content purged, in place; unknown seqs skipped; idempotent', recall],
    ['app listing: every group once, in (key, groupId) order, at any page size; totals; per app', listing],
    ['app listing: filtered by type, rows and total', listingByType],
    ['app listing: destroy unlists, re-create lists again, profile edits keep one row; durable', listingLifecycle],
  ]
  runConformance(t, name, factory, cases)
}

const ref = (groupId: string, app = APP): GroupRef => ({ app, groupId })

async function empty(t: Test, store: GroupStore): Promise<void> {
  t.same(await store.load(ref('none')), { members: [], mutes: [], requests: [], lastSeq: 0 })
  t.same(await store.readMessages(ref('none'), { limit: 10 }), [])
  t.equal(await store.getDedupe(ref('none'), 'u', 1), undefined)
  t.same(await store.joinedGroups(APP, 'nobody'), [])
  t.same(await store.listGroups(APP, { fromKey: 0, limit: 10 }), { groups: [], next: 0, total: 0 }, 'an empty app lists nothing')
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

const ListingTypes: GroupType[] = ['Public', 'Private', 'ChatRoom', 'AVChatRoom', 'Community', 'BChatRoom']

/** Creates `n` groups `prefix0..` in `app`, types cycling through ListingTypes; resolves with id → type. */
async function createListed(store: GroupStore, prefix: string, n: number, app = APP): Promise<Map<string, GroupType>> {
  const made = new Map<string, GroupType>()
  for (let i = 0; i < n; i++) {
    const id = `${prefix}${i}`
    const type = ListingTypes[i % ListingTypes.length]!
    await store.commit(ref(id, app), { group: groupRecord(id, { type }), members: [member('owner', { role: 'Owner' })] })
    made.set(id, type)
  }
  return made
}

/** Every row of a walk from the start with `limit` per page; checks each page's `total` and size. */
async function walk(t: Test, store: GroupStore, limit: number, total: number, type?: GroupType, app = APP): Promise<ListedGroup[]> {
  const rows: ListedGroup[] = []
  let fromKey = 0
  for (let pages = 0; ; pages++) {
    if (pages > total + 1) throw new Error(`limit ${limit}: the walk did not end`)
    const page = await store.listGroups(app, { fromKey, limit, ...(type ? { type } : {}) })
    t.equal(page.total, total, `limit ${limit}: total on page ${pages + 1}`)
    t.ok(page.groups.length <= limit, `limit ${limit}: page ${pages + 1} holds at most ${limit}`)
    rows.push(...page.groups)
    if (page.next === 0) return rows
    t.ok(page.next > fromKey, 'next moves forward')
    fromKey = page.next
  }
}

/** Whether `rows` are strictly increasing by (key, groupId), each key the group's listing key. */
function inListingOrder(rows: ListedGroup[]): boolean {
  return rows.every((r, i) => r.key === groupListKey(r.groupId) && r.key >= 1 && r.key <= MAX_GROUP_LIST_KEY &&
    (i === 0 || rows[i - 1]!.key < r.key || (rows[i - 1]!.key === r.key && rows[i - 1]!.groupId < r.groupId)))
}

async function listing(t: Test, store: GroupStore): Promise<void> {
  const made = await createListed(store, 'lst-', 13)
  await createListed(store, 'lst-', 3, OTHER_APP)
  await createListed(store, 'elsewhere-', 2, OTHER_APP)
  const expected = [...made].map(([groupId, type]) => ({ groupId, type })).sort((a, b) => groupListKey(a.groupId) - groupListKey(b.groupId))
  for (const limit of [1, 2, 3, 5, 13, 100]) {
    const rows = await walk(t, store, limit, 13)
    t.same(rows.map((r) => ({ groupId: r.groupId, type: r.type })), expected, `limit ${limit}: every group of the app once, with its type`)
    t.ok(inListingOrder(rows), `limit ${limit}: ordered by (key, groupId)`)
  }
  const all = await store.listGroups(APP, { fromKey: 0, limit: 13 })
  t.equal(all.next, 0, 'a page that holds the rest ends the walk')
  const third = all.groups[2]!
  const from = await store.listGroups(APP, { fromKey: third.key, limit: 2 })
  t.same(from.groups, all.groups.slice(2, 4), 'a page starts at the first key ≥ fromKey')
  t.equal(from.next, all.groups[4]!.key, 'next is the key of the first row after the page')
  t.same(await store.listGroups(APP, { fromKey: third.key + 1, limit: 1 }).then((p) => p.groups), [all.groups[3]], 'between keys')
  t.same(await store.listGroups(APP, { fromKey: MAX_GROUP_LIST_KEY + 1, limit: 5 }), { groups: [], next: 0, total: 13 }, 'past the last key')
  t.same((await walk(t, store, 4, 5, undefined, OTHER_APP)).map((r) => r.groupId).sort(),
    ['elsewhere-0', 'elsewhere-1', 'lst-0', 'lst-1', 'lst-2'], 'the other app lists only its own groups')
  t.same(await store.listGroups(APP + 7, { fromKey: 0, limit: 10 }), { groups: [], next: 0, total: 0 }, 'an app without groups')
}

async function listingByType(t: Test, store: GroupStore): Promise<void> {
  const made = await createListed(store, 'typed-', 14)
  await createListed(store, 'typed-x', 6, OTHER_APP)
  for (const type of ['Public', 'Community', 'BChatRoom'] as const) {
    const want = [...made].filter(([, ty]) => ty === type).map(([id]) => id)
    for (const limit of [1, 2, 10]) {
      const rows = await walk(t, store, limit, want.length, type)
      t.ok(rows.every((r) => r.type === type), `${type}, limit ${limit}: only ${type} rows`)
      t.same(rows.map((r) => r.groupId).sort(), want.sort(), `${type}, limit ${limit}: each ${type} group once`)
      t.ok(inListingOrder(rows), `${type}, limit ${limit}: in order`)
    }
  }
  t.same(await store.listGroups(APP, { fromKey: 0, limit: 5, type: 'Private' }).then((p) => p.total), 3, 'Private total')
}

async function listingLifecycle(t: Test, store: GroupStore, reopen: () => Promise<GroupStore>): Promise<void> {
  await createListed(store, 'life-', 4)
  const ids = async (s: GroupStore) => (await s.listGroups(APP, { fromKey: 0, limit: 100 })).groups.map((r) => `${r.groupId}:${r.type}`).sort()
  await store.commit(ref('life-0'), { group: groupRecord('life-0', { name: 'renamed', infoSeq: 2 }) })
  await store.commit(ref('life-1'), { messages: [groupMessage(1)], members: [member('m')] })
  t.same(await ids(store), ['life-0:Public', 'life-1:Private', 'life-2:ChatRoom', 'life-3:AVChatRoom'], 'edits keep one row per group')
  await store.commit(ref('life-1'), { destroy: true, removeMembers: ['owner', 'm'] })
  t.same(await ids(store), ['life-0:Public', 'life-2:ChatRoom', 'life-3:AVChatRoom'], 'a destroyed group is unlisted')
  t.equal((await store.listGroups(APP, { fromKey: 0, limit: 1 })).total, 3, 'and uncounted')
  t.equal((await store.listGroups(APP, { fromKey: 0, limit: 1, type: 'Private' })).total, 0, 'also per type')
  await store.commit(ref('life-1'), { group: groupRecord('life-1', { type: 'Community' }) })
  t.same(await ids(store), ['life-0:Public', 'life-1:Community', 'life-2:ChatRoom', 'life-3:AVChatRoom'], 're-created: listed again, new type')
  await store.commit(ref('life-2'), { destroy: true, removeMembers: ['owner'], group: groupRecord('life-2', { type: 'Public' }) })
  t.same(await ids(store), ['life-0:Public', 'life-1:Community', 'life-2:Public', 'life-3:AVChatRoom'], 'destroy and create in one commit leaves it listed')
  await store.commit(ref('life-3'), { destroy: true, removeMembers: ['owner'] })
  const again = await reopen()
  t.same(await ids(again), ['life-0:Public', 'life-1:Community', 'life-2:Public'], 'durable across a reopen')
  t.equal((await again.listGroups(APP, { fromKey: 0, limit: 2, type: 'Public' })).total, 2)
}

function sorted(xs: string[]): string[] {
  return [...xs].sort()
}
