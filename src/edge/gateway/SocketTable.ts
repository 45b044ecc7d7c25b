/**
 * The sockets of one worker thread, by connection number, and the one place that writes
 * to them. Every write checks backpressure: a socket whose buffered bytes pass the limit
 * (or whose write uWS dropped) is closed with 4100, so a slow consumer never grows memory.
 *
 * Corking: frames for a socket are queued and leave at the end of the event-loop turn (a
 * `setImmediate` flush), all of one socket's frames inside one `ws.cork()`, so they go out in
 * one write instead of one system call per frame. Per socket, frames leave in call order;
 * `end` sends a socket's queued frames before the close.
 *
 * After each flushed write the socket's buffered bytes go to `onWritten` (the gateway
 * re-checks its room members' shed tier there; see TopicTable, "Shedding").
 */
import type { WebSocket } from 'uWebSockets.js'
import type { ConnRef } from '../../../actors/runtime/types.js'
import { decode, encode } from '../../core/codec.js'
import { CloseCodes, type ServerFrame } from '../../protocol/frames.js'
import { type Platform } from '../../model/platform.js'
import type { ShedTier } from './shedding.js'

export interface SocketState {
  id: number
  /** Reply in JSON text frames: the client's last frame was text. */
  json: boolean
  /** `guest`: not logged in, receiving rooms' live traffic only (op `guest`). */
  phase: 'new' | 'authing' | 'guest' | 'live' | 'closed'
  openedAt: number
  app: number
  userId: string
  platform: Platform | ''
  conn: ConnRef | undefined
  /** The group topics this socket subscribes to (see TopicTable); undefined when none. */
  topics: Set<string> | undefined
  /** Its shed tier in every room (0: gets everything; set by TopicTable, see shedding.ts). */
  tier: ShedTier
  /** Its sends (`send`, `groupSend`) accepted and not yet answered (Gateway, maxSendsInFlight). */
  sendsInFlight: number
  /** Its sends refused with 9013 since one of its sends was last answered (Gateway, maxRefusedSends). */
  sendsRefused: number
}

export type Socket = WebSocket<SocketState>

export interface SocketTableOptions {
  /** Connection number of the first socket (default 1). */
  readonly firstId?: number
  /** Called after a flushed write that left the socket open, with its buffered bytes. */
  readonly onWritten?: (ws: Socket, buffered: number) => void
  /** Called just before a slow consumer is closed with 4100, with its buffered bytes. */
  readonly onSlowConsumer?: (ws: Socket, buffered: number) => void
}

/** Frames queued for one socket in this turn: strings are text frames, bytes binary ones. */
interface Queued { ws: Socket; state: SocketState; frames: (string | Uint8Array)[] }

export class SocketTable {
  private readonly byId = new Map<number, Socket>()
  /** Logged-in sockets by `app/userId`. */
  private readonly byUser = new Map<string, Set<number>>()
  private nextId: number
  private queued = new Map<number, Queued>()
  private scheduled = false

  constructor(private readonly maxBackpressureBytes: number, private readonly o: SocketTableOptions = {}) {
    this.nextId = o.firstId ?? 1
  }

  newState(now: number): SocketState {
    return { id: this.nextId++, json: false, phase: 'new', openedAt: now, app: 0, userId: '', platform: '', conn: undefined, topics: undefined, tier: 0, sendsInFlight: 0, sendsRefused: 0 }
  }

  add(ws: Socket): void {
    this.byId.set(ws.getUserData().id, ws)
  }

  /** The open socket with connection number `id`. */
  get(id: number): Socket | undefined {
    return this.byId.get(id)
  }

  /** Indexes a socket that just logged in under its app and user. */
  bindUser(ws: Socket): void {
    const s = ws.getUserData()
    const key = `${s.app}/${s.userId}`
    const set = this.byUser.get(key)
    if (set) set.add(s.id)
    else this.byUser.set(key, new Set([s.id]))
  }

  /** The open sockets of one user on this thread. */
  ofUser(app: number, userId: string): Socket[] {
    const ids = this.byUser.get(`${app}/${userId}`)
    return ids ? [...ids].map((id) => this.byId.get(id)!).filter((ws) => ws !== undefined) : []
  }

  /** Forgets a closed socket, with any frames still queued for it. */
  remove(id: number): void {
    const ws = this.byId.get(id)
    this.byId.delete(id)
    this.queued.delete(id)
    if (!ws) return
    const s = ws.getUserData()
    const key = `${s.app}/${s.userId}`
    const set = this.byUser.get(key)
    if (set?.delete(id) && set.size === 0) this.byUser.delete(key)
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
    this.write(ws, s.json ? JSON.stringify(frame) : encode(frame))
  }

  /** Sends pre-encoded msgpack frame bytes (from an actor) to connection `id`; at most once. */
  push(id: number, bytes: Uint8Array): void {
    const ws = this.byId.get(id)
    if (!ws) return
    const s = ws.getUserData()
    if (s.phase === 'closed') return
    this.write(ws, s.json ? JSON.stringify(decode(bytes)) : bytes)
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
    const q = this.queued.get(s.id)
    if (q !== undefined) {
      this.queued.delete(s.id)
      this.writeOut(ws, q.frames, false)
    }
    s.phase = 'closed'
    ws.end(code, reason.slice(0, 120))
  }

  /** Queues one frame (text when `data` is a string) for this turn's flush. */
  private write(ws: Socket, data: string | Uint8Array): void {
    const state = ws.getUserData()
    const q = this.queued.get(state.id)
    if (q !== undefined) q.frames.push(data)
    else this.queued.set(state.id, { ws, state, frames: [data] })
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flush)
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false
    const queued = this.queued
    this.queued = new Map()
    // The state, not the socket, is checked: uWS throws on any call to a closed socket.
    for (const q of queued.values()) {
      if (q.state.phase !== 'closed') this.writeOut(q.ws, q.frames, true)
    }
  }

  /** Closes a slow consumer with 4100 (telling `onSlowConsumer` first). */
  endSlow(ws: Socket, buffered: number): void {
    this.o.onSlowConsumer?.(ws, buffered)
    this.end(ws, CloseCodes.SLOW_CONSUMER, 'slow consumer: send buffer over the limit')
  }

  /** Sends `frames` in one cork; with `enforce`, ends a socket over its backpressure limit. */
  private writeOut(ws: Socket, frames: (string | Uint8Array)[], enforce: boolean): void {
    let dropped = false
    ws.cork(() => {
      for (const f of frames) if (ws.send(f, typeof f !== 'string') === 2) dropped = true
    })
    if (!enforce) return
    const buffered = ws.getBufferedAmount()
    if (dropped || buffered > this.maxBackpressureBytes) this.endSlow(ws, buffered)
    else this.o.onWritten?.(ws, buffered)
  }
}
