/**
 * End-to-end harness for the client SDK against a real server. Not a test file itself.
 *
 * - `SocketProbe`: a `ws` WebSocket class (passed to the SDK as `WebSocketImpl`, its public
 *   injection point) that records every frame each socket sends and receives, lets a test
 *   break the current socket (`drop()`, an abrupt TCP close the SDK sees as 1006), and can
 *   swallow incoming frames before the SDK sees them (a lost ack, without touching the SDK).
 * - `Inbox`: collects a client's `message` events and lets a test await a count or a match.
 * - `ClientPool`: makes SDK clients for one server and closes all of them in teardown.
 * - `waitEvent`: the next emitter event matching a predicate, with a failure deadline (never a
 *   synchronisation sleep: it resolves as soon as the event fires, and rejects if it never does).
 */
import { Packr } from 'msgpackr'
import { WebSocket } from 'ws'
import { mintUserSigV2 } from '../../src/services/auth/usersigV2.js'
import type { AppConfig } from '../../src/model/apps.js'
import {
  ParleyClient, ParleyClientError, type NewMessageEvent, type ParleyClientEvents, type ParleyClientOptions, type ParleyGuest,
  type ParleyGuestEvents,
} from '../../src/client/index.js'
import type { TestServer } from './server.js'

const codec = new Packr({ useRecords: false, mapsAsObjects: true })

/** How long a test waits for an awaited event before failing, ms. */
export const WaitMs = 20_000

// Frames are inspected field by field; a loose record keeps the tests readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = Record<string, any>

function decodeData(data: unknown, isBinary: boolean): Frame | undefined {
  try {
    if (!isBinary) return JSON.parse(String(data)) as Frame
    if (data instanceof ArrayBuffer) return codec.unpack(new Uint8Array(data)) as Frame
    if (ArrayBuffer.isView(data)) return codec.unpack(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) as Frame
    if (Array.isArray(data)) return codec.unpack(Buffer.concat(data as Buffer[])) as Frame
  } catch {
    return undefined
  }
  return undefined
}

/** One socket the SDK opened, as the probe saw it. */
export interface ProbedSocket {
  readonly index: number
  readonly ws: WebSocket
  /** Frames the SDK wrote, decoded, in order. */
  readonly out: Frame[]
  /** Frames the server sent, decoded, in order (swallowed ones included). */
  readonly in: Frame[]
  /** Resolves with the close code and reason when the socket closes (either side). */
  readonly closed: Promise<{ code: number; reason: string }>
}

/** Decides whether an incoming frame is hidden from the SDK (true = swallowed). */
export type Interceptor = (sock: ProbedSocket, frame: Frame) => boolean

