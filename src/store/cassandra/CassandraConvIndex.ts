/**
 * ConvIndex on Cassandra (contract: src/store/ConvIndex.ts; tables in schema.ts, version 5),
 * beside CassandraShardLog on the same keyspace.
 *
 * | table          | key                                      | value                             |
 * |----------------|------------------------------------------|-----------------------------------|
 * | `conv_history` | (app, a, b, bucket) / seq                | StoredMessage (once per pair)     |
 * | `conv_pairs`   | (app, a, b)                              | the pair's highest seq (where history reads start) |
 * | `conv_keys`    | (app, a, b, msgKey)                      | seq                               |
 * | `conv_streams` | (app, user, shard, bucket) / seq         | InboxEvent (`msg` events hold the message) |
 * | `conv_views`   | (app, user) / peer                       | ConversationRecord, LSN of the last record applied to it |
 * | `conv_shards`  | (app, user) / shard                      | the user's stream head in the shard |
 * | `shard_checkpoints` | (app, shard)                        | checkpoint LSN (shardCheckpoints.ts) |
 *
 * Atomicity. Cassandra has no transaction across partitions, so a checkpoint writes every index
 * row of every shard in the call first, and only then each shard's checkpoint LSN. A crash (or
 * a failed write) in between leaves the checkpoint where it was, and the next `open` of the
 * shard re-applies the records above it on top of whatever part was written. That is exact
 * because every row belongs to one shard and re-applying a record on top of a partial apply
 * writes what a single apply would:
 * - history, key, stream, pair-head and user-shard-head rows are puts at keys the record
 *   determines; a record re-applied writes the same values.
 * - a conversation view is read-modify-write (unread counts): it stores the LSN of the last
 *   record applied to it, and a record at or below that LSN is skipped for that view. Each
 *   view is written once per checkpoint, after all the call's records that touch it, as one
 *   row (atomic), so after a crash it is either entirely before or entirely after the batch.
 * - every row is written `USING TIMESTAMP <LSN>` of the (last) record that wrote it, so
 *   heads merge by max (the shard numbers seqs in LSN order) and an older state written late
 *   — a fenced-out ex-owner finishing an old checkpoint — never overwrites a newer one.
 *   Nothing else may write these tables (an operator's tool must use LSN timestamps too).
 * Reads may see the rows of a checkpoint in progress; those records are durable in the log
 * already, so they are never withdrawn. `stream` stops at the first missing seq, so a cursor
 * never skips an event whose row is still on its way.
 *
 * Costs per checkpoint: one read per shard (its checkpoint) and one per user with touched
 * views (`peer IN …`), and for a recall or receipt of a message not in the same call one
 * history read per message; then per message record one history, one key and one stream row
 * per side (other records: their stream rows, and the history rows they flag);
 * per touched view, pair and user-shard one row; per shard one checkpoint row. Unlogged
 * batches (batches.ts), ordered by partition; no LWT.
 */
import { encode } from '../../core/codec.js'
import { ParleyError } from '../../core/errors.js'
import { MsgFlags, type StoredMessage } from '../../model/message.js'
import { c2cConv, type InboxEvent } from '../../protocol/events.js'
import { encodeWith } from '../../protocol/splice.js'
import type { ConvIndex, HistoryPage, RecordEntry, ShardBatch } from '../ConvIndex.js'
import { recalledCopy, userEventsOf, viewAfter } from '../convEvents.js'
import { emptyConversation } from '../conversationRecords.js'
import type { ConversationRecord } from '../MessageStore.js'
import type { ShardRef } from '../ShardLog.js'
import { stmt, type Statement, writeStatements } from './batches.js'
import { decodeBlob } from './codec.js'
import type { CassandraHandle } from './connect.js'
import { bucketOf, toNumber } from './rows.js'
import { CONV_HISTORY_BUCKET, CONV_STREAM_BUCKET } from './schema.js'
import { ShardCheckpointTable } from './shardCheckpoints.js'

