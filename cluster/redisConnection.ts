/**
 * How the cluster components get and manage their Redis connections (ioredis 6). One place
 * for the client settings the delivery semantics depend on, the bounded start-up wait, and
 * error reporting that never throws and never floods the log.
 *
 * Client settings for URL sources (a factory is trusted to choose its own; these are the
 * recommended ones):
 * - `lazyConnect`: nothing connects before `start()`.
 * - `enableOfflineQueue: false`, `maxRetriesPerRequest: 0`, `autoResendUnfulfilledCommands:
 *   false`: a command issued while disconnected fails at once, and a command in flight when
 *   the connection drops fails rather than being resent after reconnect. This is what makes
 *   the node bus at-most-once (a resent PUBLISH could be delivered twice) and keeps memory
 *   bounded during an outage.
 * - `retryStrategy`: reconnect forever, backing off 50 ms per attempt up to `reconnectMaxMs`.
 * - `autoResubscribe: false`: `subscribe()` below resubscribes on every reconnect itself, so
 *   a failed resubscription is logged and retried at the next reconnect instead of
 *   becoming an unhandled rejection inside ioredis and leaving the endpoint deaf.
 */
import { Redis } from 'ioredis'
import type { Logger } from '../src/core/log.js'

/** Which connection a component asks a factory for. */
export type RedisRole = 'command' | 'subscriber' | 'publisher'

/**
 * A Redis URL (`redis://[user:password@]host:port[/db]`), or a factory returning a fresh,
 * unshared client for each call. Components own the clients they get and disconnect them
 * on stop.
 */
export type RedisSource = string | ((role: RedisRole) => Redis)

export interface RedisConnectionOptions {
  /** What the connection is for, in log lines and errors (e.g. `membership`). */
  readonly component: string
  readonly role: RedisRole
  readonly log: Logger
  /** Upper bound of the reconnect back-off, ms. */
  readonly reconnectMaxMs: number
  /** A command without a reply after this many ms fails (the connection stays). Unset: none. */
  readonly commandTimeoutMs?: number
}

/** A URL with its password replaced, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return '(unparseable Redis URL)'
  }
}

/**
 * One managed Redis client. Errors are reported through the logger once per outage (one line
 * when a ready connection closes, one when it is ready again); none are thrown.
 */
export class RedisConnection {
  readonly client: Redis
  private readonly where: string
  private readonly component: string
  private readonly role: RedisRole
  private readonly log: Logger
  private lastError: Error | undefined
  private everReady = false
  private healthy = true
  private closed = false
  private readonly restoredListeners: (() => void)[] = []

  constructor(source: RedisSource, opts: RedisConnectionOptions) {
    this.component = opts.component
    this.role = opts.role
    this.log = opts.log
    if (typeof source === 'string') {
      this.where = redactRedisUrl(source)
      this.client = new Redis(source, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        retryStrategy: (times) => Math.min(50 * times, opts.reconnectMaxMs),
        autoResubscribe: false,
        ...(opts.commandTimeoutMs === undefined ? {} : { commandTimeout: opts.commandTimeoutMs }),
        connectionName: `parley-${opts.component}-${opts.role}`,
      })
    } else {
      this.client = source(opts.role)
      const o = this.client.options
      this.where = o.path ? String(o.path) : `${o.host ?? '?'}:${o.port ?? '?'}`
    }
    this.client.on('error', this.onError)
    this.client.on('close', this.onClose)
    this.client.on('ready', this.onReady)
  }

  /**
   * Connects (if not yet) and resolves when the client is ready. Keeps retrying until
   * `timeoutMs`; then disconnects and rejects with an Error naming the component, the
   * address and the last connection error.
   */
  ready(timeoutMs: number): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer)
        this.client.off('ready', onReady)
        this.client.off('end', onEnd)
        if (err === undefined) resolve()
        else {
          this.close()
          reject(err)
        }
      }
      const onReady = () => done()
      const onEnd = () => done(this.unreachable(timeoutMs, 'connection ended'))
      const timer = setTimeout(() => done(this.unreachable(timeoutMs, 'timed out')), timeoutMs)
      this.client.on('ready', onReady)
      this.client.on('end', onEnd)
      if (this.client.status === 'wait') this.client.connect().catch(() => undefined)
    })
  }

  /**
   * Subscribes to `channel` now (rejecting if that fails) and again after every reconnect
   * (a failure then is logged; the next reconnect tries again). Subscribing to a channel
   * already subscribed is harmless, so this is also safe with a factory client that has
   * ioredis's own `autoResubscribe` on.
   */
  async subscribe(channel: string): Promise<void> {
    await this.client.subscribe(channel)
    this.client.on('ready', () => {
      if (this.closed) return
      this.client.subscribe(channel).catch((err: unknown) => {
        this.log.error('redis resubscribe failed; retrying at the next reconnect', {
          component: this.component,
          channel,
          error: err instanceof Error ? err.message : String(err),
        })
      })
    })
  }

  /** Closes the connection at once (replies still pending are lost). Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.client.disconnect()
  }

  private unreachable(timeoutMs: number, what: string): Error {
    const cause = this.lastError ? `: ${this.lastError.message}` : ''
    return new Error(
      `${this.component}: cannot reach Redis at ${this.where} (${this.role} connection ${what} after ${timeoutMs} ms${cause})`,
    )
  }

  private readonly onError = (err: Error): void => {
    this.lastError = err
  }

  private readonly onClose = (): void => {
    if (this.closed || !this.everReady || !this.healthy) return
    this.healthy = false
    this.log.error('redis connection lost; reconnecting', {
      component: this.component,
      role: this.role,
      redis: this.where,
      ...(this.lastError ? { error: this.lastError.message } : {}),
    })
  }

  /** Calls `listener` each time the connection is ready again after it was lost. */
  onRestored(listener: () => void): void {
    this.restoredListeners.push(listener)
  }

  private readonly onReady = (): void => {
    if (this.everReady && !this.healthy) {
      this.log.info('redis connection restored', { component: this.component, role: this.role, redis: this.where })
      for (const l of this.restoredListeners) {
        try {
          l()
        } catch (err) {
          this.log.error('redis restored listener threw', { component: this.component, error: String(err) })
        }
      }
    }
    this.everReady = true
    this.healthy = true
  }
}
