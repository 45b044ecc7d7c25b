/**
 * The FriendStore conformance suite (friend lists and blacklists): every implementation runs
 * it through its own `*.test.ts` with a factory that gives each subtest a fresh, empty store.
 */
import type { Test } from 'tap'
import { type ConformanceCase, runConformance, type StoreFactory } from './conformance.js'
import { Limits } from '../../src/core/limits.js'
import type { BlockRecord, FriendRecord, FriendStore } from '../../src/store/FriendStore.js'

export type FriendStoreFactory = StoreFactory<FriendStore>

const APP = 1400000001
const OTHER_APP = 1400000002

export function friendStoreConformance(t: Test, name: string, factory: FriendStoreFactory): void {
  const cases: [string, ConformanceCase<FriendStore>][] = [
    ['put, get, replace, remove, remove all', friendsCrud],
    ['lists page in UTF-8 byte order after a cursor', paging],
    ['blacklist: add keeps the first time, get, remove, page, count', blacklist],
    ['owners and apps are isolated; friends and blocks are separate lists', isolation],
    ['caps: a write past 3,000 friends or 1,000 blocks is refused and writes nothing', caps],
    ['persistence: entries and removals survive close and reopen', persistence],
  ]
  runConformance(t, `${name}: friends`, factory, cases)
}

function friend(userId: string, extra: Partial<FriendRecord> = {}): FriendRecord {
  return { userId, addSource: 'AddSource_Type_Test', addTime: 1700000000, ...extra }
}

async function friendsCrud(t: Test, store: FriendStore): Promise<void> {
  t.strictSame(await store.getFriends(APP, 'alice', ['bob']), [], 'an empty list')
  t.equal(await store.countFriends(APP, 'alice'), 0)
  const bob = friend('bob', { remark: 'Bobby', remarkTime: 1700000100, groups: ['work', '同学'], addWording: 'hi', custom: { Tag_SNS_Custom_Color: 'red', Tag_SNS_Custom_Rank: 7 } })
  await store.putFriends(APP, 'alice', [bob, friend('carol'), friend('dave')])
  t.strictSame(await store.getFriends(APP, 'alice', ['dave', 'nobody', 'bob', 'dave']), [friend('dave'), bob],
    'entries in the order asked, each once, absent ones left out; every field kept')
  t.equal(await store.countFriends(APP, 'alice'), 3)

  await store.putFriends(APP, 'alice', [friend('bob', { remark: 'Robert' })])
  t.strictSame(await store.getFriends(APP, 'alice', ['bob']), [friend('bob', { remark: 'Robert' })],
    'put replaces the whole entry: fields it does not give are gone')
  t.equal(await store.countFriends(APP, 'alice'), 3)
  await store.putFriends(APP, 'alice', [friend('bob', { remark: 'zzz' }), friend('bob', { remark: 'aaa' })])
  t.strictSame(await store.getFriends(APP, 'alice', ['bob']), [friend('bob', { remark: 'aaa' })], 'a UserID given twice: the last entry')

  t.strictSame(await store.removeFriends(APP, 'alice', ['nobody', 'dave', 'bob', 'dave']), ['dave', 'bob'],
    'remove reports the entries that were there, in the order asked, each once')
  t.strictSame(await store.getFriends(APP, 'alice', ['bob', 'carol', 'dave']), [friend('carol')])
  t.strictSame(await store.removeFriends(APP, 'alice', []), [])
  await store.putFriends(APP, 'alice', [])

  await store.putFriends(APP, 'alice', [friend('erin'), friend('frank')])
  t.equal(await store.removeAllFriends(APP, 'alice'), 3, 'remove all reports how many there were')
  t.equal(await store.countFriends(APP, 'alice'), 0)
  t.strictSame(await store.listFriends(APP, 'alice', { limit: 10 }), [])
  t.equal(await store.removeAllFriends(APP, 'alice'), 0)
}

