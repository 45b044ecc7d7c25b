/**
 * The WebSocket gateway of one worker thread: decodes and validates frames, logs sockets in,
 * and turns each op into an actor request through the Router. It never holds chat state;
 * it holds only sockets (SocketTable). A bad frame gets a coded `res` and changes nothing;
 * no input can throw out of a uWS callback.
 */
import type { TemplatedApp } from 'uWebSockets.js'
import { userActor } from '../../../actors/user/protocol.js'
import type { ConnSink } from '../../../actors/runtime/ThreadMesh.js'
import type { DeviceRecord } from '../../../actors/connections.js'
import type { GroupEvent } from '../../protocol/events.js'
import type { ConnRef, Router } from '../../../actors/runtime/types.js'
import { describeError, type Logger } from '../../core/log.js'
import type { AppRegistry } from '../../model/apps.js'
import { CodedError, ParleyError, toWireError } from '../../core/errors.js'
import { decode } from '../../core/codec.js'
import { type ClientFrame, CloseCodes, type LoginResult } from '../../protocol/frames.js'
import { frameRid, isRawSend, parseClientFrame } from '../../protocol/validate.js'
import { dispatchLive, isSend } from './ops.js'
import { type Socket, type SocketState, SocketTable } from './SocketTable.js'
import { TopicTable } from './TopicTable.js'
import { groupTopic } from '../../../actors/topic.js'
import type { GroupView } from '../../../actors/group/protocol.js'
import { GroupTypeRules } from '../../../actors/group/rules.js'
import { askGroup } from '../../services/group.js'

export interface SigVerifier {
  verify(token: string, expect: { sdkAppId: number; userId: string; nowSec: number }): Promise<{ time: number; expire: number }>
}

/** The config fields the gateway reads (node/config/schema.ts documents each). */
export interface GatewaySettings {
  readonly maxFrameBytes: number
  readonly hardFrameBytes: number
  readonly maxBackpressureBytes: number
  readonly heartbeatTimeoutSeconds: number
  readonly loginTimeoutSeconds: number
  readonly roomCoalesceMs: number
  readonly maxSendsInFlight: number
  readonly maxRefusedSends: number
}

export interface GatewayDeps {
  router: Router
  apps: AppRegistry
  verifier: SigVerifier
  config: GatewaySettings
  log: Logger
  node: string
  thread: number
  now?: () => number
}

/**
 * Also the thread's ConnSink: pushes and closes for its connections, and the group-topic
 * operations (subscribe, publish, interest queries) that TopicTable carries out.
 */
/** Rooms one guest socket may follow. */
export const GUEST_ROOMS = 5

export class Gateway implements ConnSink {
  readonly sockets: SocketTable
  private topics: TopicTable | undefined
  private sweeper: NodeJS.Timeout | undefined
  private readonly now: () => number
  /** The answer to a send over the connection's bound (9013), built once. */
  private readonly inFlightRefusal: { code: number; message: string }

  constructor(private readonly d: GatewayDeps) {
    this.sockets = new SocketTable(d.config.maxBackpressureBytes, {
      onWritten: (ws, buffered) => this.topics?.shedCheck(ws, buffered),
      onSlowConsumer: (ws, buffered) => {
        const u = ws.getUserData()
        d.log.warn('slow consumer closed (4100)', { conn: u.id, app: u.app, user: u.userId, bufferedBytes: buffered })
      },
    })
    this.now = d.now ?? Date.now
    this.inFlightRefusal = toWireError(new ParleyError('SENDS_IN_FLIGHT'))
  }

