/**
 * Reads of one pair as the shard sees it: the index's answer with the shard's durable records
 * that are not checkpointed yet folded in (the same folds the index applies), so an answer
 * never misses a record that was acknowledged. Records pending are snapshotted before the index
 * is read, so each record is counted: views skip records at or below their `appliedLsn`;
 * message flags (recalled, peer-read) are idempotent.
 */
import type { StoredMessage } from '../../src/model/message.js'
import type { ConvIndex, RecordEntry } from '../../src/store/ConvIndex.js'
import { recalledCopy, viewAfter } from '../../src/store/convEvents.js'
import type { ConversationRecord } from '../../src/store/MessageStore.js'
import type { ShardRef } from '../../src/store/ShardLog.js'
import type { ShardJournal } from './ShardJournal.js'
import { orderedPair } from './shardOfPair.js'

export class PairViews {
  constructor(private readonly s: ShardRef, private readonly journal: ShardJournal, private readonly index: ConvIndex) {}

  private pending(a: string, b: string): RecordEntry[] {
    return this.journal.uncheckpointed().filter((e) => e.rec.a === a && e.rec.b === b)
  }

  /** `user`'s view of the conversation with `peer`. */
  async view(user: string, peer: string): Promise<ConversationRecord | undefined> {
    const [a, b] = orderedPair(user, peer)
    const pending = this.pending(a, b)
    let v = await this.index.conversation(this.s.app, user, peer)
    for (const e of pending) if (e.lsn > (v?.appliedLsn ?? 0)) v = { ...viewAfter(v, user, e.rec), appliedLsn: e.lsn }
    return v
  }

  /**
   * Every view of `user` in this shard: the index's (those of pairs in this shard) and those
   * that only records not checkpointed yet created, all folded.
   */
  async viewsOf(user: string, inShard: (peer: string) => boolean): Promise<ConversationRecord[]> {
    const pending = this.journal.uncheckpointed().filter((e) => e.rec.a === user || e.rec.b === user)
    const byPeer = new Map<string, ConversationRecord | undefined>()
    for (const v of await this.index.conversations(this.s.app, user)) {
      const peer = v.conv.slice(v.conv.indexOf(':') + 1)
      if (inShard(peer)) byPeer.set(peer, v)
    }
    for (const e of pending) {
      const peer = e.rec.a === user ? e.rec.b : e.rec.a
      const v = byPeer.get(peer)
      if (e.lsn > (v?.appliedLsn ?? 0)) byPeer.set(peer, { ...viewAfter(v, user, e.rec), appliedLsn: e.lsn })
    }
    return [...byPeer.values()].filter((v): v is ConversationRecord => v !== undefined)
  }

  /** The pair's message with `msgKey`, current (recalled and peer-read flags of pending records applied). */
  async message(x: string, y: string, msgKey: string): Promise<StoredMessage | undefined> {
    const [a, b] = orderedPair(x, y)
    const pending = this.pending(a, b)
    let m: StoredMessage | undefined
    for (const e of pending) if (e.rec.t === 'msg' && e.rec.msg.msgKey === msgKey) m = e.rec.msg
    m ??= await this.index.findByKey(this.s.app, a, b, msgKey)
    return m && fold(m, pending)
  }

  /**
   * A page of `viewer`'s history with `peer`, newest first: the index's page and the pending
   * messages, merged by seq, flags folded. `cleared`: the viewer's cleared seq (from `view`,
   * which includes a clear not checkpointed yet); nothing at or below it is returned.
   */
  async history(viewer: string, peer: string, q: { beforeSeq?: number; limit: number; minTime?: number; maxTime?: number }, cleared: number): Promise<StoredMessage[]> {
    const [a, b] = orderedPair(viewer, peer)
    const pending = this.pending(a, b)
    const indexed = await this.index.history(this.s.app, a, b, { ...q, viewer })
    const bySeq = new Map<number, StoredMessage>()
    for (const m of indexed) if (m.seq > cleared) bySeq.set(m.seq, m)
    for (const e of pending) {
      if (e.rec.t !== 'msg') continue
      const m = e.rec.msg
      const hidden = a !== b && (viewer === a ? e.rec.sa : e.rec.sb) === 0
      if (hidden || m.seq <= cleared || bySeq.has(m.seq)) continue
      if (q.beforeSeq !== undefined && m.seq >= q.beforeSeq) continue
      if ((q.maxTime !== undefined && m.time > q.maxTime) || (q.minTime !== undefined && m.time < q.minTime)) continue
      bySeq.set(m.seq, m)
    }
    return [...bySeq.values()].sort((x, y) => y.seq - x.seq).slice(0, q.limit).map((m) => fold(m, pending))
  }
}

function fold(m: StoredMessage, pending: readonly RecordEntry[]): StoredMessage {
  let out = m
  for (const { rec } of pending) {
    if (rec.t === 'recall' && rec.seq === out.seq && out.flags !== 8) out = recalledCopy(out)
    if (rec.t === 'receipt' && rec.seqs.includes(out.seq) && !out.peerRead) out = { ...out, peerRead: true }
  }
  return out
}
