/**
 * UserSession: one virtual actor per (app, user). Owns the user's online devices, inbox
 * sequence, conversation list and view of every one-to-one conversation. It is the single
 * writer of all of the user's MessageStore keys, so it assigns inbox and conversation
 * sequence numbers without locks. Every state change is committed durably before it is
 * pushed or answered. It never awaits another actor (sends are coordinated outside actors,
 * see src/services/c2c.ts), so two users sending to each other cannot deadlock.
 */
import { CodedError, ErrorCatalogue, ParleyError } from '../../src/core/errors.js'
import { encode } from '../../src/core/codec.js'
import { eventFrame } from '../../src/protocol/eventBytes.js'
import { c2cConv, type ConvId, type InboxEvent } from '../../src/protocol/events.js'
import { CloseCodes, type ConvsResult, type HistoryResult, type SyncResult } from '../../src/protocol/frames.js'
import type { Platform } from '../../src/model/platform.js'
import { Limits } from '../../src/core/limits.js'
import { isReservedUserId, MsgFlags, type StoredMessage } from '../../src/model/message.js'
import type { AccountRecord } from '../../src/store/AccountStore.js'
import type { ConversationRecord, UserCommit, UserRef } from '../../src/store/MessageStore.js'
import type { ActorDeps } from '../deps.js'
import { groupTopic } from '../topic.js'
import type { Actor, ActorContext, ConnRef, DeactivationReason } from '../runtime/types.js'
import { type ActorMessage, dispatch, type Handlers, LaterReply } from '../runtime/protocol.js'
import type { AttachResult, DeliverResult, DeliveryOptions, MessageDraft, StatusResult, UnreadResult, UserProtocol, UserRequest } from './protocol.js'
import {
  emptyConversation, isPeerRead, recalled, sortedViews, withMessage,
} from './conversations.js'
import { RecentRandoms } from './recentRandoms.js'

interface Device { conn: ConnRef; platform: Platform; since: number }

export class UserSession implements Actor {
  private readonly owner: UserRef
  private account: AccountRecord | undefined
  private inboxSeq = 0
  private readonly convs = new Map<ConvId, ConversationRecord>()
  private readonly devices = new Map<string, Device>()
  /** Online-only messages pushed lately, by MsgRandom: a retry is answered, not pushed again. */
  private readonly onlineOnlySent = new RecentRandoms<{ msgKey: string; time: number }>()
  /** Set when a commit failed: the in-memory state may be ahead of the store. */
  private broken = false

  constructor(private readonly ctx: ActorContext<ActorDeps>) {
    this.owner = { app: ctx.self.app, user: ctx.self.key }
  }

  async onActivate(): Promise<void> {
    const { accounts, messages, connections } = this.ctx.deps
    // The head first: reading it completes a commit that a previous activation (on another
    // node, before a move or a crash) decided but had not finished writing. Only then are
    // the conversation records current; read in parallel, a stale lastSeq could hand out a
    // conversation seq twice.
    const seq = await messages.lastInboxSeq(this.owner)
    const [account, convs, devices] = await Promise.all([
      accounts.get(this.owner.app, this.owner.user),
      messages.listConversations(this.owner),
      connections.list(this.owner.app, this.owner.user),
    ])
    this.account = account
    this.inboxSeq = seq
    for (const c of convs) this.convs.set(c.conv, c)
    for (const d of devices) this.devices.set(connKey(d.conn), { conn: d.conn, platform: d.platform, since: d.since })
    // A previous activation on a node that was killed may have committed events it never
    // pushed, and a retried send is then answered from the stored copy without a push. So the
    // newest event goes to the devices already online: one that missed the tail sees a gap and
    // catches up from its cursor; one that has it ignores it (the SDK drops seqs it holds).
    if (seq > 0 && this.devices.size > 0) {
      const [head] = await messages.readInbox(this.owner, seq - 1, 1)
      if (head !== undefined) this.pushAll(head)
    }
  }

  /**
   * Devices live only in this activation. After a fault the next activation would not know
   * them, so they are told to reconnect (4103), which re-attaches them and catches them up.
   */
  async onDeactivate(reason: DeactivationReason): Promise<void> {
    if (reason === 'failed') this.dropAllDevices(CloseCodes.SESSION_RESTARTED, 'session restarted; reconnect')
  }

  /** With a durable connection registry (cluster mode) the devices outlive this activation. */
  canDeactivate(): boolean {
    return this.devices.size === 0 || this.ctx.deps.connections.durable
  }

