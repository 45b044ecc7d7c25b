/**
 * ConvIndex on the embedded LMDB environment (contract: src/store/ConvIndex.ts), on the same
 * handle as the shard logs (LmdbShardLog), so a checkpoint writes its index entries and the
 * shard's checkpoint LSN in one transaction.
 *
 * | sub-database   | key                          | value                          |
 * |----------------|------------------------------|--------------------------------|
 * | `conv.hist`    | `[app, a, b, seq]`           | StoredMessage (once per pair)  |
 * | `conv.keys`    | `[app, a, b, msgKey]`        | seq                            |
 * | `conv.stream`  | `[app, user, shard, seq]`    | InboxEvent (`msg` events hold the message) |
 * | `conv.view`    | `[app, user, peer]`          | ConversationRecord             |
 * | `conv.shards`  | `[app, user]`                | `{ [shard]: head }`            |
 *
 * A checkpoint runs as one transaction callback for every shard it carries: per shard it
 * reads each touched conversation view and shard map once, applies every record in LSN order,
 * writes each touched key once (a busy conversation's view is written once per checkpoint, not
 * once per message), and moves the shard's checkpoint. The message of a record is encoded once and spliced into the history entry and
 * both stream events.
 */
import { asBinary, type Database, type Key } from 'lmdb'
import { ParleyError } from '../../core/errors.js'
import { MsgFlags, type StoredMessage } from '../../model/message.js'
import { c2cConv, type InboxEvent } from '../../protocol/events.js'
import { recalledCopy, userEventsOf, viewAfter } from '../convEvents.js'
import { encodeWith } from '../../protocol/splice.js'
import type { ConvIndex, HistoryPage, RecordEntry, ShardBatch } from '../ConvIndex.js'
import { emptyConversation } from '../conversationRecords.js'
import type { ConversationRecord } from '../MessageStore.js'
import type { ShardRef } from '../ShardLog.js'
import { KEY_MAX, keyText } from './keys.js'
import type { LmdbHandle } from './openLmdb.js'
import { decodeValue, encodeUint, encodeValue, SharedEncodings } from './records.js'

type Raw = Database<Uint8Array, Key>

/** A history value: the message, and the one user of the pair it is hidden from, if any. */
type HistoryEntry = StoredMessage & { noCopyFor?: string }

export class LmdbConvIndex implements ConvIndex {
  private readonly hist: Raw
  private readonly keys: Raw
  private readonly streams: Raw
  private readonly views: Raw
  private readonly shards: Raw
  private readonly ckpt: Raw

  /** Takes a reference to `lmdb` (the one the shard logs use): `close()` closes it. */
  constructor(private readonly lmdb: LmdbHandle) {
    this.hist = lmdb.rawDb('conv.hist')
    this.keys = lmdb.rawDb('conv.keys')
    this.streams = lmdb.rawDb('conv.stream')
    this.views = lmdb.rawDb('conv.view')
    this.shards = lmdb.rawDb('conv.shards')
    this.ckpt = lmdb.rawDb('shard.ckpt')
  }

  async checkpoint(batches: readonly ShardBatch[]): Promise<void> {
    const work = batches.filter((b) => b.entries.length > 0)
    if (work.length === 0) return
    for (const b of work) checkAscending(b.s, b.entries)
    let refused: string | undefined
    await this.hist.transaction(() => {
      for (const { s, entries } of work) {
        const at = this.read<number>(this.ckpt, [s.app, s.shard]) ?? 0
        if (entries[0]!.lsn !== at + 1) {
          refused = `shard ${s.app}/${s.shard}: checkpoint from LSN ${entries[0]!.lsn} does not follow the stored ${at}; nothing applied`
          return
        }
      }
      for (const { s, entries } of work) {
        this.apply(s, entries)
        put(this.ckpt, [s.app, s.shard], encodeUint(entries[entries.length - 1]!.lsn))
      }
    })
    if (refused) throw new ParleyError('INTERNAL', refused)
  }

  async checkpointLsn(s: ShardRef): Promise<number> {
    return this.read<number>(this.ckpt, [s.app, s.shard]) ?? 0
  }

  async history(app: number, a: string, b: string, q: HistoryPage): Promise<StoredMessage[]> {
    if (q.limit <= 0) return []
    const cleared = q.viewer !== undefined ? (this.read<ConversationRecord>(this.views, [app, q.viewer, q.viewer === a ? b : a])?.clearedSeq ?? 0) : 0
    const out: StoredMessage[] = []
    const range = this.hist.getRange({
      start: [app, a, b, q.beforeSeq ?? KEY_MAX], exclusiveStart: q.beforeSeq !== undefined, end: [app, a, b, cleared], reverse: true,
    })
    for (const { value } of range) {
      const m = decodeValue<HistoryEntry>(value)
      if (q.viewer !== undefined && m.noCopyFor === q.viewer) continue
      if (q.maxTime !== undefined && m.time > q.maxTime) continue
      if (q.minTime !== undefined && m.time < q.minTime) continue
      const { noCopyFor: _hidden, ...msg } = m
      out.push(msg)
      if (out.length >= q.limit) break
    }
    return out
  }

  async stream(s: ShardRef, user: string, after: number, limit: number): Promise<InboxEvent[]> {
    if (limit <= 0) return []
    const out: InboxEvent[] = []
    const range = this.streams.getRange({ start: [s.app, user, s.shard, after], exclusiveStart: true, end: [s.app, user, s.shard, KEY_MAX], limit })
    for (const { value } of range) out.push(decodeValue<InboxEvent>(value))
    return out
  }

