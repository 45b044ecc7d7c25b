/**
 * The ShardLog + ConvIndex conformance suite (src/store/ShardLog.ts, src/store/ConvIndex.ts),
 * run against every backend (shardLog.lmdb.test.ts, shardLog.cassandra.test.ts) with the
 * ShardJournal on top: appends and their guard, replay and trim, what a checkpoint derives
 * (history once per pair, both users' streams, conversation views, the user's shard heads),
 * refused checkpoints, a corrupt record named at replay, and a journal that stops after a
 * failed write. Each case gets an empty log and index from the backend's factory.
 */
import type { Test } from 'tap'
import { encode } from '../../src/core/codec.js'
import { Checkpointer } from '../../actors/conv/Checkpointer.js'
import { ShardJournal } from '../../actors/conv/ShardJournal.js'
import type { ConvIndex, ShardRecord } from '../../src/store/ConvIndex.js'
import type { ShardLog } from '../../src/store/ShardLog.js'
import { encodeShardRecord } from '../../src/store/shardRecordCodec.js'
import { journalRecord, journalShard as s } from './fixtures/journalData.js'

export interface ShardLogBackend {
  /** An empty log and index over the same data (the index writes the log's checkpoint). */
  readonly log: ShardLog
  readonly index: ConvIndex
  /** What the log's `location` (named in corrupt-record errors) must contain: the directory, the keyspace. */
  readonly where: string
}

/** Opens an empty backend for one case; registers its own teardown on `t`. */
export type ShardLogFactory = (t: Test) => Promise<ShardLogBackend>

