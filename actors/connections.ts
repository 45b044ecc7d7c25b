/**
 * ConnectionRegistry: where a user's devices are connected (node, thread, connection), kept
 * outside the session actor so that a session activated on another node — after a
 * membership change moved it, or after an idle deactivation — still knows its devices.
 *
 * Implementations: `LocalConnectionRegistry` (embedded mode: one node, actors never move, so
 * the session's memory is the registry and nothing is kept) and `RedisConnectionRegistry`
 * (cluster mode, cluster/RedisConnectionRegistry.ts).
 *
 * Written only by the user's session actor. Never throws or rejects: a failed write is
 * logged by the implementation, and the session keeps the device in memory meanwhile.
 */
import type { Platform } from '../src/model/platform.js'
import type { ConnRef } from './runtime/types.js'

export interface DeviceRecord {
  conn: ConnRef
  platform: Platform
  /** ms since the epoch when it logged in. */
  since: number
  /** TLS.time of the UserSig it logged in with (kick invalidates earlier ones). */
  sigTime: number
}

export interface ConnectionRegistry {
  /**
   * True when entries outlive the session's activation (so a session with online devices
   * may be deactivated and reactivated elsewhere without losing them).
   */
  readonly durable: boolean
  /** Whether `node` is in the current membership (a device on a gone node is not online). */
  isLive(node: string): boolean
  /**
   * The devices registered for (app, user). May include devices of a node that died without
   * closing them (check `isLive`); entries of a node's earlier boot incarnations are pruned.
   */
  list(app: number, user: string): Promise<DeviceRecord[]>
  /** Registers a device; resolves once written (or the failure logged). */
  add(app: number, user: string, d: DeviceRecord): Promise<void>
  /** Forgets devices; fire-and-forget. */
  remove(app: number, user: string, conns: readonly ConnRef[]): void
}

/** Embedded mode: nothing outside the session. */
export const LocalConnectionRegistry: ConnectionRegistry = Object.freeze({
  durable: false,
  isLive: () => true,
  list: async () => [],
  add: async () => undefined,
  remove: () => undefined,
})
