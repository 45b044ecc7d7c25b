/** A raw protocol client over `ws` (no SDK), for tests of the wire protocol itself. */
import { Packr } from 'msgpackr'
import WebSocket from 'ws'

export const codec = new Packr({ useRecords: false, mapsAsObjects: true })

/** A raw socket that collects decoded frames and lets a test await the next matching one. */
export class RawClient {
  readonly frames: Record<string, unknown>[] = []
  private waiters: { pred: (f: Record<string, unknown>) => boolean; resolve: (f: Record<string, unknown>) => void }[] = []
  closed: Promise<{ code: number; reason: string }>
  private rid = 0

  constructor(readonly ws: WebSocket, private readonly json = false) {
    ws.on('message', (data, isBinary) => {
      const f = (isBinary ? codec.unpack(data as Buffer) : JSON.parse(String(data))) as Record<string, unknown>
      const i = this.waiters.findIndex((w) => w.pred(f))
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(f)
      else this.frames.push(f)
    })
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })))
  }

  static async open(url: string, json = false): Promise<RawClient> {
    const ws = new WebSocket(url)
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
    return new RawClient(ws, json)
  }

  next(pred: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const seen = this.frames.find(pred)
    if (seen) { this.frames.splice(this.frames.indexOf(seen), 1); return Promise.resolve(seen) }
    return new Promise((resolve) => this.waiters.push({ pred, resolve }))
  }

  /** Sends an op and resolves with its `res` (or `pong`) frame. */
  request(op: string, fields: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const rid = ++this.rid
    const frame = { op, rid, ...fields }
    this.ws.send(this.json ? JSON.stringify(frame) : codec.pack(frame))
    return this.next((f) => (f.op === 'res' || f.op === 'pong') && f.rid === rid)
  }

  sendRaw(data: Buffer | string): void {
    this.ws.send(data)
  }
}