  async findByKey(app: number, a: string, b: string, msgKey: string): Promise<StoredMessage | undefined> {
    const seq = this.read<number>(this.keys, [app, a, b, keyText(msgKey, 'msgKey')])
    if (seq === undefined) return undefined
    const m = this.read<HistoryEntry>(this.hist, [app, a, b, seq])
    if (!m || m.msgKey !== msgKey) return undefined
    const { noCopyFor: _hidden, ...msg } = m
    return msg
  }

  async conversation(app: number, user: string, peer: string): Promise<ConversationRecord | undefined> {
    return this.read<ConversationRecord>(this.views, [app, user, peer])
  }

  async conversations(app: number, user: string): Promise<ConversationRecord[]> {
    const out: ConversationRecord[] = []
    for (const { value } of this.views.getRange({ start: [app, user], end: [app, user, KEY_MAX] })) out.push(decodeValue<ConversationRecord>(value))
    return out
  }

  async userShards(app: number, user: string): Promise<Record<number, number>> {
    return this.read<Record<number, number>>(this.shards, [app, user]) ?? {}
  }

  close(): Promise<void> {
    return this.lmdb.close()
  }

  /** Inside the checkpoint transaction: every record's entries, each touched key written once. */
  private apply(s: ShardRef, entries: readonly RecordEntry[]): void {
    const { app, shard } = s
    const shared = new SharedEncodings()
    const views = new Map<string, { key: Key; rec: ConversationRecord }>()
    const heads = new Map<string, Record<number, number>>()
    const view = (user: string, peer: string) => {
      const id = `${user}\0${peer}`
      let v = views.get(id)
      if (!v) {
        const key = [app, user, peer]
        v = { key, rec: this.read<ConversationRecord>(this.views, key) ?? emptyConversation(c2cConv(peer)) }
        views.set(id, v)
      }
      return v
    }
    const headsOf = (user: string) => {
      let h = heads.get(user)
      if (!h) {
        h = this.read<Record<number, number>>(this.shards, [app, user]) ?? {}
        heads.set(user, h)
      }
      return h
    }
    /** History entries touched in this checkpoint, by seq (a recall or receipt may follow the message in the same batch). */
    const hist = new Map<string, HistoryEntry>()
    const entry = (a: string, b: string, seq: number): HistoryEntry | undefined => {
      const id = `${a}\0${b}\0${seq}`
      return hist.get(id) ?? this.read<HistoryEntry>(this.hist, [app, a, b, seq])
    }
    const setEntry = (a: string, b: string, m: HistoryEntry, bytes?: Uint8Array) => {
      hist.set(`${a}\0${b}\0${m.seq}`, m)
      put(this.hist, [app, a, b, m.seq], bytes ?? encodeValue(m))
    }
    for (const { lsn, rec, msgBytes: known } of entries) {
      const { a, b } = rec
      keyText(a, 'user')
      keyText(b, 'user')
      let msgBytes: Uint8Array | undefined
      if (rec.t === 'msg') {
        const { msg } = rec
        shared.seed(msg, known)
        msgBytes = shared.of(msg)
        // A sender who keeps no copy (SyncOtherMachine 2) does not see the message in history.
        const noCopyFor = a === b ? undefined : rec.sa === 0 ? a : rec.sb === 0 ? b : undefined
        setEntry(a, b, noCopyFor ? { ...msg, noCopyFor } : msg, noCopyFor ? undefined : msgBytes)
        put(this.keys, [app, a, b, keyText(msg.msgKey, 'msgKey')], encodeUint(msg.seq))
      } else if (rec.t === 'recall') {
        const m = entry(a, b, rec.seq)
        if (m && m.flags !== MsgFlags.recalled) setEntry(a, b, { ...recalledCopy(m), ...(m.noCopyFor ? { noCopyFor: m.noCopyFor } : {}) })
      } else if (rec.t === 'receipt') {
        for (const seq of rec.seqs) {
          const m = entry(a, b, seq)
          if (m && !m.peerRead) setEntry(a, b, { ...m, peerRead: true })
        }
      }
      for (const { user, ev } of userEventsOf(rec, shard)) {
        put(this.streams, [app, user, shard, ev.seq], msgBytes && ev.type === 'msg' ? encodeWith(ev, 'msg', msgBytes) : encodeValue(ev))
        const h = headsOf(user)
        h[shard] = Math.max(h[shard] ?? 0, ev.seq)
      }
      for (const [user, peer] of a === b ? [[a, a]] : [[a, b], [b, a]]) {
        const v = view(user!, peer!)
        v.rec = { ...viewAfter(v.rec, user!, rec), appliedLsn: lsn }
      }
    }
    for (const v of views.values()) put(this.views, v.key, encodeWith(v.rec, 'lastMsg', v.rec.lastMsg && shared.of(v.rec.lastMsg)))
    for (const [user, h] of heads) put(this.shards, [app, user], encodeValue(h))
  }

  private read<V>(db: Raw, key: Key): V | undefined {
    const bytes = db.getBinary(key)
    return bytes === undefined ? undefined : decodeValue<V>(bytes)
  }
}

function put(db: Raw, key: Key, value: Uint8Array): void {
  void db.put(key, asBinary(value) as unknown as Uint8Array)
}

function checkAscending(s: ShardRef, entries: readonly RecordEntry[]): void {
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.lsn !== entries[i - 1]!.lsn + 1) {
      throw new ParleyError('INTERNAL', `shard ${s.app}/${s.shard}: checkpoint entries skip from LSN ${entries[i - 1]!.lsn} to ${entries[i]!.lsn}`)
    }
  }
}
