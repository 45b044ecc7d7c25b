/**
 * The shard journal under kill -9 (issue 14, item 6), for every backend
 * (shardJournalCrash.test.ts on LMDB, shardJournalCrash.cassandra.test.ts): a child
 * (fixtures/journalUntilKilled.ts) appends messages on ten conversations of one shard and
 * checkpoints them into the index; it is killed at random points — while appending and
 * checkpointing, with a long unindexed log, and during the replay of that log. After the last
 * kill, every acknowledged message is in the index exactly once at the seq it was acknowledged
 * with, every conversation and user stream is numbered without gap or reuse, and no LSN was
 * acknowledged twice.
 */
import type { spawn as Spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { Checkpointer } from '../../actors/conv/Checkpointer.js'
import { ShardJournal } from '../../actors/conv/ShardJournal.js'
import type { ConvIndex } from '../../src/store/ConvIndex.js'
import type { ShardLog } from '../../src/store/ShardLog.js'
import { journalMsgKey, journalPairs, journalShard as s } from './fixtures/journalData.js'

const fixture = fileURLToPath(new URL('./fixtures/journalUntilKilled.ts', import.meta.url))

interface Round { acks: { lsn: number; a: string; b: string; seq: number }[]; recovered?: { replayed: number; ms: number } }

export interface CrashSuiteOptions {
  /** `node:child_process`'s spawn (the test file imports it, which places it in its test tier). */
  readonly spawn: typeof Spawn
  /** The child's store argument (fixtures/journalUntilKilled.ts). */
  readonly where: string
  /** Acks of the round that never checkpoints (the long log the next start replays). */
  readonly fullLog: number
  /** Opens the log and index over the child's data, after the last kill. */
  open(t: Test): Promise<{ log: ShardLog; index: ConvIndex }>
}

/**
 * Runs the child with the checkpoint settings and kills it with SIGKILL: after `killAfter`
 * acks, or (`killAfter` 0) as soon as it says it is opening, i.e. during its replay.
 */
async function runUntilKilled(spawn: typeof Spawn, where: string, maxRecords: number, intervalMs: number, killAfter: number): Promise<Round> {
  const child = spawn(process.execPath, [...process.execArgv, fixture, where, String(maxRecords), String(intervalMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)))
  const round: Round = { acks: [] }
  for await (const line of createInterface({ input: child.stdout })) {
    const [word, ...rest] = line.split(' ')
    if (word === 'opening') {
      if (killAfter === 0) child.kill('SIGKILL')
    } else if (word === 'recovered') {
      round.recovered = { replayed: Number(rest[0]), ms: Number(rest[1]) }
    } else if (word === 'ack') {
      const [lsn, a, b, seq] = rest
      round.acks.push({ lsn: Number(lsn), a: a!, b: b!, seq: Number(seq) })
      if (round.acks.length === killAfter) child.kill('SIGKILL')
    } else {
      throw new Error(`unexpected child output: ${line}`)
    }
  }
  const signal = await exited
  if (signal !== 'SIGKILL') throw new Error(`child ended by itself (signal ${signal}) after ${round.acks.length} acks`)
  return round
}

export async function journalCrashSuite(t: Test, o: CrashSuiteOptions): Promise<void> {
  const rounds: Round[] = []
  // Checkpoints every 50 records or 2 ms: kills land during appends and during checkpoints.
  for (const killAfter of [300 + Math.floor(Math.random() * 500), 300 + Math.floor(Math.random() * 500)]) {
    rounds.push(await runUntilKilled(o.spawn, o.where, 50, 2, killAfter))
  }
  // No checkpoint at all: a long log that the next start must replay.
  const full = await runUntilKilled(o.spawn, o.where, 1e9, 1e9, o.fullLog)
  rounds.push(full)
  // Killed as it starts to replay that log.
  const killedInReplay = await runUntilKilled(o.spawn, o.where, 50, 2, 0)
  t.equal(killedInReplay.recovered, undefined, 'the child was killed before its replay finished')
  rounds.push(killedInReplay)
  // Replays the whole log (the recovery time with a full log), then appends and is killed.
  const afterReplay = await runUntilKilled(o.spawn, o.where, 50, 2, 500)
  rounds.push(afterReplay)
  t.ok(afterReplay.recovered, 'the next child replayed the log')
  t.ok(afterReplay.recovered!.replayed >= o.fullLog / 2, `it re-applied most of the unindexed log (${afterReplay.recovered!.replayed} records)`)
  t.comment(`recovery after kill -9 with ${afterReplay.recovered!.replayed} unindexed records: ${afterReplay.recovered!.ms} ms`)

  const { log, index } = await o.open(t)
  const journal = new ShardJournal(s, new Checkpointer(log, index))
  const rec = await journal.open()
  t.equal(rec.checkpointLsn, rec.lastLsn, 'after recovery the index holds every record of the log')
  t.equal((await log.replay(s, 0, 10)).length, 0, 'and the log is trimmed below the checkpoint')

  const acks = rounds.flatMap((r) => r.acks)
  const lsns = new Set(acks.map((a) => a.lsn))
  t.equal(lsns.size, acks.length, `no LSN was acknowledged twice (${acks.length} acks)`)
  t.ok(acks.every((a) => a.lsn <= rec.lastLsn), 'every acknowledged LSN is at or below the log head')

  const stored = new Map<string, Map<number, string>>()
  for (const [a, b] of journalPairs) {
    const msgs = await index.history(s.app, a, b, { limit: 1_000_000 })
    const seqs = msgs.map((m) => m.seq).reverse()
    t.strictSame(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), `${a}|${b}: seqs 1..${seqs.length}, no gap`)
    const bad = msgs.filter((m) => m.msgKey !== journalMsgKey(a, b, m.seq))
    t.strictSame(bad.map((m) => m.seq), [], `${a}|${b}: each seq holds the message first written at it (no seq reused)`)
    stored.set(`${a}|${b}`, new Map(msgs.map((m) => [m.seq, m.msgKey])))
  }
  const lost = acks.filter((a) => stored.get(`${a.a}|${a.b}`)?.get(a.seq) !== journalMsgKey(a.a, a.b, a.seq))
  t.strictSame(lost, [], 'every acknowledged message is in the index at its seq')

  const users = [...new Set(journalPairs.flat())]
  for (const u of users) {
    const head = (await index.userShards(s.app, u))[s.shard] ?? 0
    const evs = await index.stream(s, u, 0, 1_000_000)
    t.strictSame(evs.map((e) => e.seq), Array.from({ length: head }, (_, i) => i + 1), `${u}: stream 1..${head}, no gap or duplicate`)
    const orphans = evs.filter((e) => e.type !== 'msg' || stored.get(pairOf(e.msg.from, e.msg.to))?.get(e.msg.seq) !== e.msg.msgKey)
    t.equal(orphans.length, 0, `${u}: every stream event is a stored message`)
  }
  const total = [...stored.values()].reduce((n, m) => n + m.size, 0)
  t.equal(total, rec.lastLsn, 'one record per stored message: the log head equals the messages stored')
}

function pairOf(x: string, y: string): string {
  return x <= y ? `${x}|${y}` : `${y}|${x}`
}
