/**
 * RedisMembership: live nodes registered in Redis with heartbeats and a TTL.
 *
 * Redis layout (`P` = the key prefix):
 * - `P:members` — sorted set, member = node id (with boot incarnation), score = the entry's
 *   expiry in ms on the Redis server's clock (so node clocks never need to agree).
 * - `P:members:version` — integer, INCRBY'd by the number of changes (joins, leaves,
 *   expiry removals) in every script run that changes the set, so snapshots are totally
 *   ordered across nodes.
 * - `P:members:changes` — pub/sub channel; each change publishes the new version (decimal).
 *
 * Every read and write is one Lua script (`SYNC`): drop expired entries, add or refresh
 * (or, on leave, remove) this node, count the changes, then return the version and the
 * set. So a snapshot's version and nodes are read atomically, and whoever runs the script
 * first after an entry expires removes it and announces the change.
 *
 * Timing guarantees (while Redis answers):
 * - Each node runs SYNC every `heartbeatMs` (refreshing its expiry to now + `ttlMs`),
 *   whenever a change is announced, and when the earliest entry of another node is due to
 *   expire (SYNC returns how long until then). So a node whose heartbeats stop is removed,
 *   and the others told, when its entry expires: `ttlMs` after its last heartbeat, plus a
 *   round trip and timer lateness (at most `ttlMs + heartbeatMs` if that timer were lost: the
 *   heartbeats still run SYNC). A graceful `stop()` is seen by the others within one round trip.
 * - Pub/sub may lose announcements (e.g. across reconnects); the periodic SYNC bounds the
 *   staleness of every snapshot by `heartbeatMs`.
 *
 * Redis outages: no timer or callback throws. Failures are logged once per outage; the
 * snapshot stays at its last value meanwhile (this node cannot learn of changes). The
 * connections reconnect by themselves; the next SYNC re-registers this node if its entry
 * expired or Redis lost its data (a restart without persistence), and is logged as a rejoin.
 *
 * Versions across a Redis data loss: the counter restarts from nothing, so every SYNC
 * carries this node's current version as a floor (the script raises the counter to it
 * first). A member therefore never sees its version go down. The one exception to "same
 * version, same nodes": right after a data loss, a member that had only seen an older
 * version may be handed, for that older number, a different list than another member saw
 * before the loss; it converges at the next change (every re-registration is one).
 *
 * `start()` when Redis is unreachable: keeps trying for `connectTimeoutMs`, then rejects
 * with "membership: cannot reach Redis at <url> (…)" and leaves nothing running.
 */
import type { MembershipSnapshot } from '../actors/runtime/placement.js'
import type { Logger } from '../src/core/log.js'
import { EMPTY_SNAPSHOT, type Membership, type MembershipListener } from './Membership.js'
import { MembershipListeners } from './MembershipListeners.js'
import { RedisConnection, type RedisSource } from './redisConnection.js'

export interface RedisMembershipOptions {
  /** Redis URL, or a factory of fresh clients (called for a command and a subscriber connection). */
  readonly redis: RedisSource
  /** Key and channel prefix shared by the cluster's nodes, e.g. `parley`. */
  readonly prefix: string
  /** This node's id, with its boot incarnation. */
  readonly self: string
  readonly log: Logger
  /** Heartbeat (and polling) period, ms. Default 1,000. */
  readonly heartbeatMs?: number
  /** A node's entry lives this long after its last heartbeat, ms. Default 5,000; > heartbeatMs. */
  readonly ttlMs?: number
  /** How long `start()` keeps trying to reach Redis before rejecting, ms. Default 5,000. */
  readonly connectTimeoutMs?: number
}

export const DEFAULT_HEARTBEAT_MS = 1_000
export const DEFAULT_TTL_MS = 5_000
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000

/** The Redis keys and channel of a membership under `prefix`. */
export function membershipKeys(prefix: string): { members: string; version: string; changes: string } {
  return { members: `${prefix}:members`, version: `${prefix}:members:version`, changes: `${prefix}:members:changes` }
}

/**
 * KEYS: members, version. ARGV: node, ttlMs, floor, channel, mode ('beat' | 'leave').
 * Returns { version, nodes, joined, due } where joined = 1 when this node was (re-)added and
 * due = ms until the earliest entry of another node expires (-1: no other node).
 */
