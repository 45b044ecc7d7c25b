import t from 'tap'
import { ShardedInbox } from '../../src/client/ShardedInbox.js'
import type { InboxEvent } from '../../src/protocol/events.js'
import { label, ME, msgEv, onShard, readEv, shardMsg } from './fixtures/events.js'

const labels = (evs: InboxEvent[]) => evs.map(label)

/** An inbox logged in with `shards`, each caught up (empty sync) at its cursor. */
function liveInbox(shards: number[], cursor: Record<number, number> = {}, o: { dedupeCapacity?: number } = {}): ShardedInbox {
  const inbox = new ShardedInbox({ userId: ME, ...o })
  inbox.restore(cursor)
  for (const sh of inbox.login(shards).sync) {
    const after = inbox.beginSync(sh)
    inbox.syncPage(sh, { events: [], upTo: after, more: false })
  }
  return inbox
}

t.test('each shard applies its own stream in order; shards interleave freely', async (t) => {
  const inbox = liveInbox([1, 2])
  t.same(labels(inbox.live(shardMsg(1, 1)).events), ['s1.1'])
  t.same(labels(inbox.live(shardMsg(2, 1)).events), ['s2.1'])
  t.same(labels(inbox.live(onShard(2, readEv(2))).events), ['read@2'])
  t.same(labels(inbox.live(shardMsg(1, 2)).events), ['s1.2'])
  t.same(inbox.live(shardMsg(1, 2)).events, [], 'a resend at or below the shard cursor is ignored')
  t.same(inbox.cursor(), { 1: 2, 2: 2 })
})

t.test('a gap in one shard asks a sync of that shard only and holds back no other', async (t) => {
  const inbox = liveInbox([1, 2])
  inbox.live(shardMsg(1, 1))
  const gap = inbox.live(shardMsg(1, 3))
  t.same(gap, { events: [], sync: [1] }, 'seq 3 of shard 1 is held; shard 1 is owed a sync')
  t.same(labels(inbox.live(shardMsg(2, 1)).events), ['s2.1'], 'shard 2 still flows')
  t.equal(inbox.beginSync(1), 1, 'the sync of shard 1 starts at its cursor')
  t.equal(inbox.phaseOf(1), 'syncing')
  t.equal(inbox.phaseOf(2), 'live')
  t.same(labels(inbox.live(shardMsg(2, 2)).events), ['s2.2'], 'a sync of shard 1 buffers nothing of shard 2')
  t.same(inbox.live(shardMsg(1, 4)), { events: [], sync: [] }, 'shard 1 buffers while syncing, asks nothing more')
  const page = inbox.syncPage(1, { events: [shardMsg(1, 2), shardMsg(1, 3)], upTo: 3, more: false })
  t.same(labels(page.events), ['s1.2', 's1.3', 's1.4'], 'the page, then the held event that continues it')
  t.same(page.sync, [])
  t.equal(page.reset, false)
  t.same(inbox.cursor(), { 1: 4, 2: 2 })
  t.equal(inbox.buffered, 0)
})

t.test('a gap still open after a shard sync asks that shard again', async (t) => {
  const inbox = liveInbox([5])
  inbox.live(shardMsg(5, 4))
  inbox.beginSync(5)
  const p = inbox.syncPage(5, { events: [shardMsg(5, 1), shardMsg(5, 2)], upTo: 2, more: false })
  t.same(labels(p.events), ['s5.1', 's5.2'])
  t.same(p.sync, [5], 'seq 3 still missing below held seq 4')
})

t.test('multi-page sync of one shard: more and after come from that shard', async (t) => {
  const inbox = new ShardedInbox({ userId: ME })
  t.same(inbox.login([3]).sync, [3])
  t.equal(inbox.beginSync(3), 0)
  const p1 = inbox.syncPage(3, { events: [shardMsg(3, 1), shardMsg(3, 2)], upTo: 2, more: true })
  t.same({ more: p1.more, after: p1.after }, { more: true, after: 2 })
  const p2 = inbox.syncPage(3, { events: [shardMsg(3, 3)], upTo: 3, more: false })
  t.same(labels([...p1.events, ...p2.events]), ['s3.1', 's3.2', 's3.3'])
  t.equal(p2.more, false)
  t.equal(inbox.phaseOf(3), 'live')
})

t.test('the same message on two shards surfaces once; both cursors pass it', async (t) => {
  const inbox = liveInbox([1, 2])
  t.same(labels(inbox.live(shardMsg(1, 1, { key: 'dup' })).events), ['dup'])
  t.same(inbox.live(shardMsg(2, 1, { key: 'dup' })).events, [])
  inbox.beginSync(2)
  t.same(labels(inbox.syncPage(2, { events: [shardMsg(2, 2, { key: 'dup' }), shardMsg(2, 3)], upTo: 3, more: false }).events), ['s2.3'])
  t.same(inbox.cursor(), { 1: 1, 2: 3 })
})

