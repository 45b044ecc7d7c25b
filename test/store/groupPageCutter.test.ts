/**
 * The paging rule of `GroupStore.listGroups` (GroupPageCutter), on listings with colliding
 * keys that real GroupIds practically never produce: walking page by page from key 0 visits
 * every group at least once, repeats only at a collision that straddles a page boundary, and
 * always ends.
 */
import t from 'tap'
import { GroupPageCutter, groupListKey, type ListedGroup, MAX_GROUP_LIST_KEY } from '../../src/store/GroupStore.js'

const row = (key: number, groupId: string): ListedGroup => ({ groupId, type: 'Public', key })

/** Walks `rows` (in listing order) as a store would, page by page; resolves with each page's ids. */
function walk(rows: ListedGroup[], limit: number): string[][] {
  const pages: string[][] = []
  let fromKey = 0
  for (;;) {
    if (pages.length > rows.length + 1) throw new Error('the walk did not end')
    const cut = new GroupPageCutter(limit)
    for (const r of rows.filter((x) => x.key >= fromKey)) if (!cut.offer(r)) break
    pages.push(cut.groups.map((g) => g.groupId))
    if (cut.next === 0) return pages
    fromKey = cut.next
  }
}

t.test('without collisions: pages of `limit`, next = the key of the first row left out', async (t) => {
  const rows = [row(1, 'a'), row(5, 'b'), row(9, 'c'), row(12, 'd'), row(40, 'e')]
  t.same(walk(rows, 2), [['a', 'b'], ['c', 'd'], ['e']])
  t.same(walk(rows, 5), [['a', 'b', 'c', 'd', 'e']])
  const cut = new GroupPageCutter(2)
  t.equal(cut.offer(rows[0]!), true)
  t.equal(cut.offer(rows[1]!), true)
  t.equal(cut.offer(rows[2]!), false, 'row limit + 1 completes the page')
  t.equal(cut.next, 9)
  t.same(walk([], 3), [[]], 'an empty listing: one empty page, next 0')
})

t.test('a collision across a page boundary repeats a group, never skips one', async (t) => {
  const rows = [row(1, 'a'), row(7, 'b'), row(7, 'c'), row(9, 'd')]
  const pages = walk(rows, 2)
  t.same(pages, [['a', 'b'], ['b', 'c'], ['d']], 'b is listed twice, c once')
  t.same([...new Set(pages.flat())].sort(), ['a', 'b', 'c', 'd'])
})

t.test('a run of one key longer than limit is taken whole, so the walk ends', async (t) => {
  const rows = [row(3, 'a'), row(3, 'b'), row(3, 'c'), row(8, 'd')]
  t.same(walk(rows, 1), [['a', 'b', 'c'], ['d']], 'limit 1: the colliding run exceeds the page')
  t.same(walk(rows, 2), [['a', 'b', 'c'], ['d']])
  t.same(walk(rows, 3), [['a', 'b', 'c'], ['d']], 'exactly limit: a normal page')
  t.same(walk([row(2, 'z'), row(3, 'a'), row(3, 'b')], 1), [['z'], ['a', 'b']], 'a run that starts the next page')
})

t.test('groupListKey: stable, 1..2^52-1', async (t) => {
  t.equal(groupListKey('@TGS#ABCDEFGHIJ'), groupListKey('@TGS#ABCDEFGHIJ'))
  t.not(groupListKey('g1'), groupListKey('g2'))
  // First 52 bits of SHA-1("abc") = a9993e364706816aba3e… → 0xa9993e3647068.
  t.equal(groupListKey('abc'), 0xa9993e3647068)
  for (const id of ['a', 'é', '群组', 'x'.repeat(48)]) {
    const k = groupListKey(id)
    t.ok(Number.isSafeInteger(k) && k >= 1 && k <= MAX_GROUP_LIST_KEY, `${id}: ${k} in range`)
  }
})