export class SocketProbe {
  readonly sockets: ProbedSocket[] = []
  /** Set to hide incoming frames from the SDK; frames are still recorded in `in`. */
  interceptor: Interceptor | undefined
  readonly WebSocketImpl: new (url: string) => WebSocket
  private waiters: { n: number; resolve: (s: ProbedSocket) => void }[] = []

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const probe = this
    this.WebSocketImpl = class ProbedWebSocket extends WebSocket {
      rec: ProbedSocket | undefined
      constructor(url: string) {
        super(url)
        this.rec = probe.register(this)
      }

      override send(data: unknown, ...rest: unknown[]): void {
        if (this.rec) {
          const f = decodeData(data, typeof data !== 'string')
          if (f) this.rec.out.push(f)
        }
        ;(WebSocket.prototype.send as (...a: unknown[]) => void).call(this, data, ...rest)
      }

      override emit(event: string | symbol, ...args: unknown[]): boolean {
        if (event === 'message' && this.rec) {
          const f = decodeData(args[0], args[1] === true)
          if (f) {
            this.rec.in.push(f)
            if (probe.interceptor?.(this.rec, f)) return false
          }
        }
        return super.emit(event, ...args)
      }
    }
  }

  private register(ws: WebSocket): ProbedSocket {
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: String(reason) }))
    })
    const rec: ProbedSocket = { index: this.sockets.length, ws, out: [], in: [], closed }
    this.sockets.push(rec)
    for (const w of this.waiters.filter((x) => this.sockets.length >= x.n)) {
      this.waiters.splice(this.waiters.indexOf(w), 1)
      w.resolve(rec)
    }
    return rec
  }

  /** The newest socket. */
  get current(): ProbedSocket {
    const s = this.sockets[this.sockets.length - 1]
    if (!s) throw new Error('the client has opened no socket yet')
    return s
  }

  /** Resolves when the client has opened its `n`th socket (1-based). */
  socketNumber(n: number, timeoutMs = WaitMs): Promise<ProbedSocket> {
    if (this.sockets.length >= n) return Promise.resolve(this.sockets[n - 1])
    return withDeadline(new Promise((resolve) => this.waiters.push({ n, resolve })), timeoutMs, `socket #${n}`)
  }

  /** Breaks the current socket abruptly (TCP reset, no close frame): the SDK sees 1006. */
  drop(): void {
    this.current.ws.terminate()
  }

  /** Every `res` frame received on `sock` answering a request of `op` that the SDK wrote on it. */
  responses(sock: ProbedSocket, op: string): Frame[] {
    const rids = new Set(sock.out.filter((f) => f.op === op).map((f) => f.rid))
    return sock.in.filter((f) => f.op === 'res' && rids.has(f.rid))
  }
}

/** Rejects with a descriptive error if `p` has not settled within `ms`. */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer))
}

/** The events of a ParleyClient or a ParleyGuest. */
type EventsOf<S> = S extends ParleyClient ? ParleyClientEvents : S extends ParleyGuest ? ParleyGuestEvents : never

/** The next `event` of `source` (a client or a guest) whose payload satisfies `pred`. Subscribe before causing it. */
export function waitEvent<S extends ParleyClient | ParleyGuest, K extends keyof EventsOf<S> & string>(
  source: S, event: K, pred: (p: EventsOf<S>[K]) => boolean = () => true, timeoutMs = WaitMs,
): Promise<EventsOf<S>[K]> {
  let off: () => void = () => {}
  const on = source.on.bind(source) as unknown as (event: K, fn: (payload: EventsOf<S>[K]) => void) => () => void
  const p = new Promise<EventsOf<S>[K]>((resolve) => {
    off = on(event, (payload) => {
      if (!pred(payload)) return
      off()
      resolve(payload)
    })
  })
  const who = source instanceof ParleyClient ? source.userId : 'guest'
  return withDeadline(p, timeoutMs, `${who}: ${event}`).finally(() => off())
}

/** Every `message` event of one client, in the order surfaced. */
export class Inbox {
  readonly events: NewMessageEvent[] = []
  private waiters: { pred: () => boolean; resolve: () => void }[] = []

  constructor(readonly client: ParleyClient) {
    client.on('message', (m) => {
      this.events.push(m)
      for (const w of this.waiters.filter((x) => x.pred())) {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        w.resolve()
      }
    })
  }

  get keys(): string[] {
    return this.events.map((e) => e.message.msgKey)
  }

  /** Messages of the conversation with `peer`, in the order surfaced. */
  from(peer: string): NewMessageEvent[] {
    return this.events.filter((e) => e.peer === peer)
  }

  /** Resolves once `pred` holds over the collected events (checked now and after each event). */
  until(pred: (events: NewMessageEvent[]) => boolean, what = 'messages', timeoutMs = WaitMs): Promise<void> {
    const check = () => pred(this.events)
    if (check()) return Promise.resolve()
    const p = new Promise<void>((resolve) => this.waiters.push({ pred: check, resolve }))
    return withDeadline(p, timeoutMs, `${this.client.userId}: ${what} (have ${this.events.length})`)
  }

