/**
 * The app's requests (send, history, read, …) that outlive a connection. Each is encoded once,
 * with its rid, when made; it is written on every logged-in connection until its response
 * arrives, so a request cut off by a drop is resent after the reconnect as the SAME bytes (for
 * `send`, the same `random`, which the server dedupes). Each has one deadline, counted from
 * when it was made, time offline (and time waiting for the send window) included.
 *
 * Send window: the server answers a connection's sends beyond its `maxSendsInFlight` with
 * 9013 and closes a connection that keeps sending regardless (4104). So at most `sendWindow`
 * sends (`send`, `groupSend`) are written on a connection and unanswered at a time; later
 * ones wait here, in order, and are written as answers come in (`flush` after `settle`).
 * Other requests are never held back.
 */
import { ClientErrorCodes, ParleyClientError } from './errors.js'

/** The window until a login result says otherwise: the server's default maxSendsInFlight. */
export const DEFAULT_SEND_WINDOW = 32

const SEND_OPS: ReadonlySet<string> = new Set(['send', 'groupSend'])

interface Pending {
  readonly rid: number
  readonly op: string
  readonly data: Uint8Array | string
  /** Counts against the send window. */
  readonly send: boolean
  /** Connection generation this was last written on; 0 = not yet written. */
  sentOn: number
  readonly resolve: (v: unknown) => void
  readonly reject: (e: ParleyClientError) => void
  readonly timer: ReturnType<typeof setTimeout>
}

/** A `res` frame as far as the table reads it. */
export type ResFrame =
  | { rid: number; ok: true; data?: unknown }
  | { rid: number; ok: false; code: number; message: string }

export class RequestTable {
  /** In the order added, which is rid order. */
  private readonly pending = new Map<number, Pending>()
  /** The connection generation last flushed to, and its sends written and unanswered. */
  private gen = 0
  private sendsOut = 0
  /** Sends the last flush held back for want of room in the window. */
  private held = 0
  /** Sends a connection may have written and unanswered (from the login result). */
  sendWindow = DEFAULT_SEND_WINDOW

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.pending.size
  }

  /** Whether sends wait for room in the send window: flush again once one is answered. */
  get holding(): boolean {
    return this.held > 0
  }

  /** Registers a request; the promise settles with its response data, or a coded error. */
  add(rid: number, op: string, data: Uint8Array | string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.finish(rid)
        reject(new ParleyClientError(ClientErrorCodes.REQUEST_TIMEOUT, `${op}: no response within ${this.timeoutMs} ms`))
      }, this.timeoutMs)
      this.pending.set(rid, { rid, op, data, send: SEND_OPS.has(op), sentOn: 0, resolve, reject, timer })
    })
  }

  /**
   * Writes every request not yet written on connection `gen`, in the order they were made,
   * through `write`, sends only while the window has room. A write that throws fails only
   * that request.
   */
  flush(gen: number, write: (data: Uint8Array | string) => void): void {
    if (gen !== this.gen) {
      this.gen = gen
      this.sendsOut = 0
    }
    this.held = 0
    for (const p of [...this.pending.values()]) {
      if (p.sentOn === gen) continue
      if (p.send && this.sendsOut >= this.sendWindow) {
        this.held++
        continue
      }
      try {
        write(p.data)
        p.sentOn = gen
        if (p.send) this.sendsOut++
      } catch (e) {
        this.finish(p.rid)?.reject(new ParleyClientError(ClientErrorCodes.CONNECTION_LOST, `${p.op}: write failed`, { cause: e }))
      }
    }
  }

  /** Settles the request `res.rid`; false if no such request is pending (late or foreign). */
  settle(res: ResFrame): boolean {
    const p = this.finish(res.rid)
    if (!p) return false
    if (res.ok) p.resolve(res.data)
    else p.reject(new ParleyClientError(res.code, res.message))
    return true
  }

  /** Fails every pending request with `err`. */
  rejectAll(err: ParleyClientError): void {
    for (const rid of [...this.pending.keys()]) this.finish(rid)?.reject(err)
  }

  private finish(rid: number): Pending | undefined {
    const p = this.pending.get(rid)
    if (!p) return undefined
    clearTimeout(p.timer)
    this.pending.delete(rid)
    if (p.send && p.sentOn !== 0 && p.sentOn === this.gen) this.sendsOut--
    return p
  }
}
