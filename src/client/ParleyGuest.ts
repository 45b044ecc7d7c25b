/**
 * A guest of live rooms: one anonymous socket (no account, no UserSig) that receives the live
 * traffic of up to 5 rooms of the types that admit guests (AVChatRoom, BChatRoom) through the
 * `guest` op (docs/protocol.md, "guest"). A signed-in user uses ParleyClient instead (a member
 * joins such a room with `applyToGroup`).
 *
 * Contracts:
 * - `follow(groupId)` resolves once the server follows the room on the current socket, and
 *   rejects with the server's code — 10010 no such group, 10007 a type without guests, 10015
 *   a malformed GroupId, 10004 a sixth room, 70020 an unknown app — after which the room is
 *   not kept. Called while offline, it waits for the next socket; it fails with 9501 at its
 *   deadline (`requestTimeoutMs`, from the call).
 * - `groupMessage` fires once for each message pushed to a followed room, as pushed: these
 *   rooms keep no history (seq 0), so what is pushed while the socket is down is not seen.
 * - A drop reconnects with backoff and follows every room again; a room the server then
 *   refuses (destroyed meanwhile: 10010) is dropped with a `roomLost` event. A retryable
 *   refusal (9006, 9007, …) or an unanswered `guest` replaces the socket the same way.
 * - The protocol has no op to stop following, so `unfollow` replaces the socket: the other
 *   rooms are followed again on a new one (their pushes in between are missed). With no room
 *   left the socket is closed and the state is `idle`; the next `follow` opens a new one.
 * - Close codes 4000–4099 end the guest (`closed`; pending follows fail with 9504), as does
 *   `close()` (9503); every other close reconnects. From `closed`, `follow` starts again.
 */
import type { ServerFrame } from '../protocol/frames.js'
import { Connection } from './Connection.js'
import { Emitter, type Listener } from './Emitter.js'
import { ClientErrorCodes, ParleyClientError } from './errors.js'
import { isGroupMsg } from './groups.js'
import { type BackoffOptions, classifyClose, DefaultBackoff, reconnectDelay } from './reconnect.js'
import { FrameCodec, resolveWebSocket, type WebSocketConstructor } from './transport.js'
import type { ConnectionState, GroupMessageEvent, ParleyClientOptions } from './types.js'

/** The options of a guest: a ParleyClient's, without the user's. */
export type ParleyGuestOptions = Pick<
  ParleyClientOptions, 'url' | 'sdkAppId' | 'WebSocketImpl' | 'encoding' | 'reconnect' | 'pingIntervalMs' | 'requestTimeoutMs' | 'maxFrameBytes'
>

/** As ParleyClient's states, without `kicked`; `online`: the socket is open and its rooms are (being) followed. */
export type GuestState = Exclude<ConnectionState, 'kicked'>

/** A followed room the server refused when it was followed again after a reconnect. */
export interface RoomLostEvent { groupId: string; error: ParleyClientError }

export interface ParleyGuestEvents {
  /** A message pushed to a followed room (seq 0: these rooms keep no history). */
  groupMessage: GroupMessageEvent
  roomLost: RoomLostEvent
  state: { state: GuestState; previous: GuestState }
  /** A failure not tied to a call the app awaits (bad server frame, unaddressed error response). */
  error: ParleyClientError
}

interface Waiter { resolve(): void; reject(e: ParleyClientError): void; timer: ReturnType<typeof setTimeout> }

interface Room {
  /** Generation of the connection `guest` was last written on; 0 = none. */
  askedOn: number
  /** Generation of the connection that follows it; 0 = none. */
  followedOn: number
  /** The server has followed it at least once. */
  everFollowed: boolean
  readonly waiters: Waiter[]
}