/** The ids in UTF-8 byte order, which both backends promise. */
function byteOrder(ids: string[]): string[] {
  return [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
}

async function paging(t: Test, store: FriendStore): Promise<void> {
  const ids = ['b', 'B', 'a1', 'a', 'é', '中文', 'al', 'alice', 'Z', '0']
  await store.putFriends(APP, 'owner', ids.map((id) => friend(id)))
  const order = byteOrder(ids)
  t.strictSame((await store.listFriends(APP, 'owner', { limit: 100 })).map((f) => f.userId), order, 'one page holds all, in order')

  const seen: string[] = []
  let after: string | undefined
  for (;;) {
    const page = await store.listFriends(APP, 'owner', { after, limit: 3 })
    t.ok(page.length <= 3)
    if (page.length === 0) break
    seen.push(...page.map((f) => f.userId))
    after = page[page.length - 1]!.userId
  }
  t.strictSame(seen, order, 'pages of 3 after the last id of each page: every entry once, in order')
  t.strictSame((await store.listFriends(APP, 'owner', { after: 'ab', limit: 2 })).map((f) => f.userId), ['al', 'alice'],
    'a cursor need not be in the list')
  t.strictSame(await store.listFriends(APP, 'owner', { limit: 0 }), [], 'limit 0 is an empty page')
  t.strictSame(await store.listFriends(APP, 'owner', { after: '中文', limit: 5 }), [], 'nothing after the last')
  t.equal(await store.countFriends(APP, 'owner'), ids.length)
}

async function blacklist(t: Test, store: FriendStore): Promise<void> {
  const b = (userId: string, time: number): BlockRecord => ({ userId, time })
  t.strictSame(await store.addBlocks(APP, 'alice', [b('mallory', 100), b('eve', 200), b('mallory', 300)]), ['mallory', 'eve'],
    'add reports the entries it added, each once')
  t.strictSame(await store.addBlocks(APP, 'alice', [b('eve', 999), b('trent', 400)]), ['trent'], 'an entry already there is not added again')
  t.strictSame(await store.getBlocks(APP, 'alice', ['trent', 'nobody', 'eve', 'mallory']), [b('trent', 400), b('eve', 200), b('mallory', 100)],
    'in the order asked; an entry keeps its first time')
  t.equal(await store.countBlocks(APP, 'alice'), 3)
  t.strictSame(await store.listBlocks(APP, 'alice', { limit: 2 }), [b('eve', 200), b('mallory', 100)])
  t.strictSame(await store.listBlocks(APP, 'alice', { after: 'mallory', limit: 2 }), [b('trent', 400)])
  t.strictSame(await store.removeBlocks(APP, 'alice', ['trent', 'nobody', 'eve']), ['trent', 'eve'])
  t.strictSame(await store.getBlocks(APP, 'alice', ['trent', 'eve', 'mallory']), [b('mallory', 100)])
  t.equal(await store.countBlocks(APP, 'alice'), 1)
  t.strictSame(await store.addBlocks(APP, 'alice', []), [])
  t.strictSame(await store.addBlocks(APP, 'alice', [b('eve', 500)]), ['eve'], 'a removed entry can be added again, with its new time')
  t.strictSame(await store.getBlocks(APP, 'alice', ['eve']), [b('eve', 500)])
}

async function isolation(t: Test, store: FriendStore): Promise<void> {
  await store.putFriends(APP, 'al', [friend('x')])
  await store.putFriends(APP, 'alice', [friend('y')])
  await store.putFriends(OTHER_APP, 'alice', [friend('z')])
  await store.addBlocks(APP, 'alice', [{ userId: 'x', time: 1 }])
  t.strictSame((await store.listFriends(APP, 'al', { limit: 10 })).map((f) => f.userId), ['x'], 'a prefix owner has its own list')
  t.strictSame((await store.listFriends(APP, 'alice', { limit: 10 })).map((f) => f.userId), ['y'])
  t.strictSame((await store.listFriends(OTHER_APP, 'alice', { limit: 10 })).map((f) => f.userId), ['z'], 'apps are separate')
  t.strictSame(await store.getFriends(APP, 'alice', ['x']), [], 'a block is not a friend')
  t.strictSame(await store.getBlocks(APP, 'alice', ['y']), [], 'a friend is not a block')
  t.equal(await store.removeAllFriends(APP, 'alice'), 1)
  t.strictSame((await store.listFriends(APP, 'al', { limit: 10 })).map((f) => f.userId), ['x'], 'remove all leaves the prefix owner')
  t.strictSame((await store.listFriends(OTHER_APP, 'alice', { limit: 10 })).map((f) => f.userId), ['z'], 'and the other app')
  t.equal(await store.countBlocks(APP, 'alice'), 1, 'and the owner\'s blacklist')
  t.equal(await store.countFriends(APP, 'al'), 1, 'counts are per owner')
  t.equal(await store.countFriends(APP, 'alice'), 0)
  t.equal(await store.countFriends(OTHER_APP, 'alice'), 1)
  t.equal(await store.countBlocks(APP, 'al'), 0)
}

async function caps(t: Test, store: FriendStore): Promise<void> {
  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`)
  await store.putFriends(APP, 'alice', ids('f', Limits.friendsPerUser - 2).map((id) => friend(id)))
  await store.putFriends(APP, 'alice', [friend('f0000', { remark: 'kept' }), friend('x1'), friend('x2')])
  t.equal(await store.countFriends(APP, 'alice'), Limits.friendsPerUser, 'a list may reach its cap')
  await t.rejects(store.putFriends(APP, 'alice', [friend('f0001', { remark: 'not kept' }), friend('x3')]), { code: 30010 },
    'one entry past the cap: FRIENDS_FULL')
  t.equal(await store.countFriends(APP, 'alice'), Limits.friendsPerUser)
  t.strictSame(await store.getFriends(APP, 'alice', ['f0001', 'x3']), [friend('f0001')], 'the refused call wrote nothing')
  await store.putFriends(APP, 'alice', [friend('f0001', { remark: 'replaced' })])
  t.strictSame(await store.getFriends(APP, 'alice', ['f0001']), [friend('f0001', { remark: 'replaced' })], 'a full list still takes replacements')
  t.equal(await store.countFriends(APP, 'bob'), 0, 'the cap is per owner')
  await store.putFriends(APP, 'bob', [friend('x3')])

  const blocks = (names: string[], time: number) => names.map((userId) => ({ userId, time }))
  t.equal((await store.addBlocks(APP, 'alice', blocks(ids('b', Limits.blacklistPerUser), 1))).length, Limits.blacklistPerUser)
  await t.rejects(store.addBlocks(APP, 'alice', blocks(['b0000', 'y1'], 2)), { code: 30013 }, 'one block past the cap: BLACKLIST_FULL')
  t.strictSame(await store.getBlocks(APP, 'alice', ['b0000', 'y1']), blocks(['b0000'], 1), 'the refused call wrote nothing')
  t.strictSame(await store.addBlocks(APP, 'alice', blocks(['b0005'], 3)), [], 'adding a present entry to a full list is no error')
  t.equal(await store.countBlocks(APP, 'alice'), Limits.blacklistPerUser)
}

async function persistence(t: Test, store: FriendStore, reopen: () => Promise<FriendStore>): Promise<void> {
  await store.putFriends(APP, 'alice', [friend('bob', { remark: 'B' }), friend('carol')])
  await store.removeFriends(APP, 'alice', ['carol'])
  await store.addBlocks(APP, 'alice', [{ userId: 'eve', time: 5 }, { userId: 'mallory', time: 6 }])
  await store.removeBlocks(APP, 'alice', ['mallory'])
  const again = await reopen()
  t.strictSame(await again.listFriends(APP, 'alice', { limit: 10 }), [friend('bob', { remark: 'B' })])
  t.strictSame(await again.listBlocks(APP, 'alice', { limit: 10 }), [{ userId: 'eve', time: 5 }])
}
