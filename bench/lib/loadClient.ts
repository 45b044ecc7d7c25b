/**
 * A load-client process (forked by LoadClients): owns a range of sessions, each one socket
 * of wsLite speaking Parley's msgpack protocol, and runs the parent's commands (prepare,
 * open, traffic, close, status; see loadProtocol.ts). Per-message work is kept minimal:
 * each sender has one pre-encoded `send` frame whose rid, MsgRandom and timestamp are
 * patched in a copy; a receiver finds the timestamp with one `indexOf`, without decoding
 * the frame (messageFrames.ts). The same code drives Parley and the raw relay baseline.
 */
import { mintUserSigV2 } from '../../src/services/auth/usersigV2.js'
import { decode, encode } from '../../src/core/codec.js'
import { Histogram } from './histogram.js'
import type { LoadCommand, LoadReply, OpenResult, SessionSpec, StatusResult, Target } from './loadProtocol.js'
import { buildTemplate, isFailedRes, readStamp, type SendTemplate } from './messageFrames.js'
import { Traffic, type Sender } from './traffic.js'
import { encodeFrame, LiteSocket } from './wsLite.js'

/** One user's socket. A sender (pair role `send`) is also a traffic `Sender`. */
interface Session extends Sender {
  path: string
  loginFrame: Buffer
  role: 'send' | 'recv' | 'none'
  /** For a receiver: the session sending to it. */
  sender: Session | undefined
  phase: 'idle' | 'connecting' | 'live' | 'closed'
  closingByUs: boolean
}

let sessions: Session[] = []
let traffic = new Traffic([])
const closedByServer: Record<string, number> = {}

const nowEpoch = () => performance.timeOrigin + performance.now()
const inc = (m: Record<string, number>, k: string) => { m[k] = (m[k] ?? 0) + 1 }
const NO_TEMPLATE: SendTemplate = { frame: Buffer.alloc(0), ridAt: 0, randomAt: 0, stampAt: 0 }

function prepare(spec: SessionSpec): { sessions: number; sendFrameBytes: number } {
  if (spec.pairs && (spec.first % 2 !== 0 || spec.count % 2 !== 0)) throw new Error('pairs need an even first index and count')
  const nowSec = Math.floor(Date.now() / 1000)
  sessions = []
  for (let i = 0; i < spec.count; i++) {
    const index = spec.first + i
    const userId = `${spec.prefix}${index}`
    const userSig = mintUserSigV2({ sdkAppId: spec.sdkAppId, key: spec.secretKey, userId, expireSec: 86400, nowSec })
    const login = encode({ op: 'login', rid: 1, sdkAppId: spec.sdkAppId, userId, userSig, platform: 'Linux' })
    sessions.push({
      userId, peerId: '', path: spec.pairs ? `/ws?pair=${index >> 1}` : '/ws', loginFrame: encodeFrame(login),
      role: spec.pairs ? (index % 2 === 0 ? 'send' : 'recv') : 'none', sender: undefined,
      template: NO_TEMPLATE, sock: undefined, phase: 'idle', closingByUs: false,
      inflight: 0, sentCount: 0, receivedCount: 0, nextRid: 0x10000000, nextRandom: 0x10000000,
    })
  }
  if (spec.pairs) {
    for (let i = 0; i < sessions.length; i += 2) {
      const [a, b] = [sessions[i], sessions[i + 1]]
      a.peerId = b.userId
      a.template = buildTemplate(b.userId)
      b.sender = a
    }
  }
  const senders = sessions.filter((s) => s.role === 'send')
  traffic = new Traffic(senders)
  return { sessions: sessions.length, sendFrameBytes: senders[0]?.template.frame.length ?? 0 }
}

// ---- open: connect and log in every session, `concurrency` at a time ----

