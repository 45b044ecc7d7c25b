/**
 * UserSession: one virtual actor per (app, user). Owns the user's online devices, account and
 * group subscriptions: login (attach), multi-login policy, kick. One-to-one conversations are
 * not here: each has one writer, its conversation shard (actors/conv/ConvShard.ts), which
 * pushes its events through this session (`pushFrame`) to the user's devices. It never awaits
 * another actor.
 */
import { ParleyError } from '../../src/core/errors.js'
import { encode } from '../../src/core/codec.js'
import { CloseCodes } from '../../src/protocol/frames.js'
import type { Platform } from '../../src/model/platform.js'
import { isReservedUserId } from '../../src/model/message.js'
import type { AccountRecord } from '../../src/store/AccountStore.js'
import type { ActorDeps } from '../deps.js'
import { groupTopic } from '../topic.js'
import type { Actor, ActorContext, ConnRef, DeactivationReason } from '../runtime/types.js'
import { type ActorMessage, dispatch, type Handlers } from '../runtime/protocol.js'
import type { AttachResult, StatusResult, UserProtocol, UserRequest } from './protocol.js'

interface Device { conn: ConnRef; platform: Platform; since: number }

export class UserSession implements Actor {
  private readonly owner: { readonly app: number; readonly user: string }
  private account: AccountRecord | undefined
  private readonly devices = new Map<string, Device>()

  constructor(private readonly ctx: ActorContext<ActorDeps>) {
    this.owner = { app: ctx.self.app, user: ctx.self.key }
  }

  async onActivate(): Promise<void> {
    const { accounts, connections } = this.ctx.deps
    const [account, devices] = await Promise.all([
      accounts.get(this.owner.app, this.owner.user),
      connections.list(this.owner.app, this.owner.user),
    ])
    this.account = account
    for (const d of devices) this.devices.set(connKey(d.conn), { conn: d.conn, platform: d.platform, since: d.since })
  }

  /**
   * Devices live only in this activation. After a fault the next activation would not know
   * them, so they are told to reconnect (4103), which re-attaches them and catches them up.
   */
  async onDeactivate(reason: DeactivationReason): Promise<void> {
    if (reason === 'failed') this.dropAllDevices(CloseCodes.SESSION_RESTARTED, 'session restarted; reconnect')
  }

  /** With a durable connection registry (cluster mode) the devices outlive this activation. */
  canDeactivate(): boolean {
    return this.devices.size === 0 || this.ctx.deps.connections.durable
  }

  /** One handler per message of the UserSession protocol (actors/user/protocol.ts). */
  private readonly handlers: Handlers<UserProtocol> = {
    attach: (m) => this.onAttach(m),
    detach: (m) => this.onDetach(m),
    topics: (m) => this.onTopics(m),
    pushFrame: (m) => this.onPushFrame(m),
    kick: () => this.onKick(),
    status: () => this.onStatus(),
    importAccount: (m) => this.onImportAccount(m),
    deleteAccount: () => this.onDeleteAccount(),
    checkAccount: () => ({ imported: this.account !== undefined }),
  }

  handle(msg: ActorMessage): Promise<unknown> {
    return dispatch(this.handlers, msg)
  }

  private nowSec(): number {
    return Math.floor(this.ctx.now() / 1000)
  }

  private onPushFrame(m: UserRequest<'pushFrame'>): void {
    const skip = m.except && connKey(m.except)
    for (const [key, d] of this.devices) if (key !== skip) this.ctx.push(d.conn, m.frame)
  }

