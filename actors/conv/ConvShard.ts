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
import { isReservedUserId, makeMsgKey } from '../../src/model/message.js'
import { userEventsOf } from '../../src/store/convEvents.js'
import type { ShardRef } from '../../src/store/ShardLog.js'
import { RecentRandoms } from '../user/recentRandoms.js'
import { userActor } from '../user/protocol.js'
import type { Actor, ActorContext, ConnRef } from '../runtime/types.js'
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
    const { checkpointer } = this.ctx.deps
    this.journal = new ShardJournal(this.s, checkpointer)
    const r = await this.journal.open()
    if (r.replayed > 0) this.ctx.log.info('shard log replayed', { replayed: r.replayed, ms: Math.round(r.ms), lsn: r.lastLsn })
    this.state = new ShardState(this.s, checkpointer.index)
  }

  async onDeactivate(): Promise<void> {
    // Durable records stay in the log; the thread's Checkpointer indexes them on its schedule.
  }

  private readonly handlers: Handlers<ConvShardProtocol> = {
    send: (m) => this.onSend(m),
    sync: (m) => this.onSync(m),
  }

  handle(msg: ActorMessage): Promise<unknown> {
    if (this.journal.broken) throw new Error(`shard ${this.s.app}/${this.s.shard}: journal broken; re-activating`)
    return dispatch(this.handlers, msg)
  }

  private async onSend(m: ConvShardRequest<'send'>): Promise<ShardSendResult | LaterReply<ShardSendResult>> {
    const { from, req } = m
    for (const id of [from, req.to]) {
      if (isReservedUserId(id)) throw new ParleyError('ACCOUNT_INVALID', `${id} is reserved for the server; it sends notices, not one-to-one messages`)
    }
    await this.checkImported(req.to)
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
    const durable = this.journal.append(d.record, msgBytes)
    return new LaterReply(durable.then(() => {
      for (const { user, ev } of userEventsOf(d.record, this.s.shard)) {
        eventBytes(ev, msgBytes)
        this.push(user, ev, user === from ? m.conn : undefined)
      }
      return { msgKey: msg.msgKey, msgTime: time, seq: d.record.msg.seq, inboxSeq: d.senderSeq, sh: this.s.shard }
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
    const head = this.state.headOf(m.user) ?? Math.max(m.after, all[all.length - 1]?.seq ?? 0, (await this.ctx.deps.checkpointer.index.userShards(this.s.app, m.user))[this.s.shard] ?? 0)
    const upTo = all.length > 0 ? all[all.length - 1]!.seq : Math.max(m.after, 0)
    const events = all.filter((e) => !(e.type === 'msg' && e.expireAt !== undefined && e.expireAt < nowSec))
    return { sh: this.s.shard, events, upTo, more: upTo < head }
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
