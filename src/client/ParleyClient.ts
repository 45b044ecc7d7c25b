/**
 * The Parley client: one logged-in user on one device. It keeps a connection up (login,
 * catch-up, pings, reconnect with backoff), applies the delivery rules (ShardedInbox: one
 * event stream per conversation shard) and surfaces inbox events as typed emitter events.
 * Wire protocol: docs/protocol.md, with the one-to-one frames of wire.ts (docs/one-writer.md).
 *
 * Contracts:
 * - `message` fires once per msgKey, in stream order per conversation shard, for every stored
 *   message of this user except the ones this client sent (their confirmation is `send`'s
 *   promise).
 * - Catch-up: after each login, every shard login lists and every shard with a cursor is
 *   synced from its cursor (ShardCatchUp: concurrently, one run per shard at a time); the
 *   client is `online` once all have reached the server's head. A cursor the server shows to
 *   be from other data restarts at 0 and is reported as CURSOR_RESET (9509).
 * - A request made while not online waits for the next login; a request cut off by a drop is
 *   resent on the next connection as the same frame; either way it fails with 9501 at its
 *   deadline (`requestTimeoutMs` from the call). Sends beyond the server's bound on
 *   unanswered sends (login result `maxSendsInFlight`) wait, in order, for earlier answers.
 * - Close codes 4000–4099 end the session (no reconnect), except a login refused with a
 *   retryable error (9006, 9007, 9008, 20005); every other close reconnects with backoff.
 * - `groupMessage` fires once per stored group message, in seq order per group, except this
 *   device's own sends; while it has a listener, each login catches the joined groups up
 *   (groupChannel.ts).
 */
import type { InboxEvent } from '../protocol/events.js'
import type { ClientFrame, ConvsResult, HistoryResult, ServerFrame } from '../protocol/frames.js'
import type { MsgElement } from '../model/message.js'
import type { GroupJoinRequest, JoinedGroup } from '../protocol/groupViews.js'
import { Connection } from './Connection.js'
import { ShardCursorPersistence } from './cursor.js'
import { text } from './elements.js'
import { Emitter, type Listener } from './Emitter.js'
import { ClientErrorCodes, ParleyClientError } from './errors.js'
import {
  type CreateGroupOptions, type GroupChanges, GroupChannel, type GroupHistoryResult, type GroupInfo, type GroupInviteResult,
  type GroupMemberChanges, type GroupMembersPage, type GroupReadState, type GroupSendOptions, type GroupSentMessage, type GroupUnread,
} from './groupChannel.js'
import { type BackoffOptions, classifyClose, DefaultBackoff, reconnectDelay } from './reconnect.js'
import { DEFAULT_SEND_WINDOW, RequestTable } from './RequestTable.js'
import { randomU32, sentFromResult } from './sent.js'
import { ShardCatchUp } from './ShardCatchUp.js'
import { ShardedInbox } from './ShardedInbox.js'
import { surfaceOf } from './surface.js'
import { FrameCodec, resolveWebSocket, type WebSocketConstructor } from './transport.js'
import type {
  ConnectionState, ParleyClientEvents, ParleyClientOptions, SendOptions, SentMessage,
} from './types.js'
import type { LoginResult, SendResult, SyncResult, WireFrame } from './wire.js'

/** An app request before the client assigns its rid (sync pages are the catch-up's). */
type Request = Exclude<ClientFrame, { op: 'sync' }> extends infer F ? (F extends unknown ? Omit<F, 'rid'> : never) : never

/** Delay before re-syncing a gap that the previous sync did not narrow, ms. */
const GapRetryMs = 1000
/** Shard sync runs in flight at once (a user has at most the server's shard count, 64 by default). */
const MaxConcurrentShardSyncs = 16

export class ParleyClient {
  private readonly o: Required<Pick<ParleyClientOptions, 'platform' | 'pingIntervalMs' | 'requestTimeoutMs' | 'syncPageSize'>>
  private readonly backoff: BackoffOptions | false
  private readonly Impl: WebSocketConstructor
  private readonly codec: FrameCodec
  private readonly emitter = new Emitter<ParleyClientEvents>((err) => queueMicrotask(() => { throw err }))
  private readonly inbox: ShardedInbox
  private readonly requests: RequestTable
  private readonly groups: GroupChannel
  private conn: Connection | undefined
  /** Bumped per connection attempt and by close(): a stale attempt's callbacks see a different value. */
  private gen = 0
  private rid = 0
  private st: ConnectionState = 'idle'
  private attempt = 0
  private readonly cursorStore: ShardCursorPersistence
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined
  /** The one-to-one catch-up of the current logged-in connection. */
  private catchUp: ShardCatchUp | undefined
  private readonly urls: string[]
  /** Connection attempts so far; attempt n uses urls[n % urls.length]. */
  private opens = 0
  private waiters: Array<{ resolve: () => void; reject: (e: ParleyClientError) => void }> = []

