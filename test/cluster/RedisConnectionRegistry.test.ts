/**
 * RedisConnectionRegistry over a real Redis: devices added, listed and removed per user;
 * entries of an earlier boot incarnation of a live node are pruned; a node absent from the
 * snapshot is kept (it may have just joined) but not live; after a Redis restart that lost
 * everything, `onRestored` fires so the owner of the sockets can register them again.
 */
import t from 'tap'
import type { MembershipSnapshot } from '../../actors/runtime/placement.js'
import { RedisConnectionRegistry } from '../../cluster/RedisConnectionRegistry.js'
import { RecordingLog } from '../actors/fixtures/helpers.js'
import { deleteKeys, ensureRedis, freshPrefix, startPrivateRedis } from '../helpers/redis.js'

function view(nodes: string[]): { snapshot(): MembershipSnapshot; set(n: string[]): void } {
  let snap: MembershipSnapshot = { version: 1, nodes }
  return { snapshot: () => snap, set: (n) => { snap = { version: snap.version + 1, nodes: n } } }
}

const dev = (node: string, conn: number, platform: 'Web' | 'iOS' = 'Web') => ({ conn: { node, thread: 0, conn }, platform, since: 1000 + conn, sigTime: 7 })

t.test('add, list, remove, prune superseded incarnations, liveness', async (t) => {
  const redis = await ensureRedis()
  const membership = view(['a#1.2', 'b#1.2'])
  const reg = new RedisConnectionRegistry({ redis: redis.url, prefix: redis.prefix, membership, log: new RecordingLog() })
  await reg.start()
  t.teardown(async () => {
    reg.close()
    await deleteKeys(redis.url, redis.prefix)
  })
  t.same(await reg.list(1, 'u'), [], 'nobody at first')
  await reg.add(1, 'u', dev('a#1.2', 1))
  await reg.add(1, 'u', dev('b#1.2', 2, 'iOS'))
  await reg.add(1, 'other', dev('a#1.2', 3))
  const sorted = async () => (await reg.list(1, 'u')).sort((x, y) => x.conn.conn - y.conn.conn)
  t.same(await sorted(), [dev('a#1.2', 1), dev('b#1.2', 2, 'iOS')], 'both devices, with their fields')
  reg.remove(1, 'u', [{ node: 'b#1.2', thread: 0, conn: 2 }])
  await reg.add(1, 'u', dev('c#9.1', 4)) // a node this member has not seen yet
  t.same(await sorted(), [dev('a#1.2', 1), dev('c#9.1', 4)], 'removed one; kept the unseen node')
  t.notOk(reg.isLive('c#9.1'), 'but it is not live')
  t.ok(reg.isLive('a#1.2'))

  membership.set(['a#2.2', 'c#9.1']) // node a restarted: its incarnation 1 is dead
  t.same(await sorted(), [dev('c#9.1', 4)], 'the entry of a\'s earlier incarnation is pruned')
  membership.set(['a#1.2', 'c#9.1'])
  t.same(await sorted(), [dev('c#9.1', 4)], 'and really deleted, not just hidden')
  t.same((await reg.list(1, 'other')).length, 1, 'other users untouched')
})

t.test('after a Redis restart onRestored fires, and re-adding restores the entries', async (t) => {
  const redis = await startPrivateRedis()
  const prefix = freshPrefix()
  const reg = new RedisConnectionRegistry({ redis: redis.url, prefix, membership: view(['a#1.1']), log: new RecordingLog() })
  await reg.start()
  t.teardown(async () => {
    reg.close()
    await redis.stop()
  })
  await reg.add(1, 'u', dev('a#1.1', 1))
  const restored = new Promise<void>((resolve) => reg.onRestored(resolve))
  await redis.restart()
  await restored
  t.same(await reg.list(1, 'u'), [], 'the restart lost the entry')
  await reg.add(1, 'u', dev('a#1.1', 1))
  t.same(await reg.list(1, 'u'), [dev('a#1.1', 1)], 'registered again')
})
