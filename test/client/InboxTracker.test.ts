import t from 'tap'
import { InboxTracker } from '../../src/client/InboxTracker.js'
import type { InboxEvent } from '../../src/protocol/events.js'
import { label, ME, msgEv, readEv } from './fixtures/events.js'

/** A tracker that has finished its first (empty) catch-up at `cursor`. */
function liveTracker(cursor = 0, extra: { dedupeCapacity?: number; maxBuffered?: number } = {}): InboxTracker {
  const tr = new InboxTracker({ userId: ME, cursor, ...extra })
  tr.beginSync()
  tr.syncPage({ events: [], upTo: cursor, more: false })
  return tr
}

const labels = (evs: InboxEvent[]) => evs.map(label)

t.test('in-order live events apply one by one and move the cursor', async (t) => {
  const tr = liveTracker()
  t.same(labels(tr.live(msgEv(1)).events), ['k1'])
  t.same(labels(tr.live(readEv(2)).events), ['read@2'])
  const s = tr.live(msgEv(3))
  t.same(labels(s.events), ['k3'])
  t.equal(s.needSync, false)
  t.equal(tr.cursor, 3)
  t.equal(tr.phase, 'live')
})

t.test('events at or below the cursor are ignored (server resends)', async (t) => {
  const tr = liveTracker()
  tr.live(msgEv(1))
  tr.live(msgEv(2))
  t.same(tr.live(msgEv(2)).events, [])
  t.same(tr.live(msgEv(1)).events, [])
  t.equal(tr.cursor, 2)
})

t.test('a gap buffers the later event and asks for a sync; the missing one closes it', async (t) => {
  const tr = liveTracker()
  tr.live(msgEv(1))
  const s3 = tr.live(msgEv(3))
  t.same(s3.events, [], 'seq 3 is not surfaced before seq 2')
  t.equal(s3.needSync, true)
  const s4 = tr.live(msgEv(4))
  t.same(s4.events, [])
  t.equal(s4.needSync, true)
  t.equal(tr.buffered, 2)
  const s2 = tr.live(msgEv(2))
  t.same(labels(s2.events), ['k2', 'k3', 'k4'], 'the late event releases the buffered ones in order')
  t.equal(s2.needSync, false)
  t.equal(tr.cursor, 4)
  t.equal(tr.buffered, 0)
})

t.test('a sync fills the gap; buffered events it covered are not surfaced twice', async (t) => {
  const tr = liveTracker()
  tr.live(msgEv(1))
  tr.live(msgEv(3))
  tr.live(msgEv(5))
  t.equal(tr.beginSync(), 1, 'sync starts after the cursor')
  t.equal(tr.phase, 'syncing')
  // Pushed while the sync is in flight: buffered, not applied, no second sync asked.
  const during = tr.live(msgEv(6))
  t.same(during, { events: [], needSync: false })
  const page = tr.syncPage({ events: [msgEv(2), msgEv(3), msgEv(4), msgEv(5)], upTo: 5, more: false })
  t.same(labels(page.events), ['k2', 'k3', 'k4', 'k5', 'k6'])
  t.equal(page.needSync, false)
  t.equal(page.more, false)
  t.equal(tr.cursor, 6)
  t.equal(tr.phase, 'live')
})

t.test('sync results overlapping live events already applied surface nothing twice', async (t) => {
  const tr = liveTracker()
  for (let i = 1; i <= 4; i++) tr.live(msgEv(i))
  tr.beginSync()
  // A server answering from an older `after` (or resending) overlaps what was applied.
  const page = tr.syncPage({ events: [msgEv(3), msgEv(4), msgEv(5)], upTo: 5, more: false })
  t.same(labels(page.events), ['k5'])
  t.equal(tr.cursor, 5)
})

t.test('multi-page sync: `more` asks for the next page from the new cursor', async (t) => {
  const tr = new InboxTracker({ userId: ME })
  t.equal(tr.beginSync(), 0)
  const p1 = tr.syncPage({ events: [msgEv(1), msgEv(2)], upTo: 2, more: true })
  t.same(labels(p1.events), ['k1', 'k2'])
  t.equal(p1.more, true)
  t.equal(p1.after, 2)
  t.equal(tr.phase, 'syncing', 'still syncing between pages')
  const p2 = tr.syncPage({ events: [msgEv(3)], upTo: 3, more: false })
  t.same(labels(p2.events), ['k3'])
  t.equal(p2.more, false)
  t.equal(tr.phase, 'live')
})