  constructor(private readonly opts: ParleyClientOptions) {
    this.urls = typeof opts.url === 'string' ? [opts.url] : [...opts.url]
    if (this.urls.length === 0 || this.urls.some((u) => typeof u !== 'string' || u === '')) throw new TypeError('url is required')
    if (!Number.isSafeInteger(opts.sdkAppId) || opts.sdkAppId <= 0) throw new TypeError('sdkAppId must be a positive integer')
    if (typeof opts.userId !== 'string' || opts.userId === '') throw new TypeError('userId is required')
    if (opts.userSig === undefined && opts.getUserSig === undefined) throw new TypeError('userSig or getUserSig is required')
    this.o = {
      platform: opts.platform ?? 'Web',
      pingIntervalMs: opts.pingIntervalMs ?? 30_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 15_000,
      syncPageSize: Math.min(100, Math.max(1, opts.syncPageSize ?? 100)),
    }
    this.backoff = opts.reconnect === false ? false : { ...DefaultBackoff, ...opts.reconnect }
    this.Impl = resolveWebSocket(opts.WebSocketImpl)
    this.codec = new FrameCodec(opts.encoding ?? 'msgpack', opts.maxFrameBytes ?? 64 * 1024)
    this.inbox = new ShardedInbox({ userId: opts.userId, dedupeCapacity: opts.dedupeCapacity, maxBuffered: opts.maxBufferedEvents })
    this.requests = new RequestTable(this.o.requestTimeoutMs)
    this.cursorStore = new ShardCursorPersistence(opts.cursorStore, (e) => this.emitError(e))
    this.groups = new GroupChannel({
      userId: opts.userId,
      active: () => this.emitter.listenerCount('groupMessage') > 0,
      request: (f) => this.request(f),
      emit: (ev) => this.emitter.emit('groupMessage', ev),
      recalled: (ev) => this.emitter.emit('groupRecall', ev),
      synced: (groups) => this.emitter.emit('groupsSynced', { groups }),
      error: (e) => this.emitError(e),
    })
  }

  get state(): ConnectionState {
    return this.st
  }

  /**
   * By conversation shard, the highest seq of this user's stream there whose event has been
   * surfaced (or skipped as a duplicate); shards at 0 are left out. A fresh object per call.
   */
  get cursor(): Record<number, number> {
    return this.inbox.cursor()
  }

  get userId(): string {
    return this.opts.userId
  }

  on<K extends keyof ParleyClientEvents>(event: K, fn: Listener<ParleyClientEvents[K]>): () => void {
    const off = this.emitter.on(event, fn)
    // Group delivery runs while someone listens; a first listener added online catches up now.
    if (event === 'groupMessage' && this.emitter.listenerCount(event) === 1 && this.st === 'online') void this.groups.catchUp()
    return off
  }

  once<K extends keyof ParleyClientEvents>(event: K, fn: Listener<ParleyClientEvents[K]>): () => void {
    return this.emitter.once(event, fn)
  }

  off<K extends keyof ParleyClientEvents>(event: K, fn: Listener<ParleyClientEvents[K]>): void {
    this.emitter.off(event, fn)
  }

