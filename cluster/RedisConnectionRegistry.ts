/**
 * RedisConnectionRegistry: the cluster's ConnectionRegistry (actors/connections.ts).
 *
 * Redis layout (`P` = the key prefix): one hash per user, `P:conns:<app>:<user>`; field =
 * the connection as JSON `[node, thread, conn]` (node with its boot incarnation), value =
 * JSON `{"p": platform, "s": since, "t": sigTime}`. Each `add` refreshes the key's expiry
 * (`KEY_TTL_S`), so users who never log in again leave nothing behind.
 *
 * Liveness: an entry is only as live as its node. `list` returns every entry except those of
 * an earlier boot incarnation of a node that is live again (`name#newer`): those are certainly
 * dead and are deleted. It does not drop entries of nodes merely absent from this node's
 * snapshot, because a node that has just joined may not be in it yet. Entries of a node killed
 * with `kill -9` and not restarted stay until the key expires; `isLive` tells the session to
 * skip them (online status) and pushes to them are dropped by the node bus.
 *
 * Refresh: after the registry's Redis connection is restored (Redis may have restarted and
 * lost everything), each worker thread re-registers its live sockets (`onRestored`).
 *
 * Failures: commands time out after `commandTimeoutMs`; a failure is logged and `list`
 * answers [] (the session then knows only the devices that attach to it), `add` resolves.
 */
import type { ConnectionRegistry, DeviceRecord } from '../actors/connections.js'
import type { MembershipView } from '../actors/runtime/MeshRouter.js'
import type { ConnRef } from '../actors/runtime/types.js'
import type { Logger } from '../src/core/log.js'
import type { Platform } from '../src/model/platform.js'
import { RedisConnection, type RedisSource } from './redisConnection.js'

const KEY_TTL_S = 7 * 24 * 3600

export interface RedisConnectionRegistryOptions {
  readonly redis: RedisSource
  readonly prefix: string
  /** Read for liveness only; changes are not listened to. */
  readonly membership: Pick<MembershipView, 'snapshot'>
  readonly log: Logger
  readonly commandTimeoutMs?: number
  readonly connectTimeoutMs?: number
}

export class RedisConnectionRegistry implements ConnectionRegistry {
  readonly durable = true
  private readonly conn: RedisConnection
  private readonly prefix: string
  private readonly membership: Pick<MembershipView, 'snapshot'>
  private readonly log: Logger
  private readonly connectTimeoutMs: number

  constructor(o: RedisConnectionRegistryOptions) {
    this.prefix = o.prefix
    this.membership = o.membership
    this.log = o.log
    this.connectTimeoutMs = o.connectTimeoutMs ?? 5_000
    this.conn = new RedisConnection(o.redis, {
      component: 'connection registry', role: 'command', log: o.log, reconnectMaxMs: 1_000,
      commandTimeoutMs: o.commandTimeoutMs ?? 2_000,
    })
  }

  /** Connects; rejects (naming Redis) when it cannot within the connect timeout. */
  start(): Promise<void> {
    return this.conn.ready(this.connectTimeoutMs)
  }

  async list(app: number, user: string): Promise<DeviceRecord[]> {
    let all: Record<string, string>
    try {
      all = await this.conn.client.hgetall(this.key(app, user))
    } catch (err) {
      this.failed('list', err)
      return []
    }
    const liveByName = new Map(this.membership.snapshot().nodes.map((n) => [nameOf(n), n]))
    const out: DeviceRecord[] = []
    const stale: string[] = []
    for (const [field, value] of Object.entries(all)) {
      const d = parse(field, value)
      const current = d && liveByName.get(nameOf(d.conn.node))
      if (!d || (current !== undefined && current !== d.conn.node)) stale.push(field)
      else out.push(d)
    }
    if (stale.length > 0) this.conn.client.hdel(this.key(app, user), ...stale).catch((e: unknown) => this.failed('prune', e))
    return out
  }

  /**
   * Calls `listener` whenever the registry's Redis connection comes back after an outage:
   * Redis may have lost its data (a restart without persistence), so the owner of live
   * sockets re-`add`s them (see src/node/thread.ts).
   */
  onRestored(listener: () => void): void {
    this.conn.onRestored(listener)
  }

  isLive(node: string): boolean {
    return this.membership.snapshot().nodes.includes(node)
  }

  async add(app: number, user: string, d: DeviceRecord): Promise<void> {
    const key = this.key(app, user)
    try {
      await this.conn.client.multi()
        .hset(key, fieldOf(d.conn), JSON.stringify({ p: d.platform, s: d.since, t: d.sigTime }))
        .expire(key, KEY_TTL_S)
        .exec()
    } catch (err) {
      this.failed('add', err)
    }
  }

  remove(app: number, user: string, conns: readonly ConnRef[]): void {
    if (conns.length === 0) return
    this.conn.client.hdel(this.key(app, user), ...conns.map(fieldOf)).catch((e: unknown) => this.failed('remove', e))
  }

  close(): void {
    this.conn.close()
  }

  private key(app: number, user: string): string {
    return `${this.prefix}:conns:${app}:${user}`
  }

  private failed(op: string, err: unknown): void {
    this.log.warn('connection registry command failed', { op, error: err instanceof Error ? err.message : String(err) })
  }
}

/** The node name without its boot incarnation (`name#incarnation`). */
function nameOf(node: string): string {
  const i = node.lastIndexOf('#')
  return i < 0 ? node : node.slice(0, i)
}

function fieldOf(c: ConnRef): string {
  return JSON.stringify([c.node, c.thread, c.conn])
}

function parse(field: string, value: string): DeviceRecord | undefined {
  try {
    const [node, thread, conn] = JSON.parse(field) as [unknown, unknown, unknown]
    const v = JSON.parse(value) as { p?: unknown; s?: unknown; t?: unknown }
    if (typeof node !== 'string' || !Number.isInteger(thread) || !Number.isInteger(conn)) return undefined
    if (typeof v.p !== 'string' || typeof v.s !== 'number' || typeof v.t !== 'number') return undefined
    return { conn: { node, thread: thread as number, conn: conn as number }, platform: v.p as Platform, since: v.s, sigTime: v.t }
  } catch {
    return undefined
  }
}