  count(n: number, timeoutMs = WaitMs): Promise<void> {
    return this.until((e) => e.length >= n, `${n} messages`, timeoutMs)
  }

  /** Resolves with the first collected message whose msgKey is `key`. */
  async key(key: string, timeoutMs = WaitMs): Promise<NewMessageEvent> {
    await this.until((e) => e.some((x) => x.message.msgKey === key), `message ${key}`, timeoutMs)
    return this.events.find((x) => x.message.msgKey === key)!
  }
}

/** A UserSig for `userId` in `app`, issued at `nowSec` (default: now). */
export function sigFor(app: AppConfig, userId: string, nowSec = Math.floor(Date.now() / 1000), expireSec = 3600): string {
  return mintUserSigV2({ sdkAppId: app.sdkAppId, key: app.secretKey, userId, expireSec, nowSec })
}

export interface TestClient {
  readonly client: ParleyClient
  readonly probe: SocketProbe
  readonly inbox: Inbox
  readonly userId: string
}

export type ClientOptions = Partial<Omit<ParleyClientOptions, 'WebSocketImpl'>> & {
  /** The app to log in to (default: the server's first app). */
  app?: AppConfig
}

let unique = 0
/** A fresh UserID, so tests sharing a server never share state. */
export function uid(prefix = 'u'): string {
  return `${prefix}${process.pid % 10000}_${++unique}_${Math.floor(Math.random() * 1e5)}`
}

/** SDK clients of one server; `closeAll` (registered as teardown) closes every one of them. */
export class ClientPool {
  private readonly all: ParleyClient[] = []

  constructor(private readonly server: () => Pick<TestServer, 'wsUrl' | 'app'>) {}

  /** A client (not connected) with a probe and an inbox, fast reconnects by default. */
  make(userId: string, o: ClientOptions = {}): TestClient {
    const s = this.server()
    const app = o.app ?? s.app
    const probe = new SocketProbe()
    const { app: _app, ...opts } = o
    const client = new ParleyClient({
      url: s.wsUrl, sdkAppId: app.sdkAppId, userId,
      getUserSig: opts.userSig === undefined ? () => sigFor(app, userId) : undefined,
      reconnect: { minMs: 50, maxMs: 400 },
      ...opts,
      WebSocketImpl: probe.WebSocketImpl,
    })
    this.all.push(client)
    const inbox = new Inbox(client)
    return { client, probe, inbox, userId }
  }

  /** A client that is connected and caught up. */
  async connect(userId: string, o: ClientOptions = {}): Promise<TestClient> {
    const c = this.make(userId, o)
    await withDeadline(c.client.connect(), WaitMs, `${userId} connect`)
    return c
  }

  closeAll(): void {
    for (const c of this.all) c.close()
  }
}

/** A ClientPool for one tap test, closed in its teardown. */
export function testPool(t: { teardown(fn: () => unknown): void }, server: () => TestServer): ClientPool {
  const p = new ClientPool(server)
  t.teardown(() => p.closeAll())
  return p
}

/** The code a rejected SDK promise carries, or 'resolved'. */
export async function codeOf(p: Promise<unknown>): Promise<number | 'resolved'> {
  try {
    await p
    return 'resolved'
  } catch (e) {
    if (e instanceof ParleyClientError) return e.code
    throw e
  }
}

/**
 * A `getUserSig` source that waits while the gate is shut: holds a reconnecting client
 * offline until the test opens it.
 */
export class SigGate {
  private wait: Promise<void> | undefined
  private release: (() => void) | undefined

  constructor(private readonly app: AppConfig) {}

  shut(): void {
    this.wait = new Promise((resolve) => { this.release = resolve })
  }

  open(): void {
    this.release?.()
    this.wait = undefined
  }

  sig(userId: string): () => Promise<string> {
    return async () => {
      await this.wait
      return sigFor(this.app, userId)
    }
  }
}