export class ParleyGuest {
  private readonly o: { pingIntervalMs: number; requestTimeoutMs: number }
  private readonly backoff: BackoffOptions | false
  private readonly Impl: WebSocketConstructor
  private readonly codec: FrameCodec
  private readonly urls: string[]
  private readonly emitter = new Emitter<ParleyGuestEvents>((err) => queueMicrotask(() => { throw err }))
  private readonly followed = new Map<string, Room>()
  private conn: Connection | undefined
  /** The connection whose socket is open. */
  private openConn: Connection | undefined
  private gen = 0
  private rid = 0
  private opens = 0
  private attempt = 0
  private st: GuestState = 'idle'
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly opts: ParleyGuestOptions) {
    this.urls = typeof opts.url === 'string' ? [opts.url] : [...opts.url]
    if (this.urls.length === 0 || this.urls.some((u) => typeof u !== 'string' || u === '')) throw new TypeError('url is required')
    if (!Number.isSafeInteger(opts.sdkAppId) || opts.sdkAppId <= 0) throw new TypeError('sdkAppId must be a positive integer')
    this.o = { pingIntervalMs: opts.pingIntervalMs ?? 30_000, requestTimeoutMs: opts.requestTimeoutMs ?? 15_000 }
    this.backoff = opts.reconnect === false ? false : { ...DefaultBackoff, ...opts.reconnect }
    this.Impl = resolveWebSocket(opts.WebSocketImpl)
    this.codec = new FrameCodec(opts.encoding ?? 'msgpack', opts.maxFrameBytes ?? 64 * 1024)
  }

  get state(): GuestState {
    return this.st
  }

  /** The rooms followed or being followed, in the order `follow` added them. */
  get rooms(): string[] {
    return [...this.followed.keys()]
  }

  on<K extends keyof ParleyGuestEvents>(event: K, fn: Listener<ParleyGuestEvents[K]>): () => void {
    return this.emitter.on(event, fn)
  }

  once<K extends keyof ParleyGuestEvents>(event: K, fn: Listener<ParleyGuestEvents[K]>): () => void {
    return this.emitter.once(event, fn)
  }

  off<K extends keyof ParleyGuestEvents>(event: K, fn: Listener<ParleyGuestEvents[K]>): void {
    this.emitter.off(event, fn)
  }

  /** Follows the room `groupId` (opening the socket if none is open); see the contracts above. */
  follow(groupId: string): Promise<void> {
    let room = this.followed.get(groupId)
    if (room && this.openConn && room.followedOn === this.openConn.gen) return Promise.resolve()
    if (!room) this.followed.set(groupId, (room = { askedOn: 0, followedOn: 0, everFollowed: false, waiters: [] }))
    const r = room
    const p = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        r.waiters.splice(r.waiters.indexOf(w), 1)
        reject(new ParleyClientError(ClientErrorCodes.REQUEST_TIMEOUT, `guest ${groupId}: not followed within ${this.o.requestTimeoutMs} ms`))
        if (r.waiters.length === 0 && !r.everFollowed) this.forget(groupId, r)
      }, this.o.requestTimeoutMs)
      const w: Waiter = { resolve, reject, timer }
      r.waiters.push(w)
    })
    if (this.openConn) this.followOn(this.openConn, groupId)
    else if (this.conn === undefined && this.reconnectTimer === undefined) this.open()
    return p
  }

  /** Stops surfacing `groupId` at once and replaces the socket without it (see above). A pending follow of it fails with 9503. */
  unfollow(groupId: string): void {
    const room = this.followed.get(groupId)
    if (!room) return
    this.followed.delete(groupId)
    settle(room, new ParleyClientError(ClientErrorCodes.CLIENT_CLOSED, `guest ${groupId}: unfollowed`))
    if (this.followed.size === 0) return this.toIdle()
    if (this.conn && room.askedOn === this.conn.gen) {
      this.dropConnection()
      this.open()
    }
  }

  /** Ends the guest locally: the socket is closed, rooms are forgotten, pending follows fail with 9503. Idempotent. */
  close(): void {
    if (this.st === 'idle' || this.st === 'closed') return
    this.end(new ParleyClientError(ClientErrorCodes.CLIENT_CLOSED, 'guest closed'))
  }

  private open(): void {
    const gen = ++this.gen
    this.setState('connecting')
    const url = this.urls[this.opens++ % this.urls.length]
    let ws
    try {
      ws = new this.Impl(url)
    } catch (e) {
      return this.end(new ParleyClientError(ClientErrorCodes.NOT_CONNECTED, `cannot open ${url}`, { cause: e }))
    }
    const conn: Connection = new Connection(gen, ws, this.codec, {
      open: () => this.onOpen(conn),
      frame: (f) => this.onFrame(conn, f),
      badFrame: () => this.emitError(new ParleyClientError(ClientErrorCodes.BAD_SERVER_FRAME, 'undecodable server frame ignored')),
      closed: (code, reason) => this.onClosed(conn, code, reason),
    })
    this.conn = conn
  }

  private onOpen(conn: Connection): void {
    if (conn !== this.conn) return
    this.openConn = conn
    conn.startPing(this.o.pingIntervalMs, Math.min(this.o.requestTimeoutMs, this.o.pingIntervalMs), () => ++this.rid, () => {
      if (conn === this.conn) this.lost()
    })
    this.setState('online')
    for (const groupId of this.followed.keys()) this.followOn(conn, groupId)
  }

  /** Writes `guest` for `groupId` on `conn` unless already written there, and settles the room by the answer. */
  private followOn(conn: Connection, groupId: string): void {
    const room = this.followed.get(groupId)
    if (!room || room.askedOn === conn.gen) return
    room.askedOn = conn.gen
    const current = () => conn === this.conn && this.followed.get(groupId) === room
    conn.ask({ op: 'guest', rid: ++this.rid, sdkAppId: this.opts.sdkAppId, groupId }, this.o.requestTimeoutMs).then(() => {
      if (!current()) return
      room.followedOn = conn.gen
      room.everFollowed = true
      this.attempt = 0
      settle(room)
    }, (e: unknown) => {
      if (!current()) return
      const err = e instanceof ParleyClientError ? e : new ParleyClientError(ClientErrorCodes.CONNECTION_LOST, `guest ${groupId} failed`, { cause: e })
      // A lost socket is handled by its close; a busy or silent server gets a new socket.
      if (err.code === ClientErrorCodes.CONNECTION_LOST) return
      if (err.retryable) return this.lost()
      const lost = room.everFollowed
      this.forget(groupId, room, err)
      if (lost) this.emitter.emit('roomLost', { groupId, error: err })
    })
  }

  private onFrame(conn: Connection, f: ServerFrame): void {
    if (conn.takeOwnFrame(f)) return
    switch (f.op) {
      case 'res':
        if (!f.ok) this.emitError(new ParleyClientError(f.code, `unaddressed error response (rid ${f.rid}): ${f.message}`))
        return
      case 'gev':
        if (!Array.isArray(f.evs)) return
        for (const ev of f.evs) {
          if (!isGroupMsg(ev) || !this.followed.has(ev.groupId)) continue
          this.emitter.emit('groupMessage', Array.isArray(ev.to) ? { groupId: ev.groupId, message: ev.msg, to: ev.to } : { groupId: ev.groupId, message: ev.msg })
        }
        return
      default:
        // Inbox events never reach a guest; an op from a newer server is ignored.
        return
    }
  }

  private onClosed(conn: Connection, code: number, reason: string): void {
    if (conn !== this.conn) return
    if (classifyClose(code) === 'transient') return this.lost()
    const err = new ParleyClientError(ClientErrorCodes.SESSION_ENDED, `guest ended by the server: ${code} ${reason}`, { closeCode: code })
    this.emitError(err)
    this.end(err)
  }

  /** The socket is gone or unusable: offline, and a new one after a backoff (rooms kept). */
  private lost(): void {
    this.dropConnection()
    if (this.followed.size === 0) return this.toIdle()
    this.setState('offline')
    if (this.backoff === false) return this.rejectAll(new ParleyClientError(ClientErrorCodes.CONNECTION_LOST, 'connection lost; reconnect is off'))
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      this.open()
    }, reconnectDelay(this.attempt++, this.urls.length, this.backoff))
  }

  private forget(groupId: string, room: Room, err?: ParleyClientError): void {
    if (this.followed.get(groupId) !== room) return
    this.followed.delete(groupId)
    if (err) settle(room, err)
    if (this.followed.size === 0) this.toIdle()
  }

  private toIdle(): void {
    this.dropConnection()
    this.setState('idle')
  }

  private end(err: ParleyClientError): void {
    this.dropConnection()
    this.rejectAll(err)
    this.followed.clear()
    this.setState('closed')
  }

  private rejectAll(err: ParleyClientError): void {
    for (const room of this.followed.values()) settle(room, err)
  }

  private dropConnection(): void {
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = undefined
    this.conn?.end(1000, 'client done with this socket')
    this.conn = undefined
    this.openConn = undefined
  }

  private setState(state: GuestState): void {
    if (state === this.st) return
    const previous = this.st
    this.st = state
    this.emitter.emit('state', { state, previous })
  }

  private emitError(err: ParleyClientError): void {
    this.emitter.emit('error', err)
  }
}

/** Resolves (no `err`) or rejects every waiter of `room`. */
function settle(room: Room, err?: ParleyClientError): void {
  for (const w of room.waiters.splice(0)) {
    clearTimeout(w.timer)
    if (err) w.reject(err)
    else w.resolve()
  }
}
