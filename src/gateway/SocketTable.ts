/**
 * The sockets of one worker thread, by connection number, and the one place that writes
 * to them. Every write checks backpressure: a socket whose buffered bytes pass the limit
 * (or whose write uWS dropped) is closed with 4100, so a slow consumer never grows memory.
 */
import type { WebSocket } from 'uWebSockets.js'
import type { ConnRef } from '../../actors/runtime/types.js'
import { decode, encode } from '../protocol/codec.js'
import { CloseCodes, type Platform, type ServerFrame } from '../protocol/frames.js'

export interface SocketState {
  id: number
  /** Reply in JSON text frames: the client's last frame was text. */
  json: boolean
  phase: 'new' | 'authing' | 'live' | 'closed'
  openedAt: number
  app: number
  userId: string
  platform: Platform | ''
  conn: ConnRef | undefined
}

export type Socket = WebSocket<SocketState>

export class SocketTable {
  private readonly byId = new Map<number, Socket>()
  private nextId: number

  constructor(private readonly maxBackpressureBytes: number, firstId = 1) {
    this.nextId = firstId
  }

  newState(now: number): SocketState {
    return { id: this.nextId++, json: false, phase: 'new', openedAt: now, app: 0, userId: '', platform: '', conn: undefined }
  }

  add(ws: Socket): void {
    this.byId.set(ws.getUserData().id, ws)
  }

  remove(id: number): void {
    this.byId.delete(id)
  }

  get size(): number {
    return this.byId.size
  }

  values(): IterableIterator<Socket> {
    return this.byId.values()
  }

  /** Sends a frame object in the socket's format. */
  send(ws: Socket, frame: ServerFrame): void {
    const s = ws.getUserData()
    if (s.phase === 'closed') return
    this.write(ws, s.json ? JSON.stringify(frame) : encode(frame), !s.json)
  }

  /** Sends pre-encoded msgpack frame bytes (from an actor) to connection `id`; at most once. */
  push(id: number, bytes: Uint8Array): void {
    const ws = this.byId.get(id)
    if (!ws) return
    const s = ws.getUserData()
    if (s.phase === 'closed') return
    if (s.json) this.write(ws, JSON.stringify(decode(bytes)), false)
    else this.write(ws, bytes, true)
  }

  /** Sends `bytes` (if any) then closes connection `id` with `code`. */
  close(id: number, code: number, reason: string, bytes?: Uint8Array): void {
    const ws = this.byId.get(id)
    if (!ws) return
    if (bytes) this.push(id, bytes)
    this.end(ws, code, reason)
  }

  end(ws: Socket, code: number, reason: string): void {
    const s = ws.getUserData()
    if (s.phase === 'closed') return
    s.phase = 'closed'
    ws.end(code, reason.slice(0, 120))
  }

  private write(ws: Socket, data: string | Uint8Array, binary: boolean): void {
    const status = ws.send(data, binary)
    if (status === 2 || ws.getBufferedAmount() > this.maxBackpressureBytes) {
      this.end(ws, CloseCodes.SLOW_CONSUMER, 'slow consumer: send buffer over the limit')
    }
  }
}