  /** One handler per message of the UserSession protocol (actors/user/protocol.ts). */
  private readonly handlers: Handlers<UserProtocol> = {
    attach: (m) => this.onAttach(m),
    detach: (m) => this.onDetach(m),
    topics: (m) => this.onTopics(m),
    deliver: (m) => this.inTime(m.startBy, () => this.onMessage(m.msg, m.opts, true, m.seq)),
    recordSent: (m) => this.inTime(m.startBy, () => m.reserveOnly ? this.onReserve(m.msg) : this.onMessage(m.msg, m.opts, false, m.seq)),
    sync: (m) => this.onSync(m),
    history: (m) => this.onHistory(m),
    recall: (m) => this.onRecall(m),
    read: (m) => this.onRead(m),
    peerRead: (m) => this.onPeerRead(m),
    pushFrame: (m) => this.onPushFrame(m),
    convs: () => this.onConvs(),
    pin: (m) => this.onPin(m),
    deleteConv: (m) => this.onDeleteConv(m),
    kick: () => this.onKick(),
    status: () => this.onStatus(),
    importAccount: (m) => this.onImportAccount(m),
    deleteAccount: () => this.onDeleteAccount(),
    checkAccount: () => ({ imported: this.account !== undefined }),
    unread: (m) => this.onUnread(m),
  }

  handle(msg: ActorMessage): Promise<unknown> {
    if (this.broken) return Promise.reject(new Error('session state is stale after a failed commit; restarting'))
    return dispatch(this.handlers, msg)
  }

  /** Runs `step`, unless its asker's deadline to start (`startBy`, wall-clock ms) has passed: then TIMEOUT, nothing changed. */
  private inTime<T>(startBy: number | undefined, step: () => Promise<T>): Promise<T> {
    if (startBy !== undefined && this.ctx.now() > startBy) return Promise.reject(new ParleyError('TIMEOUT', 'the send waited too long to start; nothing was stored'))
    return step()
  }

  private nowSec(): number {
    return Math.floor(this.ctx.now() / 1000)
  }

  private conv(id: ConvId): ConversationRecord {
    return this.convs.get(id) ?? emptyConversation(id)
  }

  /** Commits durably and waits for it; see `persist`. */
  private async commit(c: UserCommit): Promise<void> {
    await this.persist(c)
  }

  /**
   * Makes the new records current at once and starts the durable commit, returning its
   * promise; the store applies one owner's commits in call order. A failed commit may still
   * have been decided by the store (Cassandra decides, then applies), so in-memory counters
   * can no longer be trusted: the session marks itself broken, the failure surfaces as a
   * fault, the host discards this activation, and the next message reloads it from the store.
   */
  private persist(c: UserCommit): Promise<void> {
    for (const r of c.conversations ?? []) this.convs.set(r.conv, r)
    return this.ctx.deps.messages.commit(this.owner, c).catch((e: unknown) => {
      this.broken = true
      // An unavailable store is answered as such (9012, retryable); the next message reloads.
      if (e instanceof CodedError && e.code === ErrorCatalogue.STORE_UNAVAILABLE.code) throw e
      throw new Error(`store commit failed for ${this.owner.app}/${this.owner.user}: ${String(e)}`)
    })
  }

  private pushAll(ev: InboxEvent): void {
    if (this.devices.size === 0) return
    // The store already encoded this event for the disk (eventBytes.ts): the frame reuses it.
    const bytes = eventFrame(ev)
    for (const d of this.devices.values()) this.ctx.push(d.conn, bytes)
  }

  private onPushFrame(m: UserRequest<'pushFrame'>): void {
    const skip = m.except && connKey(m.except)
    for (const [key, d] of this.devices) if (key !== skip) this.ctx.push(d.conn, m.frame)
  }

  private nextEvent<E extends InboxEvent>(ev: Omit<E, 'seq'>): E {
    return { ...ev, seq: ++this.inboxSeq } as E
  }