/** A history value: the message, and the one user of the pair it is hidden from, if any. */
type HistoryEntry = StoredMessage & { noCopyFor?: string }

/** History rows read per page (filters may skip some). */
const HISTORY_PAGE = 100

/** Peers per `peer IN …` read of a user's views. */
const VIEW_READ_CHUNK = 100
/**
 * Index batches a checkpoint keeps in flight: a checkpoint is background work of thousands
 * of rows, and sent all at once it would queue ahead of the shards' appends at the replicas.
 */
const CHECKPOINT_IN_FLIGHT = 8

type Queries = Record<'hist' | 'pair' | 'key' | 'stream' | 'view' | 'head' | 'readHist' | 'readPair' |
  'readStream' | 'readViews' | 'readView' | 'readHead' | 'readHeads' | 'readKey' | 'readOne' | 'readAllViews', string>

interface View { readonly user: string; readonly peer: string; rec: ConversationRecord; lsn: number; dirty: boolean }

export class CassandraConvIndex implements ConvIndex {
  private readonly release: () => Promise<void>
  private readonly marks: ShardCheckpointTable
  private readonly q: Queries

  /** Acquires `handle` (from `connectCassandra`); `close()` releases it. */
  constructor(private readonly handle: CassandraHandle) {
    this.release = handle.acquire()
    this.marks = new ShardCheckpointTable(handle)
    const ks = handle.keyspace
    const ts = 'USING TIMESTAMP ?'
    this.q = {
      hist: `INSERT INTO ${ks}.conv_history (app, user_a, user_b, bucket, seq, msg) VALUES (?, ?, ?, ?, ?, ?) ${ts}`,
      pair: `INSERT INTO ${ks}.conv_pairs (app, user_a, user_b, last_seq) VALUES (?, ?, ?, ?) ${ts}`,
      key: `INSERT INTO ${ks}.conv_keys (app, user_a, user_b, msg_key, seq) VALUES (?, ?, ?, ?, ?) ${ts}`,
      stream: `INSERT INTO ${ks}.conv_streams (app, user_id, shard, bucket, seq, event) VALUES (?, ?, ?, ?, ?, ?) ${ts}`,
      view: `INSERT INTO ${ks}.conv_views (app, user_id, peer, rec, lsn) VALUES (?, ?, ?, ?, ?) ${ts}`,
      head: `INSERT INTO ${ks}.conv_shards (app, user_id, shard, head) VALUES (?, ?, ?, ?) ${ts}`,
      readHist: `SELECT msg FROM ${ks}.conv_history WHERE app = ? AND user_a = ? AND user_b = ? AND bucket = ? AND seq <= ? LIMIT ?`,
      readPair: `SELECT last_seq FROM ${ks}.conv_pairs WHERE app = ? AND user_a = ? AND user_b = ?`,
      readStream: `SELECT seq, event FROM ${ks}.conv_streams WHERE app = ? AND user_id = ? AND shard = ? AND bucket = ? AND seq > ? AND seq <= ? LIMIT ?`,
      readViews: `SELECT peer, rec, lsn FROM ${ks}.conv_views WHERE app = ? AND user_id = ? AND peer IN ?`,
      readAllViews: `SELECT rec, lsn FROM ${ks}.conv_views WHERE app = ? AND user_id = ?`,
      readView: `SELECT rec, lsn FROM ${ks}.conv_views WHERE app = ? AND user_id = ? AND peer = ?`,
      readKey: `SELECT seq FROM ${ks}.conv_keys WHERE app = ? AND user_a = ? AND user_b = ? AND msg_key = ?`,
      readOne: `SELECT msg FROM ${ks}.conv_history WHERE app = ? AND user_a = ? AND user_b = ? AND bucket = ? AND seq = ?`,
      readHead: `SELECT head FROM ${ks}.conv_shards WHERE app = ? AND user_id = ? AND shard = ?`,
      readHeads: `SELECT shard, head FROM ${ks}.conv_shards WHERE app = ? AND user_id = ?`,
    }
  }