function open(target: Target, concurrency: number, startAt: number, timeoutMs: number): Promise<OpenResult> {
  const hist = new Histogram()
  const failures: Record<string, number> = {}
  let next = 0
  let active = 0
  let done = 0
  let loggedIn = 0
  let lastDoneAt = 0
  const total = sessions.length
  return new Promise((resolve) => {
    const finishOne = (ok: boolean, why?: string) => {
      done++
      active--
      if (ok) { loggedIn++; lastDoneAt = nowEpoch() } else inc(failures, why ?? 'unknown')
      if (done === total) resolve({ attempted: total, loggedIn, failures, firstStartAt: startAt, lastDoneAt, latency: hist.toData() })
      else launch()
    }
    const launch = () => {
      while (active < concurrency && next < total) {
        active++
        const i = next++
        const port = target.ports ? target.ports[i % target.ports.length] : target.port
        connectOne(sessions[i], { host: target.host, port }, timeoutMs, hist, finishOne)
      }
    }
    if (total === 0) resolve({ attempted: 0, loggedIn: 0, failures, firstStartAt: startAt, lastDoneAt: startAt, latency: hist.toData() })
    else setTimeout(launch, Math.max(0, startAt - nowEpoch()))
  })
}

function connectOne(s: Session, target: Target, timeoutMs: number, hist: Histogram, finish: (ok: boolean, why?: string) => void): void {
  const started = performance.now()
  let settled = false
  const settle = (ok: boolean, why?: string) => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    finish(ok, why)
  }
  const timer = setTimeout(() => { settle(false, 'timeout'); s.sock?.destroy() }, timeoutMs)
  s.phase = 'connecting'
  s.closingByUs = false
  s.sock = new LiteSocket(target.host, target.port, s.path, {
    open: () => s.sock!.sendFrame(s.loginFrame),
    message: (payload) => {
      if (s.phase === 'live') return onLiveFrame(s, payload)
      const f = safeDecode(payload)
      if (f?.op !== 'res' || f.rid !== 1) return
      if (f.ok === true) {
        s.phase = 'live'
        hist.record((performance.now() - started) * 1000)
        settle(true)
      } else {
        settle(false, `login:${String(f.code)}`)
      }
    },
    close: (code, reason) => {
      const wasLive = s.phase === 'live'
      s.phase = 'closed'
      if (wasLive && !s.closingByUs) inc(closedByServer, `${code}`)
      settle(false, `closed:${code}${reason ? `:${reason}` : ''}`)
    },
  })
}

function safeDecode(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const v = decode(payload)
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** A frame on a logged-in socket: a delivery (receiver) or possibly a failed send (sender). */
function onLiveFrame(s: Session, payload: Buffer): void {
  if (s.role === 'recv') {
    const stamp = readStamp(payload)
    if (stamp >= 0) traffic.onDelivery(s.sender!, stamp)
  } else if (s.role === 'send') {
    const failed = isFailedRes(payload, safeDecode)
    if (failed) traffic.onSendFailed(s, failed.code)
  }
}

// ---- close and status ----

function closeAll(graceMs: number): Promise<{ closed: number }> {
  const live = sessions.filter((s) => s.sock && s.phase !== 'closed')
  for (const s of live) { s.closingByUs = true; s.sock!.close(1000, graceMs) }
  return new Promise((resolve) => {
    const deadline = performance.now() + graceMs + 2000
    const check = () => {
      const left = live.filter((s) => s.phase !== 'closed').length
      if (left === 0 || performance.now() > deadline) {
        for (const s of live) if (s.phase !== 'closed') s.sock!.destroy()
        traffic.reset()
        resolve({ closed: live.length - left })
      } else setTimeout(check, 20)
    }
    check()
  })
}

function status(): StatusResult {
  return { open: sessions.filter((s) => s.phase === 'live').length, closedByServer: { ...closedByServer } }
}

async function run(cmd: LoadCommand): Promise<unknown> {
  switch (cmd.type) {
    case 'prepare': return prepare(cmd.sessions)
    case 'open': return open(cmd.target, cmd.concurrency, cmd.startAt, cmd.timeoutMs)
    case 'traffic': {
      const r = await traffic.run(cmd)
      traffic.reset()
      return r
    }
    case 'close': return closeAll(cmd.graceMs)
    case 'status': return status()
  }
}

if (!process.send) throw new Error('loadClient.ts must be forked with an IPC channel')
const reply = (r: LoadReply) => process.send!(r)
process.on('message', (cmd: LoadCommand) => {
  run(cmd).then(
    (result) => reply({ id: cmd.id, ok: true, result }),
    (e: unknown) => reply({ id: cmd.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
  )
})
process.on('disconnect', () => {
  for (const s of sessions) s.sock?.destroy()
  process.exit(0)
})
