/**
 * ShardState over a real LMDB index: how a send is numbered (one conversation seq for both
 * views, a stream seq per user that keeps a copy), how retries are recognised (MsgRandom per
 * sender within the window, MsgKey), and that a new activation continues the numbering and
 * the dedupe window from what the journal checkpointed.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Checkpointer } from '../../actors/conv/Checkpointer.js'
import { convShard, orderedPair } from '../../actors/conv/shardOfPair.js'
import { ShardJournal } from '../../actors/conv/ShardJournal.js'
import { type SendDraft, ShardState, WINDOW_CAP } from '../../actors/conv/ShardState.js'
import { Limits } from '../../src/core/limits.js'
import { LmdbConvIndex } from '../../src/store/lmdb/LmdbConvIndex.js'
import { LmdbShardLog } from '../../src/store/lmdb/LmdbShardLog.js'
import { openLmdb } from '../../src/store/lmdb/openLmdb.js'

const s = { app: 1400000001, shard: 3 }
const NOW = 1_800_000_000

function draft(from: string, to: string, random: number, o: Partial<SendDraft> = {}, time = NOW): SendDraft {
  return {
    from, to, noSenderCopy: false, noUnread: false, noLastMsg: false, ...o,
    msg: { msgKey: `${msgSeqOf(from, random)}_${random}_${time}`, from, to, msgSeq: msgSeqOf(from, random), random, time, body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'x' } }] },
  }
}

/** Each sender numbers its own MsgSeq, so keys differ by direction. */
function msgSeqOf(from: string, random: number): number {
  return random + 1000 * from.length
}