t.test('a page claiming `more` without progress ends the run (no endless loop)', async (t) => {
  const tr = liveTracker(4)
  tr.beginSync()
  const p = tr.syncPage({ events: [], upTo: 4, more: true })
  t.equal(p.more, false)
  t.equal(tr.phase, 'live')
})

t.test('the cursor jumps to upTo over events the server did not return (expired)', async (t) => {
  const tr = new InboxTracker({ userId: ME })
  tr.beginSync()
  const p = tr.syncPage({ events: [msgEv(1), msgEv(4)], upTo: 5, more: false })
  t.same(labels(p.events), ['k1', 'k4'])
  t.equal(tr.cursor, 5)
  t.same(labels(tr.live(msgEv(6)).events), ['k6'])
})

t.test('sync pages out of order inside are applied in seq order', async (t) => {
  const tr = new InboxTracker({ userId: ME })
  tr.beginSync()
  const p = tr.syncPage({ events: [msgEv(3), msgEv(1), msgEv(2)], upTo: 3, more: false })
  t.same(labels(p.events), ['k1', 'k2', 'k3'])
})

t.test('a gap still open after the sync asks for another', async (t) => {
  const tr = liveTracker()
  tr.live(msgEv(1))
  tr.live(msgEv(4))
  tr.beginSync()
  const p = tr.syncPage({ events: [msgEv(2)], upTo: 2, more: false })
  t.same(labels(p.events), ['k2'])
  t.equal(p.needSync, true, 'seq 3 is still missing below buffered seq 4')
  t.equal(tr.buffered, 1)
  tr.beginSync()
  const p2 = tr.syncPage({ events: [msgEv(3), msgEv(4)], upTo: 4, more: false })
  t.same(labels(p2.events), ['k3', 'k4'])
  t.equal(p2.needSync, false)
})

t.test('before the first catch-up, live events are held and no sync is asked (the client syncs after login)', async (t) => {
  const tr = new InboxTracker({ userId: ME, cursor: 10 })
  t.equal(tr.phase, 'behind')
  t.same(tr.live(msgEv(11)), { events: [], needSync: false }, 'even the next seq waits for the catch-up')
  t.same(tr.live(msgEv(13)), { events: [], needSync: false })
  tr.beginSync()
  const p = tr.syncPage({ events: [msgEv(12)], upTo: 12, more: false })
  t.same(labels(p.events), ['k12', 'k13'], 'buffered 11 dropped (covered), 13 continues the cursor')
  t.equal(tr.cursor, 13)
})

t.test('disconnect drops buffered events and requires a new catch-up', async (t) => {
  const tr = liveTracker()
  tr.live(msgEv(1))
  tr.live(msgEv(3))
  tr.disconnected()
  t.equal(tr.phase, 'behind')
  t.equal(tr.buffered, 0)
  t.same(tr.live(msgEv(2)).events, [], 'not live: buffered')
  tr.beginSync()
  const p = tr.syncPage({ events: [msgEv(2), msgEv(3)], upTo: 3, more: false })
  t.same(labels(p.events), ['k2', 'k3'])
})

t.test('a sync page arriving after a disconnect is ignored', async (t) => {
  const tr = liveTracker()
  tr.beginSync()
  tr.disconnected()
  const p = tr.syncPage({ events: [msgEv(1)], upTo: 1, more: false })
  t.same(p.events, [])
  t.equal(tr.cursor, 0)
  t.equal(tr.phase, 'behind')
})

t.test('msgKey dedupe: the same message stored twice surfaces once, but the cursor passes it', async (t) => {
  const tr = liveTracker()
  t.same(labels(tr.live(msgEv(1, { key: 'dup' })).events), ['dup'])
  t.same(tr.live(msgEv(2, { key: 'dup' })).events, [])
  t.equal(tr.cursor, 2)
  tr.beginSync()
  const p = tr.syncPage({ events: [msgEv(3, { key: 'dup' }), msgEv(4)], upTo: 4, more: false })
  t.same(labels(p.events), ['k4'])
})

t.test('dedupe memory is bounded: the least recent key is forgotten', async (t) => {
  const tr = liveTracker(0, { dedupeCapacity: 2 })
  tr.live(msgEv(1, { key: 'a' }))
  tr.live(msgEv(2, { key: 'b' }))
  tr.live(msgEv(3, { key: 'c' }))
  t.same(tr.live(msgEv(4, { key: 'c' })).events, [], 'recent key still remembered')
  t.same(labels(tr.live(msgEv(5, { key: 'a' })).events), ['a'], 'evicted key surfaces again')
})