  async checkpoint(batches: readonly ShardBatch[]): Promise<void> {
    const work = batches.filter((b) => b.entries.length > 0)
    if (work.length === 0) return
    for (const b of work) checkAscending(b.s, b.entries)
    const stored = await Promise.all(work.map((b) => this.checkpointLsn(b.s)))
    work.forEach(({ s, entries }, i) => {
      if (entries[0]!.lsn !== stored[i]! + 1) {
        throw new ParleyError('INTERNAL', `shard ${s.app}/${s.shard}: checkpoint from LSN ${entries[0]!.lsn} does not follow the stored ${stored[i]}; nothing applied`)
      }
    })
    const rows = await Promise.all(work.map((b) => this.rows(b.s, b.entries)))
    await writeStatements(this.handle, rows.flat(), CHECKPOINT_IN_FLIGHT)
    await writeStatements(this.handle, work.map(({ s, entries }) => this.marks.checkpoint(s, entries[entries.length - 1]!.lsn)))
  }

  async checkpointLsn(s: ShardRef): Promise<number> {
    return (await this.marks.read(s)).checkpointLsn
  }

  async history(app: number, a: string, b: string, q: HistoryPage): Promise<StoredMessage[]> {
    if (q.limit <= 0) return []
    const pair = (await this.read(this.q.readPair, [app, a, b])).first()
    if (!pair) return []
    let top = toNumber(pair['last_seq'])
    if (q.beforeSeq !== undefined) top = Math.min(top, q.beforeSeq - 1)
    const cleared = q.viewer !== undefined ? ((await this.conversation(app, q.viewer, q.viewer === a ? b : a))?.clearedSeq ?? 0) : 0
    const out: StoredMessage[] = []
    while (out.length < q.limit && top > cleared) {
      const bucket = bucketOf(top, CONV_HISTORY_BUCKET)
      const rs = await this.read(this.q.readHist, [app, a, b, bucket, top, HISTORY_PAGE])
      if (rs.rows.length === 0) {
        if (bucket === 0) break
        top = bucket * CONV_HISTORY_BUCKET - 1
        continue
      }
      for (const row of rs.rows) {
        const m = decodeBlob<HistoryEntry>(row['msg'] as Buffer)
        top = m.seq - 1
        if (m.seq <= cleared) break
        if (q.viewer !== undefined && m.noCopyFor === q.viewer) continue
        if ((q.maxTime !== undefined && m.time > q.maxTime) || (q.minTime !== undefined && m.time < q.minTime)) continue
        out.push(plain(m))
        if (out.length >= q.limit) break
      }
    }
    return out
  }

  async findByKey(app: number, a: string, b: string, msgKey: string): Promise<StoredMessage | undefined> {
    const k = (await this.read(this.q.readKey, [app, a, b, msgKey])).first()
    if (!k) return undefined
    const m = await this.historyEntry(app, a, b, toNumber(k['seq']))
    return m && m.msgKey === msgKey ? plain(m) : undefined
  }

  async stream(s: ShardRef, user: string, after: number, limit: number): Promise<InboxEvent[]> {
    if (limit <= 0) return []
    const headRow = (await this.read(this.q.readHead, [s.app, user, s.shard])).first()
    const head = headRow ? toNumber(headRow['head']) : 0
    const out: InboxEvent[] = []
    let next = after + 1
    while (next <= head && out.length < limit) {
      const bucket = bucketOf(next, CONV_STREAM_BUCKET)
      const rs = await this.read(this.q.readStream, [s.app, user, s.shard, bucket, next - 1, head, limit - out.length])
      for (const row of rs.rows) {
        // Stream seqs are dense; a hole is a checkpoint still being written.
        if (toNumber(row['seq']) !== next) return out
        out.push(decodeBlob<InboxEvent>(row['event'] as Buffer))
        next++
      }
      if (bucketOf(next, CONV_STREAM_BUCKET) === bucket) break
    }
    return out
  }