  /**
   * Registers a device and subscribes it to the topics of the user's groups (read from the
   * joined-group index) before replying. Joins and leaves reach this session as `topics`
   * messages; every subscription change for a connection leaves from here, so its thread
   * applies them in order.
   */
  private onAttach(m: UserRequest<'attach'>): Promise<AttachResult> {
    return this.ensureImported().then(() => {
      if (m.sigTime < (this.account?.kickedAt ?? 0)) throw new ParleyError('SIG_INVALIDATED')
      const policy = this.ctx.deps.apps.get(this.owner.app)?.multiLogin ?? 'perPlatform'
      const kicked: ConnRef[] = []
      const self = connKey(m.conn)
      for (const [key, d] of this.devices) {
        // The same connection again (an attach resent after a node failure, its first copy
        // registered by the previous activation) is this device, not an older one.
        if (key === self) continue
        if (policy === 'single' || (policy === 'perPlatform' && d.platform === m.platform)) {
          this.disconnect(d.conn, CloseCodes.KICKED_OTHER_LOGIN, `kicked by a newer login on ${m.platform}`)
          this.devices.delete(key)
          kicked.push(d.conn)
        }
      }
      const since = this.ctx.now()
      this.devices.set(connKey(m.conn), { conn: m.conn, platform: m.platform, since })
      const { connections } = this.ctx.deps
      connections.remove(this.owner.app, this.owner.user, kicked)
      const { app, user } = this.owner
      return Promise.all([
        connections.add(app, user, { conn: m.conn, platform: m.platform, since, sigTime: m.sigTime }),
        this.ctx.deps.groups.joinedGroups(app, user),
      ]).then(([, joined]) => {
        if (joined.length) this.ctx.subscribe(m.conn, joined.map((g) => groupTopic(app, g.groupId)), true)
        return { inboxSeq: this.inboxSeq }
      })
    })
  }

  private async ensureImported(): Promise<void> {
    if (this.account) return
    refuseReserved(this.owner.user)
    const rec: AccountRecord = { userId: this.owner.user, createdAt: this.nowSec(), kickedAt: 0 }
    await this.ctx.deps.accounts.put(this.owner.app, rec)
    this.account = rec
  }

  private disconnect(conn: ConnRef, code: number, reason: string): void {
    this.ctx.disconnect(conn, code, reason, encode({ op: 'bye', code, reason }))
  }

  private onTopics(m: UserRequest<'topics'>): void {
    for (const d of this.devices.values()) this.ctx.subscribe(d.conn, m.topics, m.on)
  }

  private onDetach(m: UserRequest<'detach'>): void {
    if (this.devices.delete(connKey(m.conn))) this.ctx.deps.connections.remove(this.owner.app, this.owner.user, [m.conn])
  }

  /**
   * Stores a message in this user's view (incoming = deliver, else the sender's copy).
   * Duplicates — the same MsgRandom in the same direction within the dedupe window, or the
   * same MsgKey in the conversation — answer with the stored copy and change nothing.
   */
  private async onMessage(draft: MessageDraft, opts: DeliveryOptions, incoming: boolean, givenSeq?: number): Promise<DeliverResult | LaterReply<DeliverResult>> {
    if (!this.account) throw new ParleyError('ACCOUNT_INVALID', `${this.owner.user} is not imported`)
    const conv = c2cConv(incoming ? draft.from : draft.to)
    const scope = dedupeScope(conv, incoming)
    if (opts.onlineOnly) {
      // A retry (same MsgRandom, same direction) answers with the first key and is not pushed
      // again; remembered for this activation only, as the message itself is not stored.
      const now = this.ctx.now()
      const first = this.onlineOnlySent.get(scope, draft.random, now)
      if (first) return { ...first, seq: 0, inboxSeq: 0, duplicate: true }
      this.onlineOnlySent.remember(scope, draft.random, { msgKey: draft.msgKey, time: draft.time }, now)
      this.pushAll({ type: 'msg', seq: 0, conv, msg: { ...draft, seq: 0, flags: 0 } })
      return { msgKey: draft.msgKey, time: draft.time, seq: 0, inboxSeq: 0, duplicate: false }
    }
    // A seq the sequencer assigned beyond this view's last seq cannot be stored here yet (seqs
    // only grow: every stored message raised lastSeq, and deletes and clears keep it), and a
    // retry of the same message carries the seq the sequencer gave it first: no store reads.
    if (givenSeq === undefined || givenSeq <= this.conv(conv).lastSeq) {
      const dup = await this.findDuplicate(conv, scope, draft)
      if (dup) return { ...dup, inboxSeq: 0, duplicate: true }
    }
    const rec = this.conv(conv)
    const stored: StoredMessage = { ...draft, seq: givenSeq ?? rec.lastSeq + 1, flags: 0 }
    const expireAt = opts.lifeTime !== undefined ? draft.time + opts.lifeTime : undefined
    const ev = this.nextEvent<Extract<InboxEvent, { type: 'msg' }>>({ type: 'msg', conv, msg: stored, expireAt })
    // Only the view that sequences keeps a MsgRandom record: it alone sees a retry's fresh
    // msgKey (a new time); the other view is given the first copy's msgKey, which findByKey finds.
    const durable = this.persist({
      inbox: [ev],
      messages: [{ conv, msg: stored }],
      conversations: [withMessage(rec, stored, { incoming, noUnread: opts.noUnread, noLastMsg: opts.noLastMsg })],
      dedupe: givenSeq === undefined
        ? [{ conv: scope, random: draft.random, record: { msgKey: draft.msgKey, time: this.nowSec(), first: { seq: stored.seq, msgTime: draft.time } } }]
        : undefined,
    })
    // Pipelined: the next message is handled while this one is flushed; the push and the
    // reply wait for durability.
    return new LaterReply(durable.then(() => {
      this.pushAll(ev)
      return { msgKey: draft.msgKey, time: draft.time, seq: stored.seq, inboxSeq: ev.seq, duplicate: false }
    }))
  }

