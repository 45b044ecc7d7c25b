/**
 * One WebSocket and the requests bound to it (login, sync, ping): those die with the socket,
 * unlike the app's requests (RequestTable), which are resent on the next one. A Connection
 * reports its end exactly once: through `closed` when the socket closes, or never if the
 * client ended it itself (`end`).
 */
import type { ServerFrame } from '../protocol/frames.js'
import { ClientErrorCodes, ParleyClientError } from './errors.js'
import type { ResFrame } from './RequestTable.js'
import { type CloseEventLike, type FrameCodec, type MessageEventLike, OPEN, type WebSocketLike } from './transport.js'
import type { WireFrame } from './wire.js'

export interface ConnectionHandlers {
  open(): void
  frame(f: ServerFrame): void
  /** A message that is not a frame arrived; it was ignored. */
  badFrame(): void
  /** The socket closed: the `bye` frame's code and reason if one came first, else the close event's. */
  closed(code: number, reason: string): void
}

interface Direct {
  readonly op: string
  readonly resolve: (v: unknown) => void
  readonly reject: (e: ParleyClientError) => void
  readonly timer: ReturnType<typeof setTimeout>
}

export class Connection {
  /** Login succeeded on this socket. */
  loggedIn = false
  /** The error the server answered `login` with (it then closes with 4003). */
  loginError: ParleyClientError | undefined
  private bye: { code: number; reason: string } | undefined
  private ended = false
  private pinger: ReturnType<typeof setInterval> | undefined
  private readonly direct = new Map<number, Direct>()

  constructor(
    readonly gen: number,
    private readonly ws: WebSocketLike,
    private readonly codec: FrameCodec,
    private readonly h: ConnectionHandlers,
  ) {
    ws.binaryType = 'arraybuffer'
    ws.onopen = () => {
      if (!this.ended) h.open()
    }
    ws.onmessage = (ev: MessageEventLike) => this.onMessage(ev.data)
    ws.onclose = (ev: CloseEventLike) => this.onClose(ev.code, ev.reason)
    // Required: `ws` throws an unhandled 'error' without a listener. A close event follows.
    ws.onerror = () => {}
  }

  /** Writes encoded bytes; throws CONNECTION_LOST if the socket is not open. */
  write(data: Uint8Array | string): void {
    if (this.ended || this.ws.readyState !== OPEN) throw new ParleyClientError(ClientErrorCodes.CONNECTION_LOST, 'socket not open')
    this.ws.send(data)
  }

  /** A request bound to this socket: fails with CONNECTION_LOST if it closes, REQUEST_TIMEOUT after `timeoutMs`. */
  ask<T>(frame: WireFrame & { rid: number }, timeoutMs: number): Promise<T> {
    return new Promise<unknown>((resolve, reject) => {
      this.write(this.codec.encode(frame))
      const timer = setTimeout(() => {
        this.direct.delete(frame.rid)
        reject(new ParleyClientError(ClientErrorCodes.REQUEST_TIMEOUT, `${frame.op}: no response within ${timeoutMs} ms`))
      }, timeoutMs)
      this.direct.set(frame.rid, { op: frame.op, resolve, reject, timer })
    }) as Promise<T>
  }

  /** Settles a socket-bound request by a `res` or `pong`; false if `rid` is not one of them. */
  settle(rid: number, res: ResFrame | { ok: true; data: unknown }): boolean {
    const d = this.direct.get(rid)
    if (!d) return false
    clearTimeout(d.timer)
    this.direct.delete(rid)
    if (res.ok) {
      d.resolve(res.data)
    } else {
      const err = new ParleyClientError(res.code, res.message)
      // Recorded now, not when the rejection is handled: the 4003 close may follow at once.
      if (d.op === 'login') this.loginError = err
      d.reject(err)
    }
    return true
  }

  /**
   * Sends `ping` every `intervalMs` until the socket ends; calls `dead` once if a pong does not
   * come within `timeoutMs` (the socket is then presumed half-open). One ping in flight at a time.
   */
  startPing(intervalMs: number, timeoutMs: number, nextRid: () => number, dead: () => void): void {
    let waiting = false
    this.pinger = setInterval(() => {
      if (waiting || this.ended) return
      waiting = true
      this.ask({ op: 'ping', rid: nextRid() }, timeoutMs).then(
        () => { waiting = false },
        () => { if (!this.ended) dead() },
      )
    }, intervalMs)
  }

  /** Records a `bye` frame: the reason for the close that follows. */
  noteBye(code: number, reason: string): void {
    this.bye = { code, reason }
  }

  /**
   * The frames every client of a socket handles alike: a `res` or `pong` of a request bound to
   * this socket settles it, a `bye` is kept for the close that follows. True when `f` was one
   * of those; any other frame (a `res` of another request included) is the caller's.
   */
  takeOwnFrame(f: ServerFrame): boolean {
    switch (f.op) {
      case 'res': return this.settle(f.rid, f)
      case 'pong':
        if (f.rid !== undefined) this.settle(f.rid, { ok: true, data: f.t })
        return true
      case 'bye':
        this.noteBye(f.code, f.reason)
        return true
      default: return false
    }
  }

  /** Ends the socket from this side; `closed` will not be reported. Idempotent. */
  end(code = 1000, reason = ''): void {
    if (this.ended) return
    this.ended = true
    this.detach()
    try {
      this.ws.close(code, reason)
    } catch {
      // Closing a socket that never opened may throw in some implementations; it is gone either way.
    }
    this.failDirect()
  }

  private onMessage(data: unknown): void {
    if (this.ended) return
    const f = this.codec.decode(data)
    if (f) this.h.frame(f)
    else this.h.badFrame()
  }

  private onClose(code: number, reason: string): void {
    if (this.ended) return
    this.ended = true
    this.detach()
    this.failDirect()
    const why = this.bye ?? { code, reason }
    this.h.closed(why.code, why.reason)
  }

  private detach(): void {
    if (this.pinger !== undefined) clearInterval(this.pinger)
    this.ws.onopen = null
    this.ws.onmessage = null
    this.ws.onclose = null
    // Keep a no-op error listener: a late 'error' must not become an unhandled one.
    this.ws.onerror = () => {}
  }

  private failDirect(): void {
    for (const [rid, d] of this.direct) {
      clearTimeout(d.timer)
      this.direct.delete(rid)
      d.reject(new ParleyClientError(ClientErrorCodes.CONNECTION_LOST, `${d.op}: connection lost`))
    }
  }
}
