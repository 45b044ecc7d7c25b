/**
 * ConvShard: the one writer of every one-to-one conversation that hashes to it
 * (docs/one-writer.md). A send is one step here: check the pair, dedupe in memory, assign the
 * conversation seq and both users' stream seqs, append one record (the only durable write
 * before the answer), and once it is durable answer the sender and push the event to both
 * users' sessions, which send the same bytes to their devices. Sends are pipelined: the next
 * one is decided while earlier appends are in flight; answers and pushes keep append order.
 *
 * Online-only messages (lifeTime 0 or onlineOnly) are not stored: no record, no seq; pushed at
 * once; a retry within the window is answered with the first key and not pushed again.
 */
import { ParleyError } from '../../src/core/errors.js'
import { encode } from '../../src/core/codec.js'
import { eventBytes, eventFrame } from '../../src/protocol/eventBytes.js'
import { c2cConv, type InboxEvent } from '../../src/protocol/events.js'
import { Limits } from '../../src/core/limits.js'
import { isReservedUserId, makeMsgKey, MsgFlags, type StoredMessage, SYSTEM_ACCOUNT } from '../../src/model/message.js'
import type { HistoryResult } from '../../src/protocol/frames.js'
import type { ReadRecord, ReceiptRecord, RecallRecord, ShardRecord } from '../../src/store/ConvIndex.js'
import { isPeerRead } from '../user/conversations.js'
import { PairViews } from './pairViews.js'
import { convShard, orderedPair } from './shardOfPair.js'
import { userEventsOf } from '../../src/store/convEvents.js'
import type { ShardRef } from '../../src/store/ShardLog.js'
import { RecentRandoms } from '../user/recentRandoms.js'
import { userActor } from '../user/protocol.js'
import type { Actor, ActorContext, ConnRef, DeactivationReason } from '../runtime/types.js'
import { type ActorMessage, dispatch, type Handlers, LaterReply } from '../runtime/protocol.js'
import type { ConvShardDeps } from './deps.js'
import { ShardJournal } from './ShardJournal.js'
import { type SendDraft, ShardState } from './ShardState.js'
import type { ConvShardProtocol, ConvShardRequest, ShardSendResult, ShardSyncResult } from './protocol.js'

const IMPORTED_TTL_MS = 5000
const IMPORTED_CAP = 100_000

export class ConvShard implements Actor {
  private readonly s: ShardRef
  private journal!: ShardJournal
  private state!: ShardState
  private views!: PairViews
  /**
   * Users seen imported, with when (ms). Trusted for IMPORTED_TTL_MS: an account deleted since
   * may still receive for that long (the session's delete does not reach the shards yet).
   */
  private readonly imported = new Map<string, number>()
  private readonly onlineOnlySent = new RecentRandoms<{ msgKey: string; time: number }>()

  constructor(private readonly ctx: ActorContext<ConvShardDeps>) {
    this.s = { app: ctx.self.app, shard: Number(ctx.self.key) }
  }

  async onActivate(): Promise<void> {
    await this.open()
  }

  /**
   * (Re)opens the shard from what is durable: its log replayed above the checkpoint, its
   * in-memory state rebuilt lazily from the index. After a failed append (the journal is
   * broken: a record may or may not exist) the next message re-opens it here, so an
   * unavailable store is answered 9012 until it returns, and the shard then heals by itself.
   */
  private async open(): Promise<void> {
    const { checkpointer } = this.ctx.deps
    if (this.journal) checkpointer.forget(this.journal)
    const journal = new ShardJournal(this.s, checkpointer)
    const r = await journal.open()
    if (r.replayed > 0) this.ctx.log.info('shard log replayed', { replayed: r.replayed, ms: Math.round(r.ms), lsn: r.lastLsn })
    this.journal = journal
    this.state = new ShardState(this.s, checkpointer.index)
    this.views = new PairViews(this.s, journal, checkpointer.index)
  }

  /**
   * Idle or shutdown: the thread's Checkpointer indexes what is durable (the next activation
   * finds it checkpointed). Moved or failed: this activation must write nothing more — another
   * owner may already have opened the shard — so its records are left to that owner's replay.
   */
  async onDeactivate(reason: DeactivationReason): Promise<void> {
    if (!this.journal) return
    if (reason === 'moved' || reason === 'failed') {
      this.journal.fail(new Error(`shard ${reason}`))
      this.ctx.deps.checkpointer.forget(this.journal)
    }
  }