  /**
   * The sequencer reserves the next seq for a message it keeps no copy of. The MsgRandom
   * record remembers the reservation, so a retry gets the same key, time and seq, and the
   * receiver's view, given a seq it already holds, finds its copy instead of storing another.
   */
  private async onReserve(draft: MessageDraft): Promise<DeliverResult> {
    if (!this.account) throw new ParleyError('ACCOUNT_INVALID', `${this.owner.user} is not imported`)
    const conv = c2cConv(draft.to)
    const scope = dedupeScope(conv, false)
    const dup = await this.findDuplicate(conv, scope, draft)
    if (dup) return { ...dup, inboxSeq: 0, duplicate: true }
    const rec = this.conv(conv)
    const seq = rec.lastSeq + 1
    await this.commit({
      conversations: [{ ...rec, lastSeq: seq }],
      dedupe: [{ conv: scope, random: draft.random, record: { msgKey: draft.msgKey, time: this.nowSec(), first: { seq, msgTime: draft.time } } }],
    })
    return { msgKey: draft.msgKey, time: draft.time, seq, inboxSeq: 0, duplicate: false }
  }

  /**
   * The first copy of `draft` in this view: by its MsgKey, or by its MsgRandom within the
   * dedupe window. A copy still held answers (and tells whether it was recalled); else the
   * sequencer's MsgRandom record answers with the seq and time the message first got, so a
   * retry after this view cleared the conversation (or kept no copy) takes no new seq.
   */
  private async findDuplicate(conv: ConvId, scope: string, draft: MessageDraft): Promise<Omit<DeliverResult, 'inboxSeq' | 'duplicate'> | undefined> {
    const { messages } = this.ctx.deps
    const fromCopy = (m: StoredMessage) => {
      const base = { msgKey: m.msgKey, time: m.time, seq: m.seq }
      return m.flags === MsgFlags.recalled ? { ...base, recalled: true } : base
    }
    const [same, d] = await Promise.all([messages.findByKey(this.owner, conv, draft.msgKey), messages.getDedupe(this.owner, scope, draft.random)])
    if (same) return fromCopy(same)
    if (!d || this.nowSec() - d.time > Limits.dedupeWindowSeconds) return undefined
    const found = await messages.findByKey(this.owner, conv, d.msgKey)
    if (found) return fromCopy(found)
    return d.first && { msgKey: d.msgKey, time: d.first.msgTime, seq: d.first.seq }
  }

  private async onSync(m: UserRequest<'sync'>): Promise<SyncResult> {
    const read = await this.ctx.deps.messages.readInbox(this.owner, m.after, m.limit)
    const now = this.nowSec()
    const events = read.filter((e) => !(e.type === 'msg' && e.expireAt !== undefined && e.expireAt < now))
    const upTo = read.length > 0 ? read[read.length - 1].seq : Math.max(m.after, 0)
    return { events, upTo, more: read.length === m.limit && upTo < this.inboxSeq }
  }

  private async onHistory(m: UserRequest<'history'>): Promise<HistoryResult> {
    const conv = c2cConv(m.peer)
    const rec = this.convs.get(conv)
    const list = await this.ctx.deps.messages.readHistory(this.owner, conv, {
      beforeSeq: m.before, minTime: m.minTime, maxTime: m.maxTime, limit: m.limit,
    })
    const messages = list.map((x) => ({ ...x, peerRead: isPeerRead(rec, x, this.owner.user) }))
    return { messages, complete: list.length < m.limit }
  }