t.test('online-only messages (seq 0) surface at once, even while behind, deduped by key', async (t) => {
  const tr = new InboxTracker({ userId: ME, cursor: 3 })
  const s = tr.live(msgEv(0, { key: 'flash' }))
  t.same(labels(s.events), ['flash'])
  t.equal(tr.cursor, 3, 'seq 0 does not move the cursor')
  t.same(tr.live(msgEv(0, { key: 'flash' })).events, [], 'a resend is dropped')
})

t.test('own send: the echo before the ack is not surfaced and is kept as proof', async (t) => {
  const tr = liveTracker()
  tr.expectEcho('bob', 42)
  const echo = msgEv(1, { from: ME, to: 'bob', random: 42, key: 'mine' })
  t.same(tr.live(echo).events, [], 'own echo is not a new message')
  t.equal(tr.cursor, 1, 'but it moves the cursor')
  tr.echoSettled('bob', 42, 'mine')
  t.same(tr.live(msgEv(2, { from: ME, to: 'bob', random: 42, key: 'mine' })).events, [], 'a stored duplicate stays hidden')
  t.equal(tr.echoAbandoned('bob', 42), undefined, 'settled: no longer pending')
})

t.test('own send: the ack before the echo hides the echo by its key', async (t) => {
  const tr = liveTracker()
  tr.expectEcho('bob', 7)
  tr.echoSettled('bob', 7, 'k1')
  t.same(tr.live(msgEv(1, { from: ME, to: 'bob', random: 7 })).events, [])
})

t.test('own send that failed after its echo: echoAbandoned returns the echo', async (t) => {
  const tr = liveTracker()
  tr.expectEcho('bob', 9)
  const echo = msgEv(1, { from: ME, to: 'bob', random: 9 })
  tr.live(echo)
  t.same(tr.echoAbandoned('bob', 9), echo)
})

t.test('own send abandoned before any echo: a later echo surfaces as a message', async (t) => {
  const tr = liveTracker()
  tr.expectEcho('bob', 9)
  t.equal(tr.echoAbandoned('bob', 9), undefined)
  t.same(labels(tr.live(msgEv(1, { from: ME, to: 'bob', random: 9 })).events), ['k1'])
})

t.test('a message from this user sent elsewhere (another device) is surfaced', async (t) => {
  const tr = liveTracker()
  tr.expectEcho('bob', 1)
  t.same(labels(tr.live(msgEv(1, { from: ME, to: 'bob', random: 2 })).events), ['k1'], 'different random')
  t.same(labels(tr.live(msgEv(2, { from: ME, to: 'carol', random: 1 })).events), ['k2'], 'different peer')
})

t.test('rebase: a server inbox head below the cursor restarts it at 0', async (t) => {
  const tr = new InboxTracker({ userId: ME, cursor: 50 })
  t.equal(tr.rebase(60), false)
  t.equal(tr.cursor, 50)
  t.equal(tr.rebase(50), false)
  t.equal(tr.rebase(3), true)
  t.equal(tr.cursor, 0)
})

t.test('restore only while behind; bad cursors are refused', async (t) => {
  const tr = new InboxTracker({ userId: ME })
  tr.restore(9)
  t.equal(tr.cursor, 9)
  t.throws(() => tr.restore(-1), RangeError)
  t.throws(() => tr.restore(1.5), RangeError)
  t.throws(() => new InboxTracker({ userId: ME, cursor: Number.NaN }), RangeError)
  tr.beginSync()
  t.throws(() => tr.restore(3))
})

t.test('malformed seqs are ignored', async (t) => {
  const tr = liveTracker()
  t.same(tr.live({ ...readEv(1), seq: -1 }).events, [])
  t.same(tr.live({ ...readEv(1), seq: 1.5 }).events, [])
  t.equal(tr.cursor, 0)
})

t.test('the buffer is bounded and keeps the lowest seqs', async (t) => {
  const tr = liveTracker(0, { maxBuffered: 3 })
  for (const s of [5, 4, 3, 9]) tr.live(msgEv(s))
  t.equal(tr.buffered, 3, '9 was not held: higher than everything held')
  tr.live(msgEv(2))
  t.equal(tr.buffered, 3, '2 evicted the highest held, 5')
  const s = tr.live(msgEv(1))
  t.same(labels(s.events), ['k1', 'k2', 'k3', 'k4'], '5 and 9 were dropped; a sync refetches them')
  t.equal(s.needSync, false)
  tr.beginSync()
  t.same(labels(tr.syncPage({ events: [msgEv(5), msgEv(9)], upTo: 9, more: false }).events), ['k5', 'k9'])
})