  private readonly handlers: Handlers<ConvShardProtocol> = {
    send: (m) => this.onSend(m),
    sync: (m) => this.onSync(m),
    recall: (m) => this.onRecall(m),
    read: (m) => this.onRead(m),
    receipt: (m) => this.onReceipt(m),
    pin: (m) => this.onPin(m),
    deleteConv: (m) => this.onDeleteConv(m),
    history: (m) => this.onHistory(m),
    view: (m) => this.views.view(m.user, m.peer),
    shardsOf: (m) => this.ctx.deps.checkpointer.log.shardsOf(this.s.app, m.user),
    views: (m) => this.views.viewsOf(m.user, (peer) => convShard(this.s.app, m.user, peer, this.ctx.deps.convShards) === this.s.shard),
    notice: (m) => this.onSend({ kind: 'send', from: SYSTEM_ACCOUNT, req: { ...m.req, to: m.to, syncOtherMachine: 2 }, nowMs: m.nowMs }, true),
  }

  async handle(msg: ActorMessage): Promise<unknown> {
    if (this.journal.broken) await this.open()
    return dispatch(this.handlers, msg)
  }

  /** `system`: a notice from SYSTEM_ACCOUNT (no account check; the system keeps no copy). */
  private async onSend(m: ConvShardRequest<'send'>, system = false): Promise<ShardSendResult | LaterReply<ShardSendResult>> {
    const { from, req } = m
    if (m.startBy !== undefined && this.ctx.now() > m.startBy) throw new ParleyError('TIMEOUT', 'the send waited too long to start; nothing was stored')
    if (!system) {
      for (const id of [from, req.to]) {
        if (isReservedUserId(id)) throw new ParleyError('ACCOUNT_INVALID', `${id} is reserved for the server; it sends notices, not one-to-one messages`)
      }
      await this.checkImported(req.to)
    }
    const nowSec = Math.floor(m.nowMs / 1000)
    const time = req.time ?? nowSec
    const msg = {
      msgKey: makeMsgKey(req.msgSeq, req.random, time), from, to: req.to, msgSeq: req.msgSeq, random: req.random, time,
      body: req.body, ...(req.cloudCustomData !== undefined ? { cloudCustomData: req.cloudCustomData } : {}),
      ...(req.needReadReceipt ? { needReadReceipt: true } : {}),
    }
    if (req.onlineOnly || req.lifeTime === 0) return this.sendOnlineOnly(from, msg, m.conn)
    const pending = this.state.prepare(from, req.to, nowSec)
    if (pending) await pending
    const draft: SendDraft = {
      from, to: req.to, msg,
      noSenderCopy: req.syncOtherMachine === 2, noUnread: req.noUnread, noLastMsg: req.noLastMsg,
      ...(req.lifeTime !== undefined ? { expireAt: time + req.lifeTime } : {}),
    }
    const d = this.state.send(draft, nowSec)
    if (d.kind === 'duplicate') return { msgKey: d.first.msgKey, msgTime: d.first.time, seq: d.first.seq, inboxSeq: 0, sh: this.s.shard }
    // The message is encoded once: the record, the index entries and both pushes splice these bytes.
    const msgBytes = encode(d.record.msg)
    const durable = this.journal.append(d.record, msgBytes, this.state.takeFresh())
    return new LaterReply(durable.then(() => {
      for (const { user, ev } of userEventsOf(d.record, this.s.shard)) {
        eventBytes(ev, msgBytes)
        this.push(user, ev, user === from ? m.conn : undefined)
      }
      // With SyncOtherMachine 2 the sender's view holds no copy: no seq there either.
      const seq = draft.noSenderCopy && from !== req.to ? 0 : d.record.msg.seq
      return { msgKey: msg.msgKey, msgTime: time, seq, inboxSeq: d.senderSeq, sh: this.s.shard }
    }))
  }

  private sendOnlineOnly(from: string, msg: SendDraft['msg'], conn: ConnRef | undefined): ShardSendResult {
    const now = this.ctx.now()
    const first = this.onlineOnlySent.get(from, msg.random, now)
    const sh = this.s.shard
    if (first) return { msgKey: first.msgKey, msgTime: first.time, seq: 0, inboxSeq: 0, sh }
    this.onlineOnlySent.remember(from, msg.random, { msgKey: msg.msgKey, time: msg.time }, now)
    const stored = { ...msg, seq: 0, flags: 0 }
    this.push(msg.to, { type: 'msg', seq: 0, conv: c2cConv(from), msg: stored, sh })
    if (msg.to !== from) this.push(from, { type: 'msg', seq: 0, conv: c2cConv(msg.to), msg: stored, sh }, conn)
    return { msgKey: msg.msgKey, msgTime: msg.time, seq: 0, inboxSeq: 0, sh }
  }