  /**
   * Starts (or, when offline, retries at once) the connection. Resolves when logged in and
   * caught up; rejects if the session ends first (kicked, closed, login refused). Transient
   * failures are retried with backoff meanwhile.
   */
  connect(): Promise<void> {
    if (this.st === 'online') return Promise.resolve()
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }))
    if (this.st !== 'connecting') {
      this.clearTimer('reconnectTimer')
      void this.open()
    }
    return p
  }

  /** Ends the session locally (no reconnect); pending requests fail with 9503. Idempotent. */
  close(): void {
    if (this.st === 'idle' || this.st === 'closed' || this.st === 'kicked') return
    this.gen++
    this.endSession('closed', new ParleyClientError(ClientErrorCodes.CLIENT_CLOSED, 'client closed'))
  }

  /** Tells the server this device logs out (it detaches it), then closes. */
  async logout(): Promise<void> {
    const c = this.conn
    try {
      if (c?.loggedIn) await c.ask({ op: 'logout', rid: ++this.rid }, this.o.requestTimeoutMs)
    } catch (e) {
      // The server closes with 4004 right after answering; losing the answer to that race is success.
      if (!(e instanceof ParleyClientError && e.code === ClientErrorCodes.CONNECTION_LOST)) throw e
    } finally {
      this.close()
    }
  }

  /**
   * Sends `body` to user `to`. Assigns `random` and `msgSeq` (random u32s) unless given; pass
   * the same `random` to retry a send idempotently (the server dedupes it for 24 h). Resolves
   * once the message is durable, with the server's result and the stored message. A send that
   * failed after its echo arrived, or with a retryable code, is sent once more (see `sendOnce`).
   */
  async send(to: string, body: MsgElement[], opts: SendOptions = {}): Promise<SentMessage> {
    return this.sendOnce(to, body, opts, opts.random ?? randomU32(), opts.msgSeq ?? randomU32(), true)
  }

  private async sendOnce(
    to: string, body: MsgElement[], opts: SendOptions, random: number, msgSeq: number, mayResend: boolean,
  ): Promise<SentMessage> {
    this.inbox.expectEcho(to, random)
    try {
      const r = await this.request<SendResult>({ ...opts, op: 'send', to, body, random, msgSeq })
      this.inbox.echoSettled(to, random, r.msgKey)
      return sentFromResult(r, { from: this.opts.userId, to, random, body, opts })
    } catch (e) {
      // A failed send may have stored the message in one view but not the other: the pair's
      // sequencer stores first (and, when that is this user, echoes). So a send that failed
      // after its echo, or with a retryable code, is sent once more with the same random and
      // msgSeq: the server answers from the stored copy and completes the missing step, or
      // the send fails. An echo alone proves only this user's copy.
      const echoed = this.inbox.echoAbandoned(to, random)
      const retryable = e instanceof ParleyClientError && e.retryable
      if ((echoed || retryable) && mayResend) return this.sendOnce(to, body, opts, random, msgSeq, false)
      throw e
    }
  }

  sendText(to: string, content: string, opts?: SendOptions): Promise<SentMessage> {
    return this.send(to, [text(content)], opts)
  }

  /** A page of the conversation with `peer`, newest first, below conversation seq `before`. */
  history(peer: string, q: { before?: number; limit?: number } = {}): Promise<HistoryResult> {
    return this.request({ op: 'history', peer, before: q.before, limit: q.limit })
  }

  /** Recalls this user's message `msgKey` (within the app's recall window). */
  async recall(peer: string, msgKey: string): Promise<void> {
    await this.request({ op: 'recall', peer, msgKey })
  }

  /** Marks the conversation with `peer` read up to conversation seq `seq` (default: all). */
  async read(peer: string, seq?: number): Promise<void> {
    await this.request({ op: 'read', peer, seq })
  }

  /** Read receipts for messages `peer` sent (1..100 keys). */
  async receipt(peer: string, msgKeys: string[]): Promise<void> {
    await this.request({ op: 'receipt', peer, msgKeys })
  }

  conversations(): Promise<ConvsResult> {
    return this.request({ op: 'convs' })
  }

  async pin(peer: string, pinned: boolean): Promise<void> {
    await this.request({ op: 'pin', peer, pinned })
  }

  async deleteConversation(peer: string, clearHistory = false): Promise<void> {
    await this.request({ op: 'deleteConv', peer, clearHistory })
  }

  /** Creates a group owned by this user (and with `members`); resolves with its GroupId. */
  createGroup(o: CreateGroupOptions): Promise<string> { return this.groups.create(o) }
  groupInfo(groupId: string): Promise<GroupInfo> { return this.groups.info(groupId) }
  /** A page of members (owner, admins, members, each by join time); `limit` ≤ 100. */
  groupMembers(groupId: string, page?: { offset?: number; limit?: number }): Promise<GroupMembersPage> { return this.groups.members(groupId, page) }
  modifyGroup(groupId: string, changes: GroupChanges): Promise<GroupInfo> { return this.groups.modify(groupId, changes) }
  inviteToGroup(groupId: string, members: string[]): Promise<GroupInviteResult[]> { return this.groups.invite(groupId, members) }
  /** Removes members of a lower rank; resolves with those removed. */
  kickFromGroup(groupId: string, members: string[]): Promise<string[]> { return this.groups.kick(groupId, members) }
  setGroupMember(groupId: string, member: string, changes: GroupMemberChanges): Promise<void> { return this.groups.setMember(groupId, member, changes) }
  /** Mutes `members` for `muteTime` seconds (0 unmutes, 4294967295 forever). */
  muteGroupMembers(groupId: string, members: string[], muteTime: number): Promise<void> { return this.groups.mute(groupId, members, muteTime) }
  changeGroupOwner(groupId: string, newOwner: string): Promise<void> { return this.groups.changeOwner(groupId, newOwner) }
  destroyGroup(groupId: string): Promise<void> { return this.groups.destroy(groupId) }
  /** The groups this user is in, by GroupId. */
  joinedGroups(): Promise<JoinedGroup[]> { return this.groups.joined() }
  /** The joined groups, each with this user's unread count and read position (the server asks each group). */
  groupUnreadCounts(): Promise<GroupUnread[]> { return this.groups.unread() }
  /** Marks the group read up to group seq `seq` (default: everything); the position never moves back. */
  markGroupRead(groupId: string, seq?: number): Promise<GroupReadState> { return this.groups.markRead(groupId, seq) }
  applyToGroup(groupId: string, message?: string): Promise<'joined' | 'pending'> { return this.groups.apply(groupId, message) }
  /** Pending join requests (owner and admins). */
  groupRequests(groupId: string): Promise<GroupJoinRequest[]> { return this.groups.requests(groupId) }
  handleGroupApply(groupId: string, applicant: string, accept: boolean): Promise<void> { return this.groups.handleApply(groupId, applicant, accept) }
  quitGroup(groupId: string): Promise<void> { return this.groups.quit(groupId) }
  /** Sends to a group; see GroupChannel.send. Does not fire `groupMessage` on this device. */
  sendGroupMessage(groupId: string, body: MsgElement[], opts?: GroupSendOptions): Promise<GroupSentMessage> { return this.groups.send(groupId, body, opts) }
  sendGroupText(groupId: string, content: string, opts?: GroupSendOptions): Promise<GroupSentMessage> { return this.groups.send(groupId, [text(content)], opts) }
  /**
   * Recalls the group message at `seq`: this user's own within the app's recall window, any
   * as owner or admin. Resolves once recalled (or already); members' devices get `groupRecall`.
   */
  recallGroupMessage(groupId: string, seq: number): Promise<void> { return this.groups.recall(groupId, seq) }
  /** A page of the group's messages, newest first, below group seq `before`; `limit` ≤ 100 (default 20). */
  groupHistory(groupId: string, q?: { before?: number; limit?: number }): Promise<GroupHistoryResult> { return this.groups.history(groupId, q) }

  /** Queues a request; written now if logged in, else at the next login. */
  private request<T>(frame: Request): Promise<T> {
    if (this.st === 'idle' || this.st === 'closed' || this.st === 'kicked') {
      return Promise.reject(new ParleyClientError(ClientErrorCodes.NOT_CONNECTED, `${frame.op}: client is ${this.st}; call connect()`))
    }
    const rid = ++this.rid
    let data: Uint8Array | string
    try {
      data = this.codec.encode({ ...frame, rid } as WireFrame)
    } catch (e) {
      return Promise.reject(e)
    }
    const p = this.requests.add(rid, frame.op, data) as Promise<T>
    this.flushRequests()
    return p
  }

  private flushRequests(): void {
    const c = this.conn
    if (c?.loggedIn) this.requests.flush(c.gen, (d) => c.write(d))
  }

  /** One connection attempt: cursor (first time), UserSig, socket. Login follows on open. */
  private async open(): Promise<void> {
    const gen = ++this.gen
    this.setState('connecting')
    if (!this.cursorStore.loaded && !(await this.loadCursor(gen))) return
    let sig: string
    try {
      sig = await this.userSig()
    } catch (e) {
      if (gen !== this.gen) return
      this.emitError(new ParleyClientError(ClientErrorCodes.USERSIG_UNAVAILABLE, 'getUserSig failed', { cause: e }))
      return this.lost()
    }
    if (gen !== this.gen) return
    let ws
    const url = this.urls[this.opens++ % this.urls.length]
    try {
      ws = new this.Impl(url)
    } catch (e) {
      return this.endSession('closed', new ParleyClientError(ClientErrorCodes.NOT_CONNECTED, `cannot open ${url}`, { cause: e }))
    }
    const conn: Connection = new Connection(gen, ws, this.codec, {
      open: () => void this.login(conn, sig),
      frame: (f) => this.onFrame(conn, f),
      badFrame: () => this.emitError(new ParleyClientError(ClientErrorCodes.BAD_SERVER_FRAME, 'undecodable server frame ignored')),
      closed: (code, reason) => this.onClosed(conn, code, reason),
    })
    this.conn = conn
  }

  private async loadCursor(gen: number): Promise<boolean> {
    try {
      const c = await this.cursorStore.load()
      if (gen !== this.gen) return false
      if (c !== undefined) this.inbox.restore(c)
      return true
    } catch (e) {
      if (gen === this.gen) this.endSession('closed', e as ParleyClientError)
      return false
    }
  }

  private async userSig(): Promise<string> {
    const sig = this.opts.getUserSig ? await this.opts.getUserSig() : this.opts.userSig
    if (typeof sig !== 'string' || sig === '') throw new TypeError('UserSig must be a non-empty string')
    return sig
  }

  private async login(conn: Connection, userSig: string): Promise<void> {
    const { sdkAppId, userId } = this.opts
    let r: LoginResult
    try {
      r = await conn.ask<LoginResult>({ op: 'login', rid: ++this.rid, sdkAppId, userId, userSig, platform: this.o.platform }, this.o.requestTimeoutMs)
    } catch (e) {
      // A server refusal is in conn.loginError and a 4003 close follows; a lost socket is
      // handled by its close; a timeout means the server is not answering: reconnect.
      if (conn !== this.conn || !(e instanceof ParleyClientError)) return
      if (e.code === ClientErrorCodes.REQUEST_TIMEOUT) this.lost()
      else if (e.code === ClientErrorCodes.FRAME_TOO_LARGE) this.endSession('closed', e)
      return
    }
    if (conn !== this.conn) return
    if (!Array.isArray(r?.shards)) {
      // A server of the single-inbox wire (login answers `inboxSeq`): this SDK cannot catch up there.
      return this.endSession('closed', new ParleyClientError(ClientErrorCodes.BAD_SERVER_FRAME, 'login answered without `shards`: the server speaks another one-to-one protocol'))
    }
    conn.loggedIn = true
    // The server's bound on this connection's unanswered sends; absent from an older server.
    this.requests.sendWindow = r.maxSendsInFlight > 0 ? r.maxSendsInFlight : DEFAULT_SEND_WINDOW
    this.groups.attach((f) => conn.ask({ ...f, rid: ++this.rid } as WireFrame & { rid: number }, this.o.requestTimeoutMs))
    const catchUp = this.startCatchUp(conn)
    const step = this.inbox.login(r.shards)
    for (const sh of step.reset) {
      this.emitError(new ParleyClientError(ClientErrorCodes.CURSOR_RESET, `cursor of shard ${sh} names a stream the server does not list: replaying it from 0`))
    }
    this.flushRequests()
    conn.startPing(this.o.pingIntervalMs, Math.min(this.o.requestTimeoutMs, this.o.pingIntervalMs), () => ++this.rid, () => {
      if (conn === this.conn) this.lost()
    })
    if (!(await catchUp.all(step.sync)) || conn !== this.conn) return
    this.synced()
    this.attempt = 0
    void this.groups.catchUp()
    this.setState('online')
    for (const w of this.waiters.splice(0)) w.resolve()
  }

  /** The catch-up of `conn`, now logged in; stopped when the connection is dropped. */
  private startCatchUp(conn: Connection): ShardCatchUp {
    const catchUp = new ShardCatchUp({
      inbox: this.inbox,
      page: (sh, after) => conn.ask<SyncResult>({ op: 'sync', rid: ++this.rid, sh, after, limit: this.o.syncPageSize }, this.o.requestTimeoutMs),
      surface: (events) => this.surface(events),
      reset: (sh, upTo) => this.emitError(new ParleyClientError(ClientErrorCodes.CURSOR_RESET, `cursor of shard ${sh} above the server's stream head ${upTo}: replaying it from 0`)),
      // The login's runs report together, once all are done (login above).
      finished: () => {
        if (this.st === 'online') this.synced()
      },
      failed: (e) => {
        if (conn !== this.conn) return
        this.emitError(e instanceof ParleyClientError ? e : new ParleyClientError(ClientErrorCodes.CONNECTION_LOST, 'sync failed', { cause: e }))
        this.lost()
      },
    }, { maxConcurrent: MaxConcurrentShardSyncs, gapRetryMs: GapRetryMs })
    this.catchUp = catchUp
    return catchUp
  }

  /** A catch-up finished: saves the cursor (a version-1 record is replaced even if nothing moved) and reports it. */
  private synced(): void {
    const cursor = this.inbox.cursor()
    this.cursorStore.saveIfMoved(cursor)
    this.emitter.emit('synced', { cursor })
  }

  private onFrame(conn: Connection, f: ServerFrame): void {
    if (conn.takeOwnFrame(f)) return
    switch (f.op) {
      case 'res':
        if (this.requests.settle(f)) {
          if (this.requests.holding) this.flushRequests()
          return
        }
        if (!f.ok) this.emitError(new ParleyClientError(f.code, `unaddressed error response (rid ${f.rid}): ${f.message}`))
        return
      case 'ev': {
        const step = this.inbox.live(f.ev)
        this.surface(step.events)
        if (step.sync.length > 0 && conn === this.conn && conn.loggedIn) this.catchUp?.requested(step.sync)
        return
      }
      case 'gev':
        this.groups.onPush(f.evs)
        return
      default:
        // An op from a newer server: ignored, so old clients keep working.
        return
    }
  }

  private onClosed(conn: Connection, code: number, reason: string): void {
    if (conn !== this.conn) return
    const kind = classifyClose(code)
    const loginError = conn.loginError
    if (kind === 'transient' || (code === 4003 && loginError?.retryable)) return this.lost()
    const err = loginError ?? new ParleyClientError(ClientErrorCodes.SESSION_ENDED, `session ended by the server: ${code} ${reason}`, { closeCode: code })
    if (kind === 'kicked') {
      this.endSession('kicked', err)
      this.emitter.emit('kicked', loginError ? { code, reason, error: loginError } : { code, reason })
    } else {
      if (code !== 4004) this.emitError(err)
      this.endSession('closed', err)
    }
  }

  /** The connection is gone or unusable: go offline and schedule a reconnect. */
  private lost(): void {
    this.dropConnection()
    this.setState('offline')
    if (this.backoff === false) {
      const err = new ParleyClientError(ClientErrorCodes.CONNECTION_LOST, 'connection lost; reconnect is off')
      for (const w of this.waiters.splice(0)) w.reject(err)
      return
    }
    const delay = reconnectDelay(this.attempt++, this.urls.length, this.backoff)
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      void this.open()
    }, delay)
  }

  private dropConnection(): void {
    this.catchUp?.stop()
    this.catchUp = undefined
    this.clearTimer('reconnectTimer')
    this.conn?.end(1000, 'client done with this socket')
    this.conn = undefined
    this.inbox.disconnected()
    this.groups.detach()
  }

  private endSession(state: 'kicked' | 'closed', err: ParleyClientError): void {
    this.dropConnection()
    this.requests.rejectAll(err)
    this.setState(state)
    for (const w of this.waiters.splice(0)) w.reject(err)
  }

  /** Emits surfaced inbox events, then saves the cursor if it moved. */
  private surface(events: InboxEvent[]): void {
    for (const ev of events) {
      const s = surfaceOf(ev)
      if (s) this.emitter.emit(s.name, s.payload as never)
    }
    this.cursorStore.saveIfMoved(this.inbox.cursor())
  }

  private setState(state: ConnectionState): void {
    if (state === this.st) return
    const previous = this.st
    this.st = state
    this.emitter.emit('state', { state, previous })
  }

  private emitError(e: unknown): void {
    const err = e instanceof ParleyClientError ? e : new ParleyClientError(ClientErrorCodes.CONNECTION_LOST, String(e), { cause: e })
    this.emitter.emit('error', err)
  }

  private clearTimer(name: 'reconnectTimer'): void {
    if (this[name] !== undefined) clearTimeout(this[name])
    this[name] = undefined
  }
}