  /** Installs the `/ws` route on `app` and starts the login-timeout sweep. */
  install(app: TemplatedApp): void {
    const c = this.d.config
    app.ws<SocketState>('/ws', {
      maxPayloadLength: c.hardFrameBytes,
      // Headroom above our own limit, so the 4100 close frame still fits behind the data when
      // a slow consumer is ended (uWS would otherwise drop it: the client sees 1006). A room
      // member is checked before each flush once behind (TopicTable), so the headroom must
      // hold what one flush may add: a quarter of the limit, at least 64 KiB.
      maxBackpressure: c.maxBackpressureBytes + Math.max(64 * 1024, Math.floor(c.maxBackpressureBytes / 4)),
      idleTimeout: c.heartbeatTimeoutSeconds,
      sendPingsAutomatically: true,
      upgrade: (res, req, ctx) => {
        res.upgrade(this.sockets.newState(this.now()), req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), ctx)
      },
      open: (ws) => this.sockets.add(ws),
      message: (ws, data, isBinary) => this.onMessage(ws, data, isBinary),
      // A socket that drains may go back to the full tier (TopicTable, "Shedding").
      drain: (ws) => this.topics?.shedCheck(ws),
      close: (ws) => this.onClose(ws),
    })
    this.topics = new TopicTable({
      app, sockets: this.sockets, router: this.d.router, where: { node: this.d.node, thread: this.d.thread }, log: this.d.log,
      coalesceMs: c.roomCoalesceMs, shedLimitBytes: c.maxBackpressureBytes, now: this.now,
    })
    this.sweeper = setInterval(() => this.sweep(), 1000)
    this.sweeper.unref()
  }

  /** The logged-in devices of this thread's sockets (for re-registering them after a Redis outage). */
  *liveDevices(): Iterable<{ app: number; userId: string; device: DeviceRecord }> {
    for (const ws of this.sockets.values()) {
      const s = ws.getUserData()
      if (s.phase !== 'live' || !s.conn || s.platform === '') continue
      yield { app: s.app, userId: s.userId, device: { conn: s.conn, platform: s.platform, since: s.openedAt, sigTime: 0 } }
    }
  }

  /** Closes every socket with `code` (e.g. 4101 on shutdown) and stops the sweep. */
  closeAll(code: number, reason: string): void {
    if (this.sweeper) clearInterval(this.sweeper)
    this.topics?.close()
    for (const ws of [...this.sockets.values()]) this.sockets.end(ws, code, reason)
  }

  push(conn: number, frame: Uint8Array): void {
    this.sockets.push(conn, frame)
  }

  close(conn: number, code: number, reason: string, frame?: Uint8Array): void {
    this.sockets.close(conn, code, reason, frame)
  }

  subscribe(conn: number, topics: readonly string[], on: boolean): void {
    const ws = this.sockets.get(conn)
    if (ws && this.topics) this.topics.subscribe(ws, topics, on)
  }

  publish(topic: string, ev: unknown): void {
    this.topics?.publish(topic, ev as GroupEvent)
  }

  interestQuery(topic: string, replyTo: string): void {
    this.topics?.query(topic, replyTo)
  }

  private onMessage(ws: Socket, data: ArrayBuffer, isBinary: boolean): void {
    const s = ws.getUserData()
    if (s.phase === 'closed') return
    if (s.json === isBinary) {
      // The client switched frame format: its rooms' frames follow (TopicTable.reformat).
      if (s.topics?.size) this.topics?.reformat(ws, !isBinary)
      else s.json = !isBinary
    }
    let raw: unknown
    if (data.byteLength > this.d.config.maxFrameBytes) {
      this.sockets.send(ws, errorRes(-1, new ParleyError('FRAME_TOO_LARGE', `${data.byteLength} bytes`)))
      return
    }
    try {
      raw = isBinary ? decode(new Uint8Array(data.slice(0))) : JSON.parse(Buffer.from(data).toString('utf8'))
    } catch {
      this.sockets.send(ws, errorRes(-1, new ParleyError('MALFORMED_FRAME')))
      return
    }
    if (s.phase === 'live' && s.sendsInFlight >= this.d.config.maxSendsInFlight && isRawSend(raw)) {
      const rid = frameRid(raw)
      if (rid !== undefined) return this.refuseSend(ws, s, rid)
    }
    let frame: ClientFrame
    try {
      frame = parseClientFrame(raw)
    } catch (e) {
      this.sockets.send(ws, errorRes(frameRid(raw) ?? -1, e))
      return
    }
    // A send counts against the bound from here until its `res` is queued (in route, or below
    // on failure; the frame leaves in this turn's flush).
    let answered: (() => void) | undefined
    if (isSend(frame) && s.phase === 'live') {
      s.sendsInFlight++
      answered = () => {
        s.sendsInFlight--
        s.sendsRefused = 0
      }
    }
    this.route(ws, s, frame).then(answered, (e: unknown) => {
      if (!(e instanceof CodedError)) this.d.log.error('op failed', { op: frame.op, conn: s.id, error: describeError(e) })
      if (s.phase !== 'closed' && 'rid' in frame && frame.rid !== undefined) this.sockets.send(ws, errorRes(frame.rid, e))
      answered?.()
    })
  }

  /**
   * A send over the connection's bound (maxSendsInFlight) is answered 9013 at once and goes no
   * further: nothing is asked, stored or delivered. It is refused before its fields are
   * checked, the cheapest answer. A connection that goes on sending regardless — refused
   * maxRefusedSends times in a row, none of its sends answered in between — is closed with
   * 4104: answering a flood frame by frame would hold its thread (and everyone else's traffic
   * through it) for as long as the flood lasts, as uWS hands over each read whole.
   */
  private refuseSend(ws: Socket, s: SocketState, rid: number): void {
    this.sockets.send(ws, { op: 'res', rid, ok: false, ...this.inFlightRefusal })
    if (++s.sendsRefused < this.d.config.maxRefusedSends) return
    this.d.log.warn('flooding connection closed (4104)', { conn: s.id, app: s.app, user: s.userId, refused: s.sendsRefused })
    this.sockets.end(ws, CloseCodes.FLOODING, `${s.sendsRefused} sends refused in a row (9013): too many in flight`)
  }

  private async route(ws: Socket, s: SocketState, frame: ClientFrame): Promise<void> {
    if (frame.op === 'ping') {
      this.sockets.send(ws, { op: 'pong', rid: frame.rid, t: this.now() })
      return
    }
    if (frame.op === 'login') return this.login(ws, s, frame)
    if (frame.op === 'guest') return this.guest(ws, s, frame)
    if (s.phase !== 'live') throw new ParleyError('NOT_LOGGED_IN')
    const data = await dispatchLive(this.d.router, s, frame, this.now())
    if (isClosed(s)) return
    // The joining socket is subscribed before it hears "joined", so the group's next
    // message reaches it; its other devices follow through the session.
    if (frame.op === 'groupApply' && (data as { result?: string }).result === 'joined') {
      this.topics?.subscribe(ws, [groupTopic(s.app, frame.groupId)], true)
    }
    this.sockets.send(ws, { op: 'res', rid: frame.rid, ok: true, data })
    if (frame.op === 'logout') this.sockets.end(ws, CloseCodes.LOGGED_OUT, 'logged out')
  }

  /**
   * A guest receives the live traffic of up to GUEST_ROOMS rooms whose type admits guests
   * (AVChatRoom, BChatRoom) and may do nothing else but `ping`, more `guest` and `login`.
   * Unknown app 70020 (as login), unknown group 10010, a type without guests 10007.
   */
  private async guest(ws: Socket, s: SocketState, f: Extract<ClientFrame, { op: 'guest' }>): Promise<void> {
    if (s.phase !== 'new' && s.phase !== 'guest') throw new ParleyError('ALREADY_LOGGED_IN')
    if (!this.d.apps.get(f.sdkAppId) || (s.phase === 'guest' && s.app !== f.sdkAppId)) throw new ParleyError('SIG_UNKNOWN_APP', String(f.sdkAppId))
    if ((s.topics?.size ?? 0) >= GUEST_ROOMS) throw new ParleyError('GROUP_INVALID_PARAMS', `a guest follows at most ${GUEST_ROOMS} rooms`)
    const view = await askGroup(this.d.router, f.sdkAppId, f.groupId, { kind: 'info', by: { appAdmin: false } })
    if (!GroupTypeRules[view.group.type].guests) throw new ParleyError('GROUP_NO_PERMISSION', `${view.group.type} groups take no guests`)
    if (isClosed(s)) return
    s.phase = 'guest'
    s.app = f.sdkAppId
    this.topics?.subscribe(ws, [groupTopic(f.sdkAppId, f.groupId)], true)
    this.sockets.send(ws, { op: 'res', rid: f.rid, ok: true, data: { groupId: f.groupId } })
  }

  private async login(ws: Socket, s: SocketState, f: Extract<ClientFrame, { op: 'login' }>): Promise<void> {
    if (s.phase !== 'new' && s.phase !== 'guest') throw new ParleyError('ALREADY_LOGGED_IN')
    s.phase = 'authing'
    try {
      if (!this.d.apps.get(f.sdkAppId)) throw new ParleyError('SIG_UNKNOWN_APP', String(f.sdkAppId))
      const sig = await this.d.verifier.verify(f.userSig, { sdkAppId: f.sdkAppId, userId: f.userId, nowSec: Math.floor(this.now() / 1000) })
      const conn: ConnRef = { node: this.d.node, thread: this.d.thread, conn: s.id }
      const actor = userActor(f.sdkAppId, f.userId)
      // Safe to repeat (attaching a connection twice changes nothing): a login whose session
      // was on a node that just failed is answered by its new home, not refused.
      const r = await this.d.router.ask(actor, { kind: 'attach', conn, platform: f.platform, sigTime: sig.time }, { resendIfNodeLeaves: true })
      if (isClosed(s)) {
        this.detach(f.sdkAppId, f.userId, conn)
        return
      }
      Object.assign(s, { phase: 'live', app: f.sdkAppId, userId: f.userId, platform: f.platform, conn })
      this.sockets.bindUser(ws)
      const data: LoginResult = {
        userId: f.userId, connId: `${conn.node}/${conn.thread}/${conn.conn}`, shards: r.shards, serverTime: this.now(),
        maxSendsInFlight: this.d.config.maxSendsInFlight,
      }
      this.sockets.send(ws, { op: 'res', rid: f.rid, ok: true, data })
    } catch (e) {
      const code = toWireError(e).code
      if (e instanceof CodedError) this.d.log.warn('login refused', { code, app: f.sdkAppId, user: f.userId, platform: f.platform, conn: s.id })
      else this.d.log.error('login failed', { code, app: f.sdkAppId, user: f.userId, conn: s.id, error: describeError(e) })
      if (isClosed(s)) return
      this.sockets.send(ws, errorRes(f.rid, e))
      this.sockets.end(ws, CloseCodes.LOGIN_FAILED, `login failed: ${code}`)
    }
  }

  /**
   * Every close of a logged-in socket — by the client, or ended here (4100, 4101, kicks;
   * `SocketTable.end` marks those closed first) — detaches it from its session, so the user
   * shows offline and the registry forgets it. A repeated detach changes nothing.
   */
  private onClose(ws: Socket): void {
    const s = ws.getUserData()
    s.phase = 'closed'
    this.sockets.remove(s.id)
    this.topics?.forget(s)
    if (s.conn) this.detach(s.app, s.userId, s.conn)
  }

  private detach(app: number, userId: string, conn: ConnRef): void {
    this.d.router.tell(userActor(app, userId), { kind: 'detach', conn })
  }

  /**
   * Every second: ends sockets that never logged in (4102), and checks every room member's
   * send buffer (TopicTable.shedCheck): over the limit it is ended (4100) — uWS drops
   * published frames past its own bound without closing, so a hopeless consumer is found by
   * a check rather than on a write — else its shed tier is re-checked. This is how a member
   * that stopped reading is first seen falling behind; then it is checked before each flush.
   */
  private sweep(): void {
    const deadline = this.now() - this.d.config.loginTimeoutSeconds * 1000
    for (const ws of [...this.sockets.values()]) {
      const s = ws.getUserData()
      if (s.phase === 'new' && s.openedAt < deadline) this.sockets.end(ws, CloseCodes.LOGIN_TIMEOUT, 'no login in time')
      else if (s.phase === 'live' || s.phase === 'guest') this.topics?.shedCheck(ws)
    }
  }
}

/** Reads the phase through a call so TypeScript does not keep a narrowing across awaits. */
function isClosed(s: SocketState): boolean {
  return s.phase === 'closed'
}

function errorRes(rid: number, e: unknown): { op: 'res'; rid: number; ok: false; code: number; message: string } {
  const w = toWireError(e)
  return { op: 'res', rid, ok: false, code: w.code, message: w.message }
}