  async conversation(app: number, user: string, peer: string): Promise<ConversationRecord | undefined> {
    const row = (await this.read(this.q.readView, [app, user, peer])).first()
    return row ? { ...decodeBlob<ConversationRecord>(row['rec'] as Buffer), appliedLsn: toNumber(row['lsn']) } : undefined
  }

  async conversations(app: number, user: string): Promise<ConversationRecord[]> {
    const rs = await this.read(this.q.readAllViews, [app, user])
    return rs.rows.map((row) => ({ ...decodeBlob<ConversationRecord>(row['rec'] as Buffer), appliedLsn: toNumber(row['lsn']) }))
  }

  async userShards(app: number, user: string): Promise<Record<number, number>> {
    const out: Record<number, number> = {}
    for (const row of (await this.read(this.q.readHeads, [app, user])).rows) out[row['shard'] as number] = toNumber(row['head'])
    return out
  }

  close(): Promise<void> {
    return this.release()
  }

  /** Every index row of one shard's entries (see the file comment), grouped by partition. */
  private async rows(s: ShardRef, entries: readonly RecordEntry[]): Promise<Statement[]> {
    const { app, shard } = s
    const views = await this.readViews(app, entries)
    const parts = new Map<string, Statement[]>()
    const add = (part: string, st: Statement) => {
      const list = parts.get(part)
      if (list) list.push(st)
      else parts.set(part, [st])
    }
    const pairs = new Map<string, { a: string; b: string; seq: number; lsn: number }>()
    const heads = new Map<string, { head: number; lsn: number }>()
    const bytesOf = new Map<object, Uint8Array>()
    /** History entries written in this call, by pair and seq (a recall or receipt may follow its message). */
    const written = new Map<string, HistoryEntry>()
    const putHistory = (a: string, b: string, m: HistoryEntry, lsn: number, msgBytes?: Uint8Array) => {
      written.set(`${a}\0${b}\0${m.seq}`, m)
      const bytes = msgBytes ?? encode(m)
      const hb = bucketOf(m.seq, CONV_HISTORY_BUCKET)
      add(`h\0${a}\0${b}\0${hb}`, stmt(this.q.hist, [app, a, b, hb, m.seq, buf(bytes), lsn], bytes.length))
    }
    const entryAt = async (a: string, b: string, seq: number) => written.get(`${a}\0${b}\0${seq}`) ?? await this.historyEntry(app, a, b, seq)
    for (const { lsn, rec, msgBytes: known } of entries) {
      const { a, b } = rec
      let msgBytes: Uint8Array | undefined
      if (rec.t === 'msg') {
        const { msg } = rec
        msgBytes = known ?? encode(msg)
        bytesOf.set(msg, msgBytes)
        const noCopyFor = a === b ? undefined : rec.sa === 0 ? a : rec.sb === 0 ? b : undefined
        putHistory(a, b, noCopyFor ? { ...msg, noCopyFor } : msg, lsn, noCopyFor ? undefined : msgBytes)
        add(`k\0${a}\0${b}\0${msg.msgKey}`, stmt(this.q.key, [app, a, b, msg.msgKey, msg.seq, lsn], msg.msgKey.length))
        const pair = pairs.get(`${a}\0${b}`)
        if (!pair || msg.seq > pair.seq) pairs.set(`${a}\0${b}`, { a, b, seq: msg.seq, lsn })
      } else if (rec.t === 'recall') {
        const m = await entryAt(a, b, rec.seq)
        if (m && m.flags !== MsgFlags.recalled) putHistory(a, b, { ...recalledCopy(m), ...(m.noCopyFor ? { noCopyFor: m.noCopyFor } : {}) }, lsn)
      } else if (rec.t === 'receipt') {
        for (const seq of rec.seqs) {
          const m = await entryAt(a, b, seq)
          if (m && !m.peerRead) putHistory(a, b, { ...m, peerRead: true }, lsn)
        }
      }
      for (const { user, ev } of userEventsOf(rec, shard)) {
        const evBytes = msgBytes && ev.type === 'msg' ? encodeWith(ev, 'msg', msgBytes) : encode(ev)
        const sb = bucketOf(ev.seq, CONV_STREAM_BUCKET)
        add(`s\0${user}\0${sb}`, stmt(this.q.stream, [app, user, shard, sb, ev.seq, buf(evBytes), lsn], evBytes.length))
        const h = heads.get(user)
        heads.set(user, { head: Math.max(h?.head ?? 0, ev.seq), lsn })
      }
      for (const [user, peer] of a === b ? [[a, a]] : [[a, b], [b, a]]) {
        const v = views.get(`${user}\0${peer}`)!
        if (lsn > v.lsn) {
          v.rec = viewAfter(v.rec, user!, rec)
          v.lsn = lsn
          v.dirty = true
        }
      }
    }
    for (const { user, peer, ...v } of views.values()) {
      if (!v.dirty) continue
      const last = v.rec.lastMsg
      const bytes = encodeWith(v.rec, 'lastMsg', last && (bytesOf.get(last) ?? encode(last)))
      add(`v\0${user}`, stmt(this.q.view, [app, user, peer, buf(bytes), v.lsn, v.lsn], bytes.length))
    }
    for (const p of pairs.values()) add(`p\0${p.a}\0${p.b}`, stmt(this.q.pair, [app, p.a, p.b, p.seq, p.lsn], 0))
    for (const [user, h] of heads) add(`u\0${user}`, stmt(this.q.head, [app, user, shard, h.head, h.lsn], 0))
    return [...parts.values()].flat()
  }