export function shardLogConformance(t: Test, name: string, open: ShardLogFactory): void {
  t.test(`${name}: log: dense appends, a reused LSN refused, replay in order, trim only below the checkpoint`, async (t) => {
    const { log, index } = await open(t)
    t.strictSame(await log.open(s), { lastLsn: 0, checkpointLsn: 0 })
    for (let lsn = 1; lsn <= 5; lsn++) await log.append(s, lsn, encodeShardRecord(journalRecord('a', 'b', lsn, lsn, lsn)))
    await t.rejects(log.append(s, 3, Uint8Array.of(1)), { code: 20005 }, 'a reused LSN is refused')
    t.strictSame((await log.replay(s, 3, 1)).map((e) => e.lsn), [4])
    t.strictSame(await log.open(s), { lastLsn: 5, checkpointLsn: 0 })
    t.equal(await log.trim(s, 5), 0, 'nothing is trimmed above the checkpoint')
    const first3 = [1, 2, 3].map((lsn) => ({ lsn, rec: journalRecord('a', 'b', lsn, lsn, lsn) }))
    await index.checkpoint([{ s, entries: first3 }])
    t.equal(await log.trim(s, 5), 3, 'trim stops at the checkpoint')
    t.strictSame(await log.open(s), { lastLsn: 5, checkpointLsn: 3 })
    t.strictSame((await log.replay(s, 0, 10)).map((e) => e.lsn), [4, 5])
    const other = { app: s.app, shard: s.shard + 1 }
    t.strictSame(await log.open(other), { lastLsn: 0, checkpointLsn: 0 }, 'shards are apart')
    await t.rejects(log.append(s, 0, Uint8Array.of(1)), { code: 20005 }, 'LSN 0 is refused')
  })

  t.test(`${name}: log: a user's shards are listed with the record that starts their stream`, async (t) => {
    const { log } = await open(t)
    const other = { app: s.app, shard: s.shard + 3 }
    await log.open(s)
    await log.open(other)
    t.strictSame(await log.shardsOf(s.app, 'a'), [], 'none before any record')
    await Promise.all([
      log.append(s, 1, encodeShardRecord(journalRecord('a', 'b', 1, 1, 1)), ['a', 'b']),
      log.append(other, 1, encodeShardRecord(journalRecord('a', 'c', 1, 1, 1)), ['a', 'c']),
    ])
    await log.append(s, 2, encodeShardRecord(journalRecord('a', 'b', 2, 2, 2)))
    t.strictSame(await log.shardsOf(s.app, 'a'), [s.shard, other.shard], "a's two shards, ascending")
    t.strictSame(await log.shardsOf(s.app, 'b'), [s.shard])
    t.strictSame(await log.shardsOf(s.app + 1, 'a'), [], 'apps are apart')
    await t.rejects(log.append(s, 2, Uint8Array.of(1), ['z']), { code: 20005 })
    t.strictSame(await log.shardsOf(s.app, 'z'), [], 'a refused append lists nobody')
  })

  t.test(`${name}: index: a checkpoint derives history once, both streams, both views and the shard heads`, async (t) => {
    const { index } = await open(t)
    const r1 = journalRecord('a', 'b', 1, 1, 1) // a -> b
    const r2 = journalRecord('a', 'b', 2, 2, 0) // b -> a; b, the sender, keeps no copy in its stream
    const r3 = journalRecord('a', 'a', 1, 3, 0) // a's conversation with itself
    await index.checkpoint([{ s, entries: [{ lsn: 1, rec: r1 }, { lsn: 2, rec: r2 }, { lsn: 3, rec: r3 }] }])
    t.equal(await index.checkpointLsn(s), 3)
    t.strictSame((await index.history(s.app, 'a', 'b', { limit: 10 })).map((m) => m.msgKey), [r2.msg.msgKey, r1.msg.msgKey])
    t.strictSame((await index.history(s.app, 'a', 'b', { beforeSeq: 2, limit: 10 })).map((m) => m.seq), [1], 'beforeSeq bounds the page')
    t.strictSame((await index.stream(s, 'a', 0, 10)).map((e) => [e.seq, e.conv]), [[1, 'c2c:b'], [2, 'c2c:b'], [3, 'c2c:a']])
    t.strictSame((await index.stream(s, 'b', 0, 10)).map((e) => e.seq), [1])
    t.strictSame((await index.stream(s, 'a', 1, 1)).map((e) => e.seq), [2], 'after and limit')
    const va = await index.conversation(s.app, 'a', 'b')
    const vb = await index.conversation(s.app, 'b', 'a')
    t.match(va, { lastSeq: 2, unread: 1, readSeq: 1 }, "a's view: b's message unread")
    t.match(vb, { lastSeq: 1, unread: 1, readSeq: 0 }, "b's view: a's message unread; its own uncopied one absent")
    t.equal(va?.lastMsg?.msgKey, r2.msg.msgKey)
    t.strictSame(await index.userShards(s.app, 'a'), { [s.shard]: 3 })
    t.strictSame(await index.userShards(s.app, 'b'), { [s.shard]: 1 })
    t.strictSame(await index.userShards(s.app, 'nobody'), {})
  })

  t.test(`${name}: index: recall, read, receipt, pin and delete records, in one checkpoint and across two`, async (t) => {
    for (const split of [false, true]) {
      const { index } = await open(t)
      const x = { app: s.app, shard: split ? 11 : 12 }
      const m1 = journalRecord('a', 'b', 1, 1, 1) // a -> b
      const m2 = journalRecord('a', 'b', 2, 2, 2) // b -> a
      const m3 = journalRecord('a', 'b', 3, 3, 3) // a -> b
      const m4: typeof m3 = { ...journalRecord('a', 'b', 4, 0, 4), msg: { ...journalRecord('a', 'b', 4, 0, 4).msg, from: 'a', to: 'b' } } // a keeps no copy
      const recs: ShardRecord[] = [
        m1, m2, m3, m4,
        { t: 'recall', a: 'a', b: 'b', seq: 3, msgKey: m3.msg.msgKey, from: 'a', sa: 4, sb: 5 },
        { t: 'read', a: 'a', b: 'b', reader: 'b', readSeq: 4, unread: 0, readTime: m4.msg.time, sa: 5, sb: 6 },
        { t: 'receipt', a: 'a', b: 'b', reader: 'b', seqs: [1], msgKeys: [m1.msg.msgKey], sa: 6, sb: 0 },
        { t: 'conv', a: 'a', b: 'b', user: 'b', pinned: true, sa: 0, sb: 7 },
        { t: 'conv', a: 'a', b: 'b', user: 'a', deleted: true, clear: true, sa: 7, sb: 0 },
      ]
      const entries = recs.map((rec, i) => ({ lsn: i + 1, rec }))
      if (split) {
        await index.checkpoint([{ s: x, entries: entries.slice(0, 4) }])
        await index.checkpoint([{ s: x, entries: entries.slice(4) }])
      } else {
        await index.checkpoint([{ s: x, entries }])
      }
      const label = split ? 'two checkpoints' : 'one checkpoint'
      const hist = await index.history(x.app, 'a', 'b', { limit: 10 })
      t.strictSame(hist.map((m) => [m.seq, m.flags, m.peerRead === true]), [[4, 0, false], [3, 8, false], [2, 0, false], [1, 0, true]], `${label}: history flags (recalled 3, receipt on 1)`)
      t.equal(hist[1]!.body.length, 0, `${label}: the recalled message is emptied`)
      t.strictSame((await index.history(x.app, 'a', 'b', { limit: 10, viewer: 'b' })).map((m) => m.seq), [4, 3, 2, 1], `${label}: b sees every message`)
      t.strictSame(await index.history(x.app, 'a', 'b', { limit: 10, viewer: 'a' }), [], `${label}: a cleared the conversation`)
      t.match(await index.findByKey(x.app, 'a', 'b', m3.msg.msgKey), { seq: 3, flags: 8 }, `${label}: found by key, as stored`)
      t.equal(await index.findByKey(x.app, 'a', 'b', 'nope'), undefined)
      t.strictSame((await index.stream(x, 'a', 0, 20)).map((e) => e.type), ['msg', 'msg', 'msg', 'recall', 'peerRead', 'peerRead', 'conv'], `${label}: a's stream`)
      t.strictSame((await index.stream(x, 'b', 0, 20)).map((e) => e.type), ['msg', 'msg', 'msg', 'msg', 'recall', 'read', 'conv'], `${label}: b's stream`)
      t.match(await index.conversation(x.app, 'b', 'a'), { readSeq: 4, unread: 0, pinned: true, appliedLsn: 9 }, `${label}: b's view`)
      t.match(await index.conversation(x.app, 'a', 'b'), { deleted: true, clearedSeq: 3, peerReadTime: m4.msg.time, unread: 0 }, `${label}: a's view (its last seq is 3: it kept no copy of 4)`)
      t.strictSame(await index.userShards(x.app, 'b'), { [x.shard]: 7 })
    }
  })

  t.test(`${name}: index: a checkpoint that does not follow the stored one, or skips an LSN, applies nothing`, async (t) => {
    const { index } = await open(t)
    await index.checkpoint([{ s, entries: [{ lsn: 1, rec: journalRecord('a', 'b', 1, 1, 1) }] }])
    await t.rejects(index.checkpoint([{ s, entries: [{ lsn: 1, rec: journalRecord('a', 'b', 1, 1, 1) }] }]), { code: 20005 }, 'a repeat')
    await t.rejects(index.checkpoint([{ s, entries: [{ lsn: 3, rec: journalRecord('a', 'b', 3, 3, 3) }] }]), { code: 20005 }, 'a gap after the checkpoint')
    await t.rejects(index.checkpoint([{ s, entries: [{ lsn: 2, rec: journalRecord('a', 'b', 2, 2, 2) }, { lsn: 4, rec: journalRecord('a', 'b', 4, 4, 4) }] }]),
      { code: 20005 }, 'a gap inside the batch')
    const other = { app: s.app, shard: s.shard + 1 }
    await t.rejects(index.checkpoint([
      { s: other, entries: [{ lsn: 1, rec: journalRecord('c', 'd', 1, 1, 1) }] },
      { s, entries: [{ lsn: 5, rec: journalRecord('a', 'b', 5, 5, 5) }] },
    ]), { code: 20005 }, 'one bad shard batch fails the whole checkpoint')
    t.equal(await index.checkpointLsn(other), 0, 'the good shard of that checkpoint was not applied')
    t.equal((await index.history(s.app, 'c', 'd', { limit: 10 })).length, 0)
    t.equal(await index.checkpointLsn(s), 1)
    t.equal((await index.history(s.app, 'a', 'b', { limit: 10 })).length, 1, 'nothing of the refused batches was written')
    await index.checkpoint([
      { s: other, entries: [{ lsn: 1, rec: journalRecord('c', 'd', 1, 1, 1) }] },
      { s, entries: [{ lsn: 2, rec: journalRecord('a', 'b', 2, 2, 2) }] },
    ])
    t.strictSame([await index.checkpointLsn(other), await index.checkpointLsn(s)], [1, 2], 'two shards in one checkpoint')
  })

  t.test(`${name}: journal: a record that fails to decode stops the replay with its shard, LSN and file`, async (t) => {
    const { log, index, where } = await open(t)
    await log.open(s)
    await log.append(s, 1, encodeShardRecord(journalRecord('a', 'b', 1, 1, 1)))
    await log.append(s, 2, encode({ t: 'msg', a: 'b', b: 'a' }))
    await log.append(s, 3, Uint8Array.of(0xc1))
    const journal = new ShardJournal(s, new Checkpointer(log, index))
    await t.rejects(journal.open(), { code: 20005, message: new RegExp(`shard ${s.shard} lsn 2 in [^(]*${escape(where)}.*bad pair`) })
    t.equal(await index.checkpointLsn(s), 0, 'the good record before it was not applied alone either (one page)')
    await index.checkpoint([{ s, entries: [{ lsn: 1, rec: journalRecord('a', 'b', 1, 1, 1) }] }])
    await log.trim(s, 1)
    await t.rejects(new ShardJournal(s, new Checkpointer(log, index)).open(), { message: /lsn 2 .*bad pair/ }, 'still refused on the next start')
    const undecodable = new ShardJournal({ app: s.app, shard: 99 }, new Checkpointer(log, index))
    await log.open({ app: s.app, shard: 99 })
    await log.append({ app: s.app, shard: 99 }, 1, Uint8Array.of(0xc1))
    await t.rejects(undecodable.open(), { message: /shard 99 lsn 1 .*cannot be decoded/ })
  })

  t.test(`${name}: journal: appends are durable in order, checkpointed in batches, and a failed append breaks it`, async (t) => {
    const { log, index } = await open(t)
    let timers = 0
    const cp = new Checkpointer(log, index, { maxRecords: 3, intervalMs: 60_000, schedule: () => { timers++; return { cancel() {} } } })
    const journal = new ShardJournal(s, cp)
    t.match(await journal.open(), { lastLsn: 0, checkpointLsn: 0, replayed: 0 }, 'an empty shard')
    const lsns = await Promise.all([1, 2, 3, 4].map((seq) => journal.append(journalRecord('a', 'b', seq, seq, seq))))
    t.strictSame(lsns, [1, 2, 3, 4], 'LSNs in call order')
    await cp.flush()
    t.equal(await index.checkpointLsn(s), 4, 'flush checkpoints every durable record')
    t.ok(timers >= 1, 'the interval timer was armed for a partial batch')
    t.strictSame((await log.replay(s, 0, 10)).length, 0, 'and trims the log')
    // A second writer took LSN 5 behind this journal's back: its append is refused and it stops.
    await log.append(s, 5, encodeShardRecord(journalRecord('a', 'b', 5, 5, 5)))
    await t.rejects(journal.append(journalRecord('a', 'b', 5, 5, 5)), { code: 20005, message: /journal is broken/ })
    await t.rejects(journal.append(journalRecord('a', 'b', 6, 6, 6)), { message: /journal is broken/ }, 'every later append is refused')
    const reopened = new ShardJournal(s, new Checkpointer(log, index))
    const rec = await reopened.open()
    t.match(rec, { lastLsn: 5, checkpointLsn: 5, replayed: 1 }, 're-opened from what is durable')
  })
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