t.test('dedupe memory is one bounded set for all shards', async (t) => {
  const inbox = liveInbox([1, 2], {}, { dedupeCapacity: 2 })
  inbox.live(shardMsg(1, 1, { key: 'a' }))
  inbox.live(shardMsg(2, 1, { key: 'b' }))
  inbox.live(shardMsg(1, 2, { key: 'c' }))
  t.same(inbox.live(shardMsg(2, 2, { key: 'c' })).events, [], 'a recent key is remembered across shards')
  t.same(labels(inbox.live(shardMsg(2, 3, { key: 'a' })).events), ['a'], 'the evicted key surfaces again')
})

t.test('own send: its echo on the conversation shard is hidden and kept as proof', async (t) => {
  const inbox = liveInbox([9])
  inbox.expectEcho('bob', 42)
  const echo = shardMsg(9, 1, { from: ME, to: 'bob', random: 42, key: 'mine' })
  t.same(inbox.live(echo), { events: [], sync: [] })
  t.equal(inbox.cursorOf(9), 1, 'the echo moves its shard cursor')
  t.same(inbox.echoAbandoned('bob', 42), echo, 'the echo seen on shard 9 confirms a send whose ack was lost')
})

t.test('own send acknowledged first: its echo is hidden by key on whatever shard', async (t) => {
  const inbox = liveInbox([4, 12])
  inbox.expectEcho('carol', 7)
  inbox.echoSettled('carol', 7, 'sent-1')
  t.same(inbox.live(shardMsg(12, 1, { from: ME, to: 'carol', random: 7, key: 'sent-1' })).events, [])
  t.equal(inbox.echoAbandoned('carol', 7), undefined, 'settled: no longer pending')
  t.same(labels(inbox.live(shardMsg(4, 1, { from: ME, to: 'dave', random: 7 })).events), ['s4.1'], 'a send to another peer from another device surfaces')
})

t.test('cursor and restore round trip; shards at 0 are left out', async (t) => {
  const inbox = new ShardedInbox({ userId: ME })
  inbox.restore({ 2: 5, 7: 1, 11: 0 })
  t.same(inbox.cursor(), { 2: 5, 7: 1 })
  t.same(inbox.shards, [2, 7, 11])
  const again = new ShardedInbox({ userId: ME })
  again.restore(inbox.cursor())
  t.same(again.cursor(), { 2: 5, 7: 1 })
  t.same(again.login([2, 7]).sync, [2, 7])
  again.beginSync(2)
  t.same(labels(again.syncPage(2, { events: [shardMsg(2, 6)], upTo: 6, more: false }).events), ['s2.6'])
  t.same(again.cursor(), { 2: 6, 7: 1 })
})

t.test('restore refuses bad cursors and changes nothing; only while disconnected', async (t) => {
  const inbox = new ShardedInbox({ userId: ME })
  inbox.restore({ 3: 4 })
  t.throws(() => inbox.restore({ 1: 2, 5: -1 }), RangeError)
  t.throws(() => inbox.restore({ 1: 1.5 }), RangeError)
  t.throws(() => inbox.restore({ '-1': 2 } as Record<number, number>), RangeError)
  t.throws(() => inbox.restore({ '07': 2 } as Record<number, number>), RangeError, 'non-canonical shard key')
  t.same(inbox.cursor(), { 3: 4 }, 'unchanged by the refused ones')
  inbox.login([3])
  t.throws(() => inbox.restore({ 3: 9 }), /only while disconnected/)
  inbox.disconnected()
  inbox.restore({ 3: 9 })
  t.same(inbox.cursor(), { 3: 9 })
})

t.test('login syncs its shards ∪ the cursor shards; a cursor shard the server does not list restarts at 0', async (t) => {
  const inbox = new ShardedInbox({ userId: ME })
  inbox.restore({ 2: 5, 7: 1 })
  const step = inbox.login([40, 2, 1, 2])
  t.same(step.sync, [1, 2, 7, 40])
  t.same(step.reset, [7], 'shard 7 had a cursor but no stream on this server')
  t.same(inbox.cursor(), { 2: 5 })
  for (const sh of step.sync) t.equal(inbox.phaseOf(sh), 'behind', `shard ${sh} waits for its sync`)
  t.same(inbox.login([2, 7]).reset, [], 'a cursor at 0 is not reported again')
})

t.test('login ignores malformed shard numbers', async (t) => {
  const inbox = new ShardedInbox({ userId: ME })
  t.same(inbox.login([1, -1, 2.5, Number.NaN, 3]).sync, [1, 3])
})

