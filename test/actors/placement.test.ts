import t from 'tap'
import { type ActorId } from '../../actors/runtime/ActorId.js'
import { groupActor } from '../../actors/group/protocol.js'
import { userActor } from '../../actors/user/protocol.js'
import { type MembershipSnapshot, fnv1a, placeActor, shardOf } from '../../actors/runtime/placement.js'

t.test('fnv1a matches the published FNV-1a 32-bit vectors', async (t) => {
  t.equal(fnv1a(''), 0x811c9dc5)
  t.equal(fnv1a('a'), 0xe40c292c)
  t.equal(fnv1a('foobar'), 0xbf9cf968)
})

// Known values: these pin placement across releases. A change here moves every actor of a
// running cluster, so it must be deliberate.
const snap3: MembershipSnapshot = { version: 1, nodes: ['n1@1', 'n2@1', 'n3@1'] }
const table: { id: ActorId; shards: [number, number, number, number]; node: string }[] = [
  // shards: shardOf with 1, 2, 4 and 7 threads
  { id: userActor(1400000000, 'alice'), shards: [0, 0, 2, 1], node: 'n3@1' },
  { id: userActor(1400000000, 'bob'), shards: [0, 1, 3, 4], node: 'n1@1' },
  { id: groupActor(1400000000, '@TGS#1ABC'), shards: [0, 0, 0, 2], node: 'n2@1' },
  { id: userActor(1, ''), shards: [0, 0, 2, 2], node: 'n2@1' },
  { id: groupActor(2, 'room-42'), shards: [0, 0, 0, 3], node: 'n2@1' },
  { id: userActor(1400000001, '用户'), shards: [0, 1, 3, 3], node: 'n2@1' },
]

t.test('shardOf and placeActor: stable known values', async (t) => {
  for (const row of table) {
    const got = [1, 2, 4, 7].map((n) => shardOf(row.id, n))
    t.same(got, row.shards, `shardOf ${row.id.kind}/${row.id.key}`)
    t.equal(placeActor(row.id, snap3), row.node, `placeActor ${row.id.kind}/${row.id.key}`)
    t.equal(placeActor(row.id, { version: 9, nodes: [...snap3.nodes].reverse() }), row.node, 'independent of node order')
  }
})

const many = Array.from({ length: 20_000 }, (_, i) => (i % 2 ? userActor(1400000000, `user${i}`) : groupActor(1400000000, `g${i}`)))

t.test('shardOf spreads actors evenly over threads', async (t) => {
  for (const threads of [2, 3, 4, 8]) {
    const counts = new Array<number>(threads).fill(0)
    for (const id of many) counts[shardOf(id, threads)]!++
    const expected = many.length / threads
    for (const c of counts) t.ok(Math.abs(c - expected) < expected * 0.05, `${threads} threads: ${c} within 5% of ${expected}`)
  }
  t.throws(() => shardOf(many[0]!, 0), RangeError)
  t.throws(() => shardOf(many[0]!, 1.5), RangeError)
})

t.test('placeActor: even spread; removing a node moves only its actors; adding one takes only a share', async (t) => {
  const nodes = ['a@1', 'b@1', 'c@1', 'd@1', 'e@1']
  const before = new Map(many.map((id) => [id, placeActor(id, { version: 1, nodes })]))
  const counts = new Map<string, number>()
  for (const n of before.values()) counts.set(n, (counts.get(n) ?? 0) + 1)
  for (const n of nodes) t.ok(Math.abs(counts.get(n)! - many.length / 5) < (many.length / 5) * 0.05, `${n}: ${counts.get(n)}`)

  const after = { version: 2, nodes: nodes.filter((n) => n !== 'c@1') }
  let moved = 0
  const dest = new Map<string, number>()
  for (const [id, was] of before) {
    const now = placeActor(id, after)
    if (was === 'c@1') {
      moved++
      dest.set(now, (dest.get(now) ?? 0) + 1)
    } else if (now !== was) t.fail(`actor on ${was} moved to ${now}`)
  }
  t.equal(moved, counts.get('c@1'), "every one of c's actors moved")
  t.equal(dest.size, 4, "c's actors spread over all four remaining nodes")

  const grown = { version: 3, nodes: [...nodes, 'f@1'] }
  let gained = 0
  for (const [id, was] of before) {
    const now = placeActor(id, grown)
    if (now === 'f@1') gained++
    else if (now !== was) t.fail(`actor moved from ${was} to ${now}, not to the new node`)
  }
  t.ok(Math.abs(gained - many.length / 6) < (many.length / 6) * 0.1, `new node took its share: ${gained}`)
  t.throws(() => placeActor(many[0]!, { version: 0, nodes: [] }), RangeError)
})