  /**
   * The index's events, plus the durable records it may not hold yet (taken first, so that
   * together they cover every record durable when the request arrived).
   */
  private async onSync(m: ConvShardRequest<'sync'>): Promise<ShardSyncResult> {
    const pendingEvents = this.journal.uncheckpointed()
      .flatMap((e) => userEventsOf(e.rec, this.s.shard))
      .filter((u) => u.user === m.user && u.ev.seq > m.after)
      .map((u) => u.ev)
    const indexed = await this.ctx.deps.checkpointer.index.stream(this.s, m.user, m.after, m.limit)
    const bySeq = new Map<number, InboxEvent>()
    for (const ev of indexed) bySeq.set(ev.seq, ev)
    for (const ev of pendingEvents) if (!bySeq.has(ev.seq)) bySeq.set(ev.seq, ev)
    const nowSec = Math.floor(this.ctx.now() / 1000)
    const all = [...bySeq.values()].sort((x, y) => x.seq - y.seq).slice(0, m.limit)
    const head = await this.state.headOf(m.user)
    // A cursor above the head belongs to other data: upTo = head tells the client (docs/protocol.md).
    const upTo = all.length > 0 ? all[all.length - 1]!.seq : m.after > head ? head : m.after
    const events = all.filter((e) => !(e.type === 'msg' && e.expireAt !== undefined && e.expireAt < nowSec))
    return { sh: this.s.shard, events, upTo, more: upTo < head }
  }

  /** Appends `rec`; once durable, pushes its events and resolves. */
  private commit(rec: ShardRecord): LaterReply<void> {
    const durable = this.journal.append(rec, undefined, this.state.takeFresh())
    return new LaterReply(durable.then(() => {
      for (const { user, ev } of userEventsOf(rec, this.s.shard)) this.push(user, ev)
    }))
  }

  private async prepared(user: string, peer: string): Promise<[a: string, b: string]> {
    const p = this.state.prepare(user, peer, Math.floor(this.ctx.now() / 1000))
    if (p) await p
    return orderedPair(user, peer)
  }

  /** The stream seqs of a record for the pair, one per user that gets its event. */
  private streamSeqs(a: string, b: string, gets: (user: string) => boolean): { sa: number; sb: number } {
    const sa = gets(a) ? this.state.takeStreamSeq(a) : 0
    const sb = a !== b && gets(b) ? this.state.takeStreamSeq(b) : 0
    return { sa, sb }
  }

  private async onRecall(m: ConvShardRequest<'recall'>): Promise<void | LaterReply<void>> {
    const msg = await this.views.message(m.user, m.peer, m.msgKey)
    if (!msg) throw new ParleyError('MSG_NOT_FOUND', m.msgKey)
    if (m.as === 'sender') {
      if (msg.from !== m.user) throw new ParleyError('RECALL_NOT_SENDER')
      const window = this.ctx.deps.apps.get(this.s.app)?.recallWindowSeconds ?? Limits.recallWindowSeconds
      if (Math.floor(this.ctx.now() / 1000) - msg.time > window) throw new ParleyError('RECALL_WINDOW_PASSED')
    }
    if (msg.flags === MsgFlags.recalled) return
    const [a, b] = await this.prepared(m.user, m.peer)
    const hiddenFrom = await this.hiddenFrom(a, b, msg)
    const rec: RecallRecord = { t: 'recall', a, b, seq: msg.seq, msgKey: msg.msgKey, from: msg.from, ...this.streamSeqs(a, b, (u) => u !== hiddenFrom) }
    this.state.markRecalled(a, b, msg.seq)
    return this.commit(rec)
  }

  /** The user of the pair who keeps no copy of `msg` (SyncOtherMachine 2), if any. */
  private async hiddenFrom(a: string, b: string, msg: StoredMessage): Promise<string | undefined> {
    if (a === b) return undefined
    const seen = await this.views.history(msg.from, msg.from === a ? b : a, { beforeSeq: msg.seq + 1, limit: 1 }, 0)
    return seen[0]?.seq === msg.seq ? undefined : msg.from
  }