  /** Recalls a message in this user's view; idempotent. `found: false` only for peer/admin. */
  private async onRecall(m: UserRequest<'recall'>): Promise<{ found: boolean }> {
    const conv = c2cConv(m.peer)
    const msg = await this.ctx.deps.messages.findByKey(this.owner, conv, m.msgKey)
    if (!msg) {
      if (m.as !== 'sender') return { found: false }
      throw new ParleyError('MSG_NOT_FOUND', m.msgKey)
    }
    if (m.as === 'sender') {
      if (msg.from !== this.owner.user) throw new ParleyError('RECALL_NOT_SENDER')
      const window = this.ctx.deps.apps.get(this.owner.app)?.recallWindowSeconds ?? Limits.recallWindowSeconds
      if (this.nowSec() - msg.time > window) throw new ParleyError('RECALL_WINDOW_PASSED')
    } else if (m.as === 'peer' && msg.from !== m.peer) {
      return { found: false }
    }
    if (msg.flags === 8) return { found: true }
    const rec = this.conv(conv)
    const unreadDrop = msg.from === m.peer && msg.seq > rec.readSeq && rec.unread > 0 ? 1 : 0
    const gone = recalled(msg)
    const ev = this.nextEvent<Extract<InboxEvent, { type: 'recall' }>>({ type: 'recall', conv, msgKey: m.msgKey, convSeq: msg.seq })
    const newRec = { ...rec, unread: rec.unread - unreadDrop, lastMsg: rec.lastMsg?.msgKey === m.msgKey ? gone : rec.lastMsg }
    await this.commit({ inbox: [ev], messages: [{ conv, msg: gone }], conversations: [newRec] })
    this.pushAll(ev)
    return { found: true }
  }

  /** This user read `peer`'s conversation up to `seq` (default: everything). Returns the read time. */
  private async onRead(m: UserRequest<'read'>): Promise<{ readTime: number }> {
    const conv = c2cConv(m.peer)
    const rec = this.conv(conv)
    const readSeq = Math.min(m.seq ?? rec.lastSeq, rec.lastSeq)
    const { messages } = this.ctx.deps
    const at = readSeq > 0 ? await messages.getMessage(this.owner, conv, readSeq) : undefined
    const readTime = at?.time ?? this.nowSec()
    if (readSeq <= rec.readSeq && (rec.unread === 0 || readSeq < rec.lastSeq)) return { readTime }
    let unread = 0
    if (readSeq < rec.lastSeq) {
      const newer = await messages.readHistory(this.owner, conv, { beforeSeq: rec.lastSeq + 1, limit: rec.lastSeq - readSeq })
      unread = newer.filter((x) => x.seq > readSeq && x.from === m.peer && x.flags !== 8).length
    }
    const ev = this.nextEvent<Extract<InboxEvent, { type: 'read' }>>({ type: 'read', conv, readSeq })
    await this.commit({ inbox: [ev], conversations: [{ ...rec, readSeq: Math.max(readSeq, rec.readSeq), unread }] })
    this.pushAll(ev)
    return { readTime }
  }

  /** The peer read this user's messages: by time (read report) or by key (receipts). */
  private async onPeerRead(m: UserRequest<'peerRead'>): Promise<void> {
    const conv = c2cConv(m.peer)
    const rec = this.conv(conv)
    const updates: { conv: ConvId; msg: StoredMessage }[] = []
    for (const key of m.msgKeys ?? []) {
      const f = await this.ctx.deps.messages.findByKey(this.owner, conv, key)
      if (f && f.from === this.owner.user && !f.peerRead) updates.push({ conv, msg: { ...f, peerRead: true } })
    }
    const newTime = m.upToTime !== undefined && m.upToTime > (rec.peerReadTime ?? -1) ? m.upToTime : undefined
    if (updates.length === 0 && newTime === undefined) return
    const ev = this.nextEvent<Extract<InboxEvent, { type: 'peerRead' }>>({
      type: 'peerRead', conv, msgKeys: updates.length ? updates.map((u) => u.msg.msgKey) : undefined, upToTime: newTime,
    })
    const conversations = newTime !== undefined ? [{ ...rec, peerReadTime: newTime }] : []
    await this.commit({ inbox: [ev], messages: updates, conversations })
    this.pushAll(ev)
  }