const SYNC = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local changes = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local joined = 0
if ARGV[5] == 'leave' then
  changes = changes + redis.call('ZREM', KEYS[1], ARGV[1])
else
  joined = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  changes = changes + joined
end
local version = tonumber(redis.call('GET', KEYS[2]) or '0')
local floor = tonumber(ARGV[3])
if version < floor then
  version = floor
  redis.call('SET', KEYS[2], version)
end
if changes > 0 then
  version = redis.call('INCRBY', KEYS[2], changes)
  redis.call('PUBLISH', ARGV[4], version)
end
local due = -1
local first = redis.call('ZRANGE', KEYS[1], 0, 1, 'WITHSCORES')
for i = 1, #first, 2 do
  if first[i] ~= ARGV[1] then
    due = tonumber(first[i + 1]) - now
    break
  end
end
return { version, redis.call('ZRANGE', KEYS[1], 0, -1), joined, due }
`

type SyncMode = 'beat' | 'leave'

export class RedisMembership implements Membership {
  readonly self: string
  private readonly source: RedisSource
  private readonly log: Logger
  private readonly keys: ReturnType<typeof membershipKeys>
  private readonly heartbeatMs: number
  private readonly ttlMs: number
  private readonly connectTimeoutMs: number
  private readonly listeners: MembershipListeners
  private current: MembershipSnapshot = EMPTY_SNAPSHOT
  private cmd: RedisConnection | undefined
  private sub: RedisConnection | undefined
  private timer: NodeJS.Timeout | undefined
  /** Runs SYNC when the earliest entry of another node expires (rescheduled by every SYNC). */
  private expiryTimer: NodeJS.Timeout | undefined
  private inFlight: Promise<void> | undefined
  /** A SYNC was requested while one ran (or before the first completed): run one more. */
  private again = false
  /** The first SYNC has completed: heartbeats and announcements now run SYNC. */
  private live = false
  /** This node's entry was written by the first SYNC, so leaving must remove it. */
  private registered = false
  private failing = false
  private started: Promise<void> | undefined
  private stopping: Promise<void> | undefined
  /** Set by stop() and crash(): no more syncs, adoptions or listener calls. */
  private halted = false

  constructor(opts: RedisMembershipOptions) {
    this.self = opts.self
    this.source = opts.redis
    this.log = opts.log
    this.listeners = new MembershipListeners(opts.log)
    this.keys = membershipKeys(opts.prefix)
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS
    this.ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS
    this.connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
    if (!(this.heartbeatMs > 0)) throw new RangeError(`heartbeatMs must be > 0, got ${this.heartbeatMs}`)
    if (!(this.ttlMs > this.heartbeatMs)) {
      throw new RangeError(`ttlMs (${this.ttlMs}) must be greater than heartbeatMs (${this.heartbeatMs})`)
    }
  }

  start(): Promise<void> {
    this.started ??= this.join()
    return this.started
  }

  snapshot(): MembershipSnapshot {
    return this.current
  }

  onChange(listener: MembershipListener): () => void {
    return this.listeners.add(listener)
  }

  stop(): Promise<void> {
    this.stopping ??= this.leave()
    return this.stopping
  }

  /**
   * Stops as if the process had died: timers cleared and connections dropped without
   * deregistering, so the other members see this node expire within `ttlMs + heartbeatMs`.
   * For failure tests, and for an exit path that cannot wait for Redis.
   */
  crash(): void {
    this.halted = true
    this.listeners.clear()
    clearInterval(this.timer)
    clearTimeout(this.expiryTimer)
    this.cmd?.close()
    this.sub?.close()
  }

  private async join(): Promise<void> {
    const role = { component: 'membership', log: this.log, reconnectMaxMs: Math.min(this.heartbeatMs, 1_000) }
    const cmd = new RedisConnection(this.source, { ...role, role: 'command', commandTimeoutMs: this.ttlMs })
    const sub = new RedisConnection(this.source, { ...role, role: 'subscriber' })
    this.cmd = cmd
    this.sub = sub
    try {
      await Promise.all([cmd.ready(this.connectTimeoutMs), sub.ready(this.connectTimeoutMs)])
      sub.client.on('message', this.onAnnouncement)
      sub.client.on('ready', this.requestSync)
      cmd.client.on('ready', this.requestSync)
      await sub.subscribe(this.keys.changes)
      await this.sync('beat')
      this.registered = true
    } catch (err) {
      cmd.close()
      sub.close()
      if (err instanceof Error && err.message.startsWith('membership:')) throw err
      throw new Error(`membership: could not register ${this.self} in Redis: ${err instanceof Error ? err.message : String(err)}`)
    }
    if (this.halted) return
    this.live = true
    this.timer = setInterval(this.requestSync, this.heartbeatMs)
    this.log.info('joined the cluster', { version: this.current.version, nodes: this.current.nodes.length })
    if (this.again) this.requestSync()
  }

  private async leave(): Promise<void> {
    if (this.halted) return
    this.halted = true
    this.listeners.clear()
    clearInterval(this.timer)
    clearTimeout(this.expiryTimer)
    if (this.started === undefined) return
    await this.started.catch(() => undefined)
    await this.inFlight
    if (!this.registered) return
    try {
      if (this.cmd?.client.status !== 'ready') throw new Error('Redis connection is not ready')
      await this.sync('leave')
    } catch (err) {
      this.log.warn('membership: could not deregister; the entry will expire', {
        node: this.self,
        error: err instanceof Error ? err.message : String(err),
      })
    }
    this.cmd?.close()
    this.sub?.close()
  }

  /**
   * Runs SYNC now, or once more after the one in flight (many requests meanwhile make one
   * run). Called by the heartbeat timer, by announcements, and when a connection is ready
   * again after an outage. Never throws.
   */
  private readonly requestSync = (): void => {
    if (this.halted) return
    if (!this.live || this.inFlight !== undefined) {
      this.again = true
      return
    }
    this.again = false
    this.inFlight = this.beat().finally(() => {
      this.inFlight = undefined
      if (this.again) this.requestSync()
    })
  }

  private async beat(): Promise<void> {
    try {
      const joined = await this.sync('beat')
      if (this.failing) {
        this.failing = false
        this.log.info('membership heartbeat recovered', { version: this.current.version })
      }
      if (joined) this.log.warn('membership: re-registered (entry had expired or Redis lost it)')
    } catch (err) {
      if (!this.failing && !this.halted) {
        this.failing = true
        this.log.error('membership heartbeat failed; retrying every heartbeat', {
          node: this.self,
          error: err instanceof Error ? err.message : String(err),
        })
      }
    }
  }

  /** One SYNC run; a `beat` adopts the snapshot it returns. Resolves whether this node was (re-)added. */
  private async sync(mode: SyncMode): Promise<boolean> {
    const cmd = this.cmd
    if (cmd === undefined) throw new Error('membership not started')
    const reply = (await cmd.client.eval(
      SYNC,
      2,
      this.keys.members,
      this.keys.version,
      this.self,
      String(this.ttlMs),
      String(this.current.version),
      this.keys.changes,
      mode,
    )) as [number, string[], number, number]
    const [version, nodes, joined, due] = reply
    if (mode === 'beat') {
      this.adopt(version, nodes)
      this.watchExpiry(due)
    }
    return joined === 1
  }

  /**
   * Schedules a SYNC for when the earliest entry of another node expires, `dueMs` from the
   * SYNC that reported it (1 ms later, so that Redis's clock has passed the score). Entries of
   * live nodes are refreshed before then, and the next SYNC reschedules; only the entry of a
   * node that stopped heartbeating is still there when the timer fires, and that SYNC removes
   * it (at most one extra SYNC per heartbeat when `ttlMs` < 2 × `heartbeatMs`). Never while halted.
   */
  private watchExpiry(dueMs: number): void {
    clearTimeout(this.expiryTimer)
    this.expiryTimer = undefined
    if (this.halted || !(dueMs >= 0) || dueMs > this.ttlMs) return
    this.expiryTimer = setTimeout(this.requestSync, dueMs + 1)
    this.expiryTimer.unref()
  }

  private adopt(version: number, nodes: readonly string[]): void {
    if (this.halted || version <= this.current.version) return
    const snap: MembershipSnapshot = Object.freeze({ version, nodes: Object.freeze([...nodes].sort()) })
    this.current = snap
    this.listeners.notify(snap)
  }

  private readonly onAnnouncement = (channel: string, message: string): void => {
    if (channel !== this.keys.changes) return
    const version = Number(message)
    if (!Number.isFinite(version) || version > this.current.version) this.requestSync()
  }
}
