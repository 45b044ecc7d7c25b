/**
 * The app's requests (send, history, read, …) that outlive a connection. Each is encoded once,
 * with its rid, when made; it is written on every logged-in connection until its response
 * arrives, so a request cut off by a drop is resent after the reconnect as the SAME bytes (for
 * `send`, the same `random`, which the server dedupes). Each has one deadline, counted from
 * when it was made, time offline included.
 */
import { ClientErrorCodes, ParleyClientError } from './errors.js'

interface Pending {
  readonly rid: number
  readonly op: string
  readonly data: Uint8Array | string
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
  private readonly pending = new Map<number, Pending>()

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.pending.size
  }

  /** Registers a request; the promise settles with its response data, or a coded error. */
  add(rid: number, op: string, data: Uint8Array | string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid)
        reject(new ParleyClientError(ClientErrorCodes.REQUEST_TIMEOUT, `${op}: no response within ${this.timeoutMs} ms`))
      }, this.timeoutMs)
      this.pending.set(rid, { rid, op, data, sentOn: 0, resolve, reject, timer })
    })
  }

  /**
   * Writes every request not yet written on connection `gen`, in the order they were made,
   * through `write`. A write that throws fails only that request.
   */
  flush(gen: number, write: (data: Uint8Array | string) => void): void {
    for (const p of [...this.pending.values()].sort((a, b) => a.rid - b.rid)) {
      if (p.sentOn === gen) continue
      try {
        write(p.data)
        p.sentOn = gen
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
    return p
  }
}