  /** The stored view of every (user, peer) the entries touch (an empty one at LSN 0 when none). */
  private async readViews(app: number, entries: readonly RecordEntry[]): Promise<Map<string, View>> {
    const peersOf = new Map<string, Set<string>>()
    for (const { rec } of entries) {
      const sides: [string, string][] = rec.a === rec.b ? [[rec.a, rec.a]] : [[rec.a, rec.b], [rec.b, rec.a]]
      for (const [user, peer] of sides) {
        let peers = peersOf.get(user)
        if (!peers) peersOf.set(user, peers = new Set())
        peers.add(peer)
      }
    }
    const views = new Map<string, View>()
    const reads: Promise<void>[] = []
    for (const [user, peers] of peersOf) {
      const all = [...peers]
      for (const peer of all) views.set(`${user}\0${peer}`, { user, peer, rec: emptyConversation(c2cConv(peer)), lsn: 0, dirty: false })
      for (let i = 0; i < all.length; i += VIEW_READ_CHUNK) {
        reads.push(this.read(this.q.readViews, [app, user, all.slice(i, i + VIEW_READ_CHUNK)]).then((rs) => {
          for (const row of rs.rows) {
            const peer = row['peer'] as string
            views.set(`${user}\0${peer}`, {
              user, peer, rec: decodeBlob<ConversationRecord>(row['rec'] as Buffer), lsn: toNumber(row['lsn']), dirty: false,
            })
          }
        }))
      }
    }
    await Promise.all(reads)
    return views
  }

  private async historyEntry(app: number, a: string, b: string, seq: number): Promise<HistoryEntry | undefined> {
    const row = (await this.read(this.q.readOne, [app, a, b, bucketOf(seq, CONV_HISTORY_BUCKET), seq])).first()
    return row ? decodeBlob<HistoryEntry>(row['msg'] as Buffer) : undefined
  }

  private read(query: string, params: unknown[]) {
    return this.handle.client.execute(query, params, { prepare: true, consistency: this.handle.consistency.read })
  }
}

/** A history entry without its hiding marker, as readers get it. */
function plain(m: HistoryEntry): StoredMessage {
  const { noCopyFor: _hidden, ...msg } = m
  return msg
}

function buf(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}

function checkAscending(s: ShardRef, entries: readonly RecordEntry[]): void {
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.lsn !== entries[i - 1]!.lsn + 1) {
      throw new ParleyError('INTERNAL', `shard ${s.app}/${s.shard}: checkpoint entries skip from LSN ${entries[i - 1]!.lsn} to ${entries[i]!.lsn}`)
    }
  }
}