  private onConvs(): ConvsResult {
    const conversations = sortedViews(this.convs.values(), this.owner.user)
    return { conversations, totalUnread: conversations.reduce((n, c) => n + c.unread, 0) }
  }

  private async onPin(m: UserRequest<'pin'>): Promise<void> {
    const conv = c2cConv(m.peer)
    const rec = this.conv(conv)
    if (rec.pinned === m.pinned) return
    const ev = this.nextEvent<Extract<InboxEvent, { type: 'conv' }>>({ type: 'conv', conv, pinned: m.pinned })
    await this.commit({ inbox: [ev], conversations: [{ ...rec, pinned: m.pinned }] })
    this.pushAll(ev)
  }

  private async onDeleteConv(m: UserRequest<'deleteConv'>): Promise<void> {
    const conv = c2cConv(m.peer)
    const rec = this.conv(conv)
    const ev = this.nextEvent<Extract<InboxEvent, { type: 'conv' }>>({ type: 'conv', conv, deleted: true })
    const newRec = { ...rec, deleted: true, unread: 0, readSeq: rec.lastSeq, pinned: false, lastMsg: m.clearHistory ? undefined : rec.lastMsg }
    await this.commit({ inbox: [ev], conversations: [newRec], clearHistory: m.clearHistory ? [conv] : undefined })
    this.pushAll(ev)
  }

  /** Invalidates every UserSig issued before now and closes every device (REST kick). */
  private async onKick(): Promise<void> {
    if (!this.account) throw new ParleyError('ACCOUNT_NOT_IMPORTED', this.owner.user)
    const rec = { ...this.account!, kickedAt: this.nowSec() }
    await this.ctx.deps.accounts.put(this.owner.app, rec)
    this.account = rec
    this.dropAllDevices(CloseCodes.KICKED_BY_ADMIN, 'kicked by the app backend')
  }

  private dropAllDevices(code: number, reason: string): void {
    for (const d of this.devices.values()) this.disconnect(d.conn, code, reason)
    this.ctx.deps.connections.remove(this.owner.app, this.owner.user, [...this.devices.values()].map((d) => d.conn))
    this.devices.clear()
  }

  private onStatus(): StatusResult {
    const { connections } = this.ctx.deps
    const devices = [...this.devices.values()].filter((d) => connections.isLive(d.conn.node)).map((d) => ({ platform: d.platform, since: d.since }))
    return { online: devices.length > 0, devices }
  }

  private async onImportAccount(m: UserRequest<'importAccount'>): Promise<void> {
    refuseReserved(this.owner.user)
    const base = this.account ?? { userId: this.owner.user, createdAt: this.nowSec(), kickedAt: 0 }
    const rec: AccountRecord = { ...base, nick: m.nick ?? base.nick, faceUrl: m.faceUrl ?? base.faceUrl }
    await this.ctx.deps.accounts.put(this.owner.app, rec)
    this.account = rec
  }

  private async onDeleteAccount(): Promise<{ existed: boolean }> {
    const existed = await this.ctx.deps.accounts.delete(this.owner.app, this.owner.user)
    this.account = undefined
    this.dropAllDevices(CloseCodes.KICKED_BY_ADMIN, 'account deleted')
    return { existed }
  }

  private onUnread(m: UserRequest<'unread'>): UnreadResult {
    const visible = [...this.convs.values()].filter((r) => !r.deleted && r.conv.startsWith('c2c:'))
    const total = visible.reduce((n, r) => n + r.unread, 0)
    const peers = (m.peers ?? visible.map((r) => r.conv.slice(4))).map((peer) => ({ peer, unread: this.convs.get(c2cConv(peer))?.unread ?? 0 }))
    return { total, peers }
  }
}

/**
 * MsgRandom dedupe is per direction: the peer may pick the same random for a reply. The
 * suffix uses a control character, which no UserID may contain, so scopes never collide.
 */
function dedupeScope(conv: ConvId, incoming: boolean): string {
  return incoming ? conv : `${conv}\u0001sent`
}

/** No account is created under a server-reserved UserID (INVALID_PARAMS, 70402). */
function refuseReserved(user: string): void {
  if (isReservedUserId(user)) throw new ParleyError('INVALID_PARAMS', `UserID ${user} is reserved for the server`)
}

function connKey(c: ConnRef): string {
  return `${c.node}/${c.thread}/${c.conn}`
}