  private async onRead(m: ConvShardRequest<'read'>): Promise<{ readTime: number } | LaterReply<{ readTime: number }>> {
    const [a, b] = await this.prepared(m.user, m.peer)
    const v = await this.views.view(m.user, m.peer)
    const lastSeq = v?.lastSeq ?? 0
    const readSeq = Math.min(m.seq ?? lastSeq, lastSeq)
    const nowSec = Math.floor(this.ctx.now() / 1000)
    const at = readSeq > 0 ? (await this.views.history(m.user, m.peer, { beforeSeq: readSeq + 1, limit: 1 }, 0))[0] : undefined
    const readTime = at?.seq === readSeq ? at.time : nowSec
    if (readSeq <= (v?.readSeq ?? 0) && ((v?.unread ?? 0) === 0 || readSeq < lastSeq)) return { readTime }
    let unread = 0
    if (readSeq < lastSeq) {
      const newer = await this.views.history(m.user, m.peer, { beforeSeq: lastSeq + 1, limit: lastSeq - readSeq }, v?.clearedSeq ?? 0)
      unread = newer.filter((x) => x.seq > readSeq && x.from === m.peer && x.flags !== MsgFlags.recalled).length
    }
    const peerView = await this.views.view(m.peer, m.user)
    const peerLearns = m.peer !== m.user && readTime > (peerView?.peerReadTime ?? -1)
    const rec: ReadRecord = {
      t: 'read', a, b, reader: m.user, readSeq: Math.max(readSeq, v?.readSeq ?? 0), unread, readTime,
      ...this.streamSeqs(a, b, (u) => u === m.user || peerLearns),
    }
    const done = this.commit(rec)
    return new LaterReply(done.promise.then(() => ({ readTime })))
  }

  private async onReceipt(m: ConvShardRequest<'receipt'>): Promise<void | LaterReply<void>> {
    const seqs: number[] = []
    const keys: string[] = []
    for (const key of m.msgKeys) {
      const msg = await this.views.message(m.user, m.peer, key)
      if (msg && msg.from === m.peer && !msg.peerRead && !keys.includes(msg.msgKey)) {
        seqs.push(msg.seq)
        keys.push(msg.msgKey)
      }
    }
    if (seqs.length === 0) return
    const [a, b] = await this.prepared(m.user, m.peer)
    const rec: ReceiptRecord = { t: 'receipt', a, b, reader: m.user, seqs, msgKeys: keys, ...this.streamSeqs(a, b, (u) => u === m.peer) }
    return this.commit(rec)
  }

  private async onPin(m: ConvShardRequest<'pin'>): Promise<void | LaterReply<void>> {
    const [a, b] = await this.prepared(m.user, m.peer)
    const v = await this.views.view(m.user, m.peer)
    if ((v?.pinned ?? false) === m.pinned) return
    return this.commit({ t: 'conv', a, b, user: m.user, pinned: m.pinned, ...this.streamSeqs(a, b, (u) => u === m.user) })
  }

  private async onDeleteConv(m: ConvShardRequest<'deleteConv'>): Promise<void | LaterReply<void>> {
    const [a, b] = await this.prepared(m.user, m.peer)
    return this.commit({
      t: 'conv', a, b, user: m.user, deleted: true, ...(m.clearHistory ? { clear: true } : {}),
      ...this.streamSeqs(a, b, (u) => u === m.user),
    })
  }

  private async onHistory(m: ConvShardRequest<'history'>): Promise<HistoryResult> {
    const v = await this.views.view(m.user, m.peer)
    const list = await this.views.history(m.user, m.peer, {
      ...(m.before !== undefined ? { beforeSeq: m.before } : {}), limit: m.limit,
      ...(m.minTime !== undefined ? { minTime: m.minTime } : {}), ...(m.maxTime !== undefined ? { maxTime: m.maxTime } : {}),
    }, v?.clearedSeq ?? 0)
    const messages = list.map((x) => ({ ...x, peerRead: isPeerRead(v, x, m.user) }))
    return { messages, complete: list.length < m.limit }
  }

  private push(user: string, ev: InboxEvent, except?: ConnRef): void {
    this.ctx.tell(userActor(this.s.app, user), { kind: 'pushFrame', frame: eventFrame(ev), ...(except ? { except } : {}) })
  }

  /** Refuses a send to a user who was never imported (20003); a positive answer is remembered. */
  private async checkImported(user: string): Promise<void> {
    const now = this.ctx.now()
    const seen = this.imported.get(user)
    if (seen !== undefined && now - seen < IMPORTED_TTL_MS) return
    const acc = await this.ctx.deps.accounts.get(this.s.app, user)
    if (!acc) throw new ParleyError('ACCOUNT_INVALID', `${user} is not imported`)
    if (this.imported.size >= IMPORTED_CAP) this.imported.clear()
    this.imported.set(user, now)
  }
}
