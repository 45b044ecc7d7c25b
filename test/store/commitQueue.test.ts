/**
 * Group commit for the Cassandra store (src/store/cassandra/commitQueue.ts): commits that
 * queue behind one in flight are merged into one, in order, with a history clear only at the
 * start of a batch; a merged commit equals the separate ones applied in turn.
 */
import t from 'tap'
import { CommitQueue, mergeCommits } from '../../src/store/cassandra/commitQueue.js'
import type { UserCommit } from '../../src/store/MessageStore.js'
import { c2cConv } from '../../src/protocol/events.js'
import { message, msgEvent } from './messageStoreConformance.js'

const bob = c2cConv('bob')
const carol = c2cConv('carol')
const conv = (lastSeq: number) => ({ conv: bob, lastSeq, lastTime: lastSeq, unread: lastSeq, readSeq: 0, pinned: false, deleted: false })
const step = (seq: number): UserCommit => ({
  inbox: [msgEvent(seq, bob)],
  messages: [{ conv: bob, msg: message(seq, 'bob', 1000 + seq) }],
  conversations: [conv(seq)],
  dedupe: [{ conv: bob, random: seq, record: { msgKey: `k${seq}`, time: 1 } }],
})

t.test('mergeCommits keeps every write, in order (the applier keeps the last of each record)', async (t) => {
  const recalled = { conv: bob, msg: { ...message(1, 'bob', 1001), flags: 8 } }
  const m = mergeCommits([step(1), step(2), { messages: [recalled], conversations: [conv(2)] }, { clearHistory: undefined, inbox: [msgEvent(3, carol)] }])
  t.same(m.inbox!.map((e) => e.seq), [1, 2, 3], 'inbox events in order')
  t.same(m.messages!.map((x) => [x.msg.seq, x.msg.flags]), [[1, 0], [2, 0], [1, 8]], 'messages in order, the recall last')
  t.same(m.conversations!.map((r) => r.lastSeq), [1, 2, 2], 'conversation records in order')
  t.same(m.dedupe!.map((d) => d.random), [1, 2])
  t.same(mergeCommits([{ clearHistory: [bob] }, step(1)]).clearHistory, [bob], 'a clear first is kept')
  t.throws(() => mergeCommits([step(1), { clearHistory: [bob] }]), /clear must come first/)
})

t.test('CommitQueue runs batches one at a time per key, merging what queued', async (t) => {
  const q = new CommitQueue()
  const runs: UserCommit[] = []
  let release: () => void = () => undefined
  const run = (c: UserCommit) => {
    runs.push(c)
    return runs.length === 1 ? new Promise<void>((r) => { release = r }) : Promise.resolve()
  }
  const first = q.submit('alice', step(1), run)
  const queued = [2, 3].map((s) => q.submit('alice', step(s), run))
  const clear = q.submit('alice', { clearHistory: [bob], inbox: [msgEvent(4, bob)] }, run)
  const after = q.submit('alice', step(5), run)
  const other = q.submit('carol', step(1), run)
  await other
  t.equal(runs.length, 2, 'another key is not held up; alice waits for her first commit')
  release()
  await Promise.all([first, ...queued, clear, after])
  const alice = runs.filter((c) => c !== runs[1])
  t.same(alice.map((c) => c.inbox!.map((e) => e.seq)), [[1], [2, 3], [4, 5]], 'batches: the first alone, then what queued, cut before the clear')
  t.same(alice[2].clearHistory, [bob])
})

t.test('a failed batch rejects every commit in it and the queue goes on', async (t) => {
  const q = new CommitQueue()
  let calls = 0
  let release: () => void = () => undefined
  const run = () => {
    calls++
    if (calls === 1) return new Promise<void>((r) => { release = r })
    if (calls === 2) return Promise.reject(new Error('lost'))
    return Promise.resolve()
  }
  const a = q.submit('k', step(1), run)
  const b = q.submit('k', step(2), run)
  const c = q.submit('k', step(3), run)
  release()
  await a
  await t.rejects(b, /lost/)
  await t.rejects(c, /lost/, 'merged with b, so it shares its fate')
  await q.submit('k', step(4), run)
  t.equal(calls, 3)
})