t.test('live events before login are held and applied by the shard sync', async (t) => {
  const inbox = new ShardedInbox({ userId: ME })
  inbox.restore({ 1: 10 })
  t.same(inbox.live(shardMsg(1, 11)), { events: [], sync: [] }, 'not connected: held, nothing asked')
  t.same(inbox.live(shardMsg(6, 1)), { events: [], sync: [] })
  t.same(inbox.login([1]).sync, [1, 6], 'a shard first seen in a pre-login push is synced too')
  inbox.beginSync(1)
  t.same(labels(inbox.syncPage(1, { events: [], upTo: 10, more: false }).events), ['s1.11'])
  inbox.beginSync(6)
  t.same(labels(inbox.syncPage(6, { events: [shardMsg(6, 1)], upTo: 1, more: false }).events), ['s6.1'], 'surfaced once')
})

t.test('a shard first seen live after login owes a sync from 0', async (t) => {
  const inbox = liveInbox([1])
  const first = inbox.live(shardMsg(30, 2))
  t.same(first, { events: [], sync: [30] }, 'held: seq 1 of shard 30 may exist')
  t.same(inbox.live(shardMsg(30, 3)).sync, [30], 'still owed until a sync starts')
  t.equal(inbox.beginSync(30), 0)
  const p = inbox.syncPage(30, { events: [shardMsg(30, 1), shardMsg(30, 2)], upTo: 2, more: false })
  t.same(labels(p.events), ['s30.1', 's30.2', 's30.3'])
  t.same(inbox.cursor(), { 30: 3 }, 'shard 1, still at 0, is left out')
})

t.test('a sync page below the cursor means another stream: the shard restarts at 0', async (t) => {
  const inbox = new ShardedInbox({ userId: ME })
  inbox.restore({ 4: 50, 8: 3 })
  inbox.login([4, 8])
  t.equal(inbox.beginSync(4), 50)
  const r = inbox.syncPage(4, { events: [], upTo: 2, more: false })
  t.same(r, { events: [], sync: [], more: true, after: 0, reset: true }, 'the head is 2: replay from 0')
  t.equal(inbox.phaseOf(4), 'syncing', 'the run continues')
  const p = inbox.syncPage(4, { events: [shardMsg(4, 1), shardMsg(4, 2)], upTo: 2, more: false })
  t.same(labels(p.events), ['s4.1', 's4.2'])
  t.same(inbox.cursor(), { 4: 2, 8: 3 }, 'shard 8 untouched')
  inbox.beginSync(8)
  const neg = inbox.syncPage(8, { events: [], upTo: -1, more: false })
  t.same({ reset: neg.reset, more: neg.more, after: neg.after }, { reset: false, more: false, after: 3 }, 'a malformed upTo resets nothing')
})

t.test('online-only messages (seq 0) surface at once on any shard or none, deduped', async (t) => {
  const inbox = new ShardedInbox({ userId: ME })
  t.same(labels(inbox.live(msgEv(0, { key: 'flash' })).events), ['flash'], 'even before login')
  t.same(inbox.live(onShard(3, msgEv(0, { key: 'flash' }))).events, [], 'a resend is dropped')
  t.same(labels(inbox.live(onShard(3, msgEv(0, { key: 'flash2' }))).events), ['flash2'])
  t.same(inbox.shards, [], 'no stream is created for an online-only message')
})

t.test('stored events that cannot be placed are ignored', async (t) => {
  const inbox = liveInbox([1])
  t.same(inbox.live(msgEv(1)), { events: [], sync: [] }, 'no sh')
  t.same(inbox.live(onShard(-1, msgEv(1))).events, [])
  t.same(inbox.live(onShard(1.5, msgEv(1))).events, [])
  t.same(inbox.live(shardMsg(1, -3)).events, [], 'malformed seq')
  t.same(inbox.shards, [1])
  t.throws(() => inbox.beginSync(-2), RangeError)
})

t.test('disconnect puts every shard behind and drops what was held', async (t) => {
  const inbox = liveInbox([1, 2])
  inbox.live(shardMsg(1, 2))
  inbox.live(shardMsg(2, 3))
  t.equal(inbox.buffered, 2)
  inbox.disconnected()
  t.equal(inbox.buffered, 0)
  t.same([inbox.phaseOf(1), inbox.phaseOf(2)], ['behind', 'behind'])
  t.same(inbox.live(shardMsg(1, 1)), { events: [], sync: [] }, 'offline: held, nothing asked')
})

t.test('a page for a shard that is not syncing is ignored', async (t) => {
  const inbox = liveInbox([1])
  t.same(inbox.syncPage(1, { events: [shardMsg(1, 1)], upTo: 1, more: false }).events, [])
  t.same(inbox.syncPage(99, { events: [shardMsg(99, 1)], upTo: 1, more: false }), { events: [], sync: [], more: false, after: 0, reset: false })
  inbox.beginSync(1)
  inbox.disconnected()
  t.same(inbox.syncPage(1, { events: [shardMsg(1, 1)], upTo: 1, more: false }).events, [], 'a page after a disconnect')
  t.same(inbox.cursor(), {})
})
