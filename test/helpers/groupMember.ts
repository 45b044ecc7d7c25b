/**
 * A raw logged-in socket (msgpack, or JSON text with `json`) that keeps every group event it
 * receives (`gev` frames, unpacked) in arrival order, and the other frames apart; tests
 * await conditions over them. Not a test file itself.
 */
import WebSocket from 'ws'
import { codec } from './rawClient.js'
import type { TestServer } from './server.js'

// Frames are checked field by field; a loose record keeps the tests readable.
export type Frame = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/** A logged-in socket that keeps every group event it receives, in arrival order. */
export class GroupMember {
  readonly events: Frame[] = []
  readonly frames: Frame[] = []
  /** The format of each `gev` frame received, in order. */
  readonly gevFormats: ('binary' | 'text')[] = []
  private waiters: { check: () => boolean; resolve: () => void }[] = []
  private rid = 0

  private constructor(readonly userId: string, readonly ws: WebSocket, private json: boolean) {
    ws.on('message', (data, isBinary) => {
      const f = (isBinary ? codec.unpack(data as Buffer) : JSON.parse(String(data))) as Frame
      if (f.op === 'gev') {
        this.events.push(...f.evs)
        this.gevFormats.push(isBinary ? 'binary' : 'text')
      }
      else this.frames.push(f)
      this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true))
    })
  }

  /** Logs `userId` in to a test server with a freshly minted UserSig. */
  static loginTo(server: Pick<TestServer, 'wsUrl' | 'app' | 'userSig'>, userId: string, opts: { json?: boolean; platform?: string } = {}): Promise<GroupMember> {
    return GroupMember.login(server.wsUrl, server.app.sdkAppId, userId, server.userSig(userId), opts)
  }

  /** An open socket that has not logged in (e.g. for a guest). */
  static async connect(wsUrl: string, json = false, userId = '(guest)'): Promise<GroupMember> {
    const ws = new WebSocket(wsUrl)
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
    return new GroupMember(userId, ws, json)
  }

  static async login(wsUrl: string, sdkAppId: number, userId: string, userSig: string, opts: { json?: boolean; platform?: string } = {}): Promise<GroupMember> {
    const m = await GroupMember.connect(wsUrl, opts.json ?? false, userId)
    const r = await m.request('login', { sdkAppId, userId, userSig, platform: opts.platform ?? 'Web' })
    if (r.ok !== true) throw new Error(`login ${userId}: ${JSON.stringify(r)}`)
    return m
  }

  /** Sends later requests as JSON text (`json`) or msgpack; the server answers in kind. */
  useJson(json: boolean): void {
    this.json = json
  }

  /** Resolves once `check` holds over what has arrived. */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ check, resolve }))
  }

  async request(op: string, fields: Frame = {}): Promise<Frame> {
    const rid = ++this.rid
    const frame = { op, rid, ...fields }
    this.ws.send(this.json ? JSON.stringify(frame) : codec.pack(frame))
    await this.until(() => this.frames.some((f) => f.op === 'res' && f.rid === rid))
    return this.frames.find((f) => f.op === 'res' && f.rid === rid)!
  }

  /** The group messages received for `groupId`, tips left out. */
  messages(groupId: string): Frame[] {
    return this.groupMsgs(groupId).filter((m) => m.from !== '@TIM#SYSTEM')
  }

  /** The group tips received for `groupId`: each TIMGroupTipElem's content, with the tip's `seq`. */
  tips(groupId: string): Frame[] {
    return this.groupMsgs(groupId).filter((m) => m.from === '@TIM#SYSTEM').map((m) => ({ seq: m.seq, ...m.body[0].MsgContent }))
  }

  /** The `groupRecall` events received for `groupId`, their seqs in order. */
  recalls(groupId: string): number[] {
    return this.events.filter((e) => e.type === 'groupRecall' && e.groupId === groupId).map((e) => e.seq)
  }

  private groupMsgs(groupId: string): Frame[] {
    return this.events.filter((e) => e.type === 'groupMsg' && e.groupId === groupId).map((e) => e.msg)
  }

  close(): void {
    this.ws.close()
  }
}