async function setup(t: { teardown(fn: () => unknown): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-shardstate-'))
  const handle = openLmdb(dir)
  const checkpointers: Checkpointer[] = []
  t.teardown(async () => {
    for (const cp of checkpointers) await cp.close()
    await handle.close()
    await rm(dir, { recursive: true, force: true })
  })
  const log = new LmdbShardLog(handle)
  const index = new LmdbConvIndex(handle)
  const activate = async () => {
    const cp = new Checkpointer(log, index)
    checkpointers.push(cp)
    const journal = new ShardJournal(s, cp)
    await journal.open()
    const state = new ShardState(s, index)
    /** prepare + send + append, as the shard actor does. */
    const send = async (d: SendDraft, now = NOW) => {
      await state.prepare(d.from, d.to, now)
      const r = state.send(d, now)
      if (r.kind === 'append') await journal.append(r.record)
      return r
    }
    return { cp, journal, state, send }
  }
  return { index, activate }
}

t.test('convShard: stable, in range, the same for both orders of the pair', async (t) => {
  t.equal(convShard(1, 'alice', 'bob'), convShard(1, 'bob', 'alice'))
  t.strictSame(orderedPair('bob', 'alice'), ['alice', 'bob'])
  const shards = Array.from({ length: 2000 }, (_, i) => convShard(1, `u${i}`, `v${i}`))
  t.ok(shards.every((sh) => Number.isInteger(sh) && sh >= 0 && sh < 64), 'every shard in 0..63')
  t.equal(new Set(shards).size, 64, '2,000 pairs reach every one of the 64 shards')
  const counts = new Map<number, number>()
  for (const sh of shards) counts.set(sh, (counts.get(sh) ?? 0) + 1)
  t.ok(Math.max(...counts.values()) < 2.5 * (2000 / 64), `no shard gets 2.5× its share (max ${Math.max(...counts.values())})`)
  t.not(convShard(1, 'alice', 'bob'), convShard(1, 'alice', 'bob', 7) + 100, 'the shard count is a parameter')
  t.ok(convShard(1, 'alice', 'bob', 7) < 7)
})

t.test('send: one conversation seq for both views, one stream seq per copy kept', async (t) => {
  const { activate } = await setup(t)
  const { send } = await activate()
  const r1 = await send(draft('bob', 'alice', 11))
  t.match(r1, { kind: 'append', senderSeq: 1, receiverSeq: 1, record: { a: 'alice', b: 'bob', sa: 1, sb: 1, msg: { seq: 1, flags: 0 } } })
  const r2 = await send(draft('alice', 'bob', 11))
  t.match(r2, { kind: 'append', record: { msg: { seq: 2 } } }, 'the same random in the other direction is a new message')
  const r3 = await send(draft('alice', 'bob', 12, { noSenderCopy: true }))
  t.match(r3, { kind: 'append', senderSeq: 0, receiverSeq: 3, record: { sa: 0, sb: 3, msg: { seq: 3 } } }, 'SyncOtherMachine 2: no stream event for the sender')
  const r4 = await send(draft('alice', 'alice', 13, { noSenderCopy: true }))
  t.match(r4, { kind: 'append', senderSeq: 3, receiverSeq: 3, record: { a: 'alice', b: 'alice', sa: 3, sb: 0, msg: { seq: 1 } } },
    'a message to oneself: one stream event, its own conversation seq')
  const r5 = await send(draft('carol', 'bob', 14, { expireAt: NOW + 60, noUnread: true, noLastMsg: true }))
  t.match(r5, { kind: 'append', record: { expireAt: NOW + 60, noUnread: true, noLastMsg: true, msg: { seq: 1 } }, receiverSeq: 4 }, "bob's stream continues across his pairs")
})

t.test('send: a retry within the window answers the first copy; by MsgKey too', async (t) => {
  const { activate } = await setup(t)
  const { send, state } = await activate()
  const first = await send(draft('bob', 'alice', 21))
  const retry = await send(draft('bob', 'alice', 21, {}, NOW + 5), NOW + 5)
  t.strictSame(retry, { kind: 'duplicate', first: { msgKey: `${msgSeqOf('bob', 21)}_21_${NOW}`, time: NOW, seq: 1 } }, 'same sender, same random: the first key, time and seq')
  const sameKey = await send({ ...draft('bob', 'alice', 99), msg: { ...draft('bob', 'alice', 99).msg, msgKey: `${msgSeqOf('bob', 21)}_21_${NOW}` } })
  t.match(sameKey, { kind: 'duplicate', first: { seq: 1 } }, 'a different random with the same MsgKey is the same message')
  t.equal(first.kind, 'append')
  const late = await send(draft('bob', 'alice', 21, {}, NOW + Limits.dedupeWindowSeconds + 1), NOW + Limits.dedupeWindowSeconds + 1)
  t.match(late, { kind: 'append', record: { msg: { seq: 2 } } }, 'after the window the same random is a new message')
  state.markRecalled('alice', 'bob', 2)
  t.match(await send(draft('bob', 'alice', 21, {}, NOW + Limits.dedupeWindowSeconds + 2), NOW + Limits.dedupeWindowSeconds + 2),
    { kind: 'duplicate', first: { seq: 2, recalled: true } }, 'a retry of a recalled message says so')
  t.throws(() => state.send(draft('x', 'y', 1), NOW), /not prepared/, 'send before prepare is a bug, caught')
})

t.test('a new activation continues numbering and dedupe from the checkpointed index', async (t) => {
  const { activate } = await setup(t)
  const one = await activate()
  for (let i = 1; i <= 5; i++) await one.send(draft(i % 2 ? 'bob' : 'alice', i % 2 ? 'alice' : 'bob', 100 + i))
  await one.send(draft('carol', 'alice', 200, {}, NOW - Limits.dedupeWindowSeconds - 10))
  await one.cp.close()
  const two = await activate()
  t.match(await two.send(draft('alice', 'bob', 104)), { kind: 'duplicate', first: { seq: 4 } }, 'a retry of a message before the restart')
  t.match(await two.send(draft('alice', 'bob', 106)), { kind: 'append', senderSeq: 7, receiverSeq: 6, record: { msg: { seq: 6 } } },
    "seq and both stream heads continue (alice's stream also holds carol's message)")
  t.match(await two.send(draft('carol', 'alice', 200)), { kind: 'append', record: { msg: { seq: 2 } } }, 'a message older than the window is forgotten')
})

t.test('the window keeps at most WINDOW_CAP messages per pair, forgetting the oldest', async (t) => {
  const { activate } = await setup(t)
  const { send } = await activate()
  for (let i = 1; i <= WINDOW_CAP + 1; i++) await send(draft('bob', 'alice', i))
  t.match(await send(draft('bob', 'alice', WINDOW_CAP + 1)), { kind: 'duplicate', first: { seq: WINDOW_CAP + 1 } })
  t.match(await send(draft('bob', 'alice', 2)), { kind: 'duplicate', first: { seq: 2 } }, 'the second oldest is kept')
  t.match(await send(draft('bob', 'alice', 1)), { kind: 'append' }, 'the oldest was forgotten')
})