  /**
   * Registers a device and subscribes it to the topics of the user's groups (read from the
   * joined-group index) before replying. Joins and leaves reach this session as `topics`
   * messages; every subscription change for a connection leaves from here, so its thread
   * applies them in order.
   */
  private onAttach(m: UserRequest<'attach'>): Promise<AttachResult> {
    return this.ensureImported().then(() => {
      if (m.sigTime < (this.account?.kickedAt ?? 0)) throw new ParleyError('SIG_INVALIDATED')
      const policy = this.ctx.deps.apps.get(this.owner.app)?.multiLogin ?? 'perPlatform'
      const kicked: ConnRef[] = []
      const self = connKey(m.conn)
      for (const [key, d] of this.devices) {
        // The same connection again (an attach resent after a node failure, its first copy
        // registered by the previous activation) is this device, not an older one.
        if (key === self) continue
        if (policy === 'single' || (policy === 'perPlatform' && d.platform === m.platform)) {
          this.disconnect(d.conn, CloseCodes.KICKED_OTHER_LOGIN, `kicked by a newer login on ${m.platform}`)
          this.devices.delete(key)
          kicked.push(d.conn)
        }
      }
      const since = this.ctx.now()
      this.devices.set(connKey(m.conn), { conn: m.conn, platform: m.platform, since })
      const { connections } = this.ctx.deps
      connections.remove(this.owner.app, this.owner.user, kicked)
      const { app, user } = this.owner
      return Promise.all([
        connections.add(app, user, { conn: m.conn, platform: m.platform, since, sigTime: m.sigTime }),
        this.ctx.deps.groups.joinedGroups(app, user),
        this.ctx.deps.checkpointer.log.shardsOf(app, user),
      ]).then(([, joined, shards]) => {
        if (joined.length) this.ctx.subscribe(m.conn, joined.map((g) => groupTopic(app, g.groupId)), true)
        return { shards }
      })
    })
  }

  private async ensureImported(): Promise<void> {
    if (this.account) return
    refuseReserved(this.owner.user)
    const rec: AccountRecord = { userId: this.owner.user, createdAt: this.nowSec(), kickedAt: 0 }
    await this.ctx.deps.accounts.put(this.owner.app, rec)
    this.account = rec
  }

  private disconnect(conn: ConnRef, code: number, reason: string): void {
    this.ctx.disconnect(conn, code, reason, encode({ op: 'bye', code, reason }))
  }

  private onTopics(m: UserRequest<'topics'>): void {
    for (const d of this.devices.values()) this.ctx.subscribe(d.conn, m.topics, m.on)
  }

  private onDetach(m: UserRequest<'detach'>): void {
    if (this.devices.delete(connKey(m.conn))) this.ctx.deps.connections.remove(this.owner.app, this.owner.user, [m.conn])
  }

  /** Invalidates every UserSig issued before now and closes every device (REST kick). */
  private async onKick(): Promise<void> {
    if (!this.account) throw new ParleyError('ACCOUNT_NOT_IMPORTED', this.owner.user)
    const rec = { ...this.account!, kickedAt: this.nowSec() }
    await this.ctx.deps.accounts.put(this.owner.app, rec)
    this.account = rec
    this.dropAllDevices(CloseCodes.KICKED_BY_ADMIN, 'kicked by the app backend')
  }

  private dropAllDevices(code: number, reason: string): void {
    for (const d of this.devices.values()) this.disconnect(d.conn, code, reason)
    this.ctx.deps.connections.remove(this.owner.app, this.owner.user, [...this.devices.values()].map((d) => d.conn))
    this.devices.clear()
  }

  private onStatus(): StatusResult {
    const { connections } = this.ctx.deps
    const devices = [...this.devices.values()].filter((d) => connections.isLive(d.conn.node)).map((d) => ({ platform: d.platform, since: d.since }))
    return { online: devices.length > 0, devices }
  }

  private async onImportAccount(m: UserRequest<'importAccount'>): Promise<void> {
    refuseReserved(this.owner.user)
    const base = this.account ?? { userId: this.owner.user, createdAt: this.nowSec(), kickedAt: 0 }
    const rec: AccountRecord = { ...base, nick: m.nick ?? base.nick, faceUrl: m.faceUrl ?? base.faceUrl }
    await this.ctx.deps.accounts.put(this.owner.app, rec)
    this.account = rec
  }

  private async onDeleteAccount(): Promise<{ existed: boolean }> {
    const existed = await this.ctx.deps.accounts.delete(this.owner.app, this.owner.user)
    this.account = undefined
    this.dropAllDevices(CloseCodes.KICKED_BY_ADMIN, 'account deleted')
    return { existed }
  }

}

/** No account is created under a server-reserved UserID (INVALID_PARAMS, 70402). */
function refuseReserved(user: string): void {
  if (isReservedUserId(user)) throw new ParleyError('INVALID_PARAMS', `UserID ${user} is reserved for the server`)
}

function connKey(c: ConnRef): string {
  return `${c.node}/${c.thread}/${c.conn}`
}

