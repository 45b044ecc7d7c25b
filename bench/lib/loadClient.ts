/**
 * A load-client process (forked by LoadClients): owns a range of sessions, each one socket
 * of wsLite speaking Parley's msgpack protocol, and runs the parent's commands (prepare,
 * open, traffic, close, status; see loadProtocol.ts). Per-message work is kept minimal:
 * each sender has one pre-encoded `send` frame whose rid, MsgRandom and timestamp are
 * patched in place in a copy; a receiver finds the timestamp with one `indexOf`, without
 * decoding the frame. The same code drives Parley and the raw relay baseline.
 */
import { mintUserSigV2 } from '../../src/auth/usersigV2.js'
import { decode, encode } from '../../src/protocol/codec.js'
import { Histogram } from './histogram.js'
import type {
  LoadCommand, LoadReply, OpenResult, SessionSpec, StatusResult, Target, TrafficResult, TrafficSpec,
} from './loadProtocol.js'
import { encodeFrame, LiteSocket } from './wsLite.js'

/** The timestamp marker in `cloudCustomData`: `~T` then 12 decimal digits, µs of `performance.now()`. */
const MARKER = Buffer.from('~T')
const STAMP_DIGITS = 12
/** `"ok": false` as msgpack, which appears in a failed `res` and nowhere else in a sender's frames. */
const OK_FALSE = Buffer.from([0xa2, 0x6f, 0x6b, 0xc2])
/** Sentinels encoded as msgpack uint32 (0xce + 4 bytes) so the template has fixed-width slots. */
const RID_SENTINEL = 0x1a1b1c1d
const RANDOM_SENTINEL = 0x2a2b2c2d
const TEXT = 'benchmark message, 36 bytes of text'

interface Template {
  frame: Buffer
  ridAt: number
  randomAt: number
  stampAt: number
}

interface Session {
  userId: string
  path: string
  loginFrame: Buffer
  role: 'send' | 'recv' | 'none'
  peer: Session | undefined
  template: Template | undefined
  sock: LiteSocket | undefined
  phase: 'idle' | 'connecting' | 'live' | 'closed'
  closingByUs: boolean
  inflight: number
  nextRid: number
  nextRandom: number
}

let sessions: Session[] = []
let senders: Session[] = []
const closedByServer: Record<string, number> = {}

const nowEpoch = () => performance.timeOrigin + performance.now()
const inc = (m: Record<string, number>, k: string, n = 1) => { m[k] = (m[k] ?? 0) + n }

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
      userId, path: spec.pairs ? `/ws?pair=${index >> 1}` : '/ws', loginFrame: encodeFrame(login),
      role: spec.pairs ? (index % 2 === 0 ? 'send' : 'recv') : 'none',
      peer: undefined, template: undefined, sock: undefined, phase: 'idle', closingByUs: false,
      inflight: 0, nextRid: 0x10000000, nextRandom: 0x10000000,
    })
  }
  if (spec.pairs) {
    for (let i = 0; i < sessions.length; i += 2) {
      const [a, b] = [sessions[i], sessions[i + 1]]
      a.peer = b
      b.peer = a
      a.template = buildTemplate(b.userId)
    }
  }
  senders = sessions.filter((s) => s.role === 'send')
  return { sessions: sessions.length, sendFrameBytes: senders[0]?.template?.frame.length ?? 0 }
}

function buildTemplate(to: string): Template {
  const payload = encode({
    op: 'send', rid: RID_SENTINEL, to, random: RANDOM_SENTINEL,
    body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: TEXT } }],
    cloudCustomData: `~T${'0'.repeat(STAMP_DIGITS)}`,
  })
  const frame = encodeFrame(payload)
  const slot = (v: number) => {
    const b = Buffer.from([0xce, 0, 0, 0, 0])
    b.writeUInt32BE(v, 1)
    const at = frame.indexOf(b)
    if (at < 0) throw new Error('sentinel not encoded as uint32')
    return at + 1
  }
  return { frame, ridAt: slot(RID_SENTINEL), randomAt: slot(RANDOM_SENTINEL), stampAt: frame.indexOf(MARKER) + MARKER.length }
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
        connectOne(sessions[next++], target, timeoutMs, hist, finishOne)
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

// ---- traffic: one phase at a time ----

interface Phase {
  spec: TrafficSpec
  t0: number
  mStart: number
  mEnd: number
  result: Omit<TrafficResult, 'latency' | 'undelivered' | 'stuckPairs'>
  hist: Histogram
  rr: number
}

let phase: Phase | undefined
let totalInflight = 0

function onLiveFrame(s: Session, payload: Buffer): void {
  if (s.role === 'recv') {
    const at = payload.indexOf(MARKER)
    if (at >= 0) onDelivery(s.peer!, readStamp(payload, at + MARKER.length))
  } else if (s.role === 'send') {
    if (payload[3] === 0xa3 && payload[4] === 0x72 && payload.indexOf(OK_FALSE) >= 0) {
      const f = safeDecode(payload)
      onSendFailed(s, String(f?.code ?? 'undecodable'))
    }
  }
}

function readStamp(b: Buffer, at: number): number {
  let v = 0
  for (let i = at; i < at + STAMP_DIGITS; i++) v = v * 10 + (b[i] - 48)
  return v
}

function settleOne(sender: Session): void {
  if (sender.inflight > 0) { sender.inflight--; totalInflight-- }
}

function onDelivery(sender: Session, stampUs: number): void {
  const p = phase
  const stampMs = stampUs / 1000
  // A message from an earlier phase (whose in-flight counts were reset) changes nothing now.
  // Phases are ≥ 300 ms apart; the 1 ms margin absorbs the µs rounding of the stamp.
  if (!p || stampMs < p.t0 - 1) return
  settleOne(sender)
  const now = performance.now()
  if (now >= p.mStart && now < p.mEnd) p.result.deliveredInWindow++
  if (stampMs >= p.mStart && stampMs < p.mEnd) p.hist.record(now * 1000 - stampUs)
  if (p.spec.mode === 'closed' && now < p.mEnd) sendOne(p, sender, now)
}

function onSendFailed(sender: Session, code: string): void {
  settleOne(sender)
  const p = phase
  if (!p) return
  inc(p.result.sendErrors, code)
  const now = performance.now()
  if (p.spec.mode === 'closed' && now < p.mEnd) sendOne(p, sender, now)
}

function sendOne(p: Phase, s: Session, stampMs: number): boolean {
  const sock = s.sock
  const t = s.template
  if (!sock || !sock.isOpen || !t) return false
  const f = Buffer.allocUnsafe(t.frame.length)
  t.frame.copy(f)
  f.writeUInt32BE(s.nextRid, t.ridAt)
  f.writeUInt32BE(s.nextRandom, t.randomAt)
  s.nextRid = s.nextRid >= 0xfffffff0 ? 0x10000000 : s.nextRid + 1
  s.nextRandom++
  let v = Math.round(stampMs * 1000)
  for (let i = t.stampAt + STAMP_DIGITS - 1; i >= t.stampAt; i--) {
    f[i] = 48 + (v % 10)
    v = Math.floor(v / 10)
  }
  sock.sendFrame(f)
  s.inflight++
  totalInflight++
  p.result.sent++
  if (stampMs >= p.mStart && stampMs < p.mEnd) p.result.sentInWindow++
  const buffered = sock.bufferedBytes
  if (buffered > p.result.maxClientBufferedBytes) p.result.maxClientBufferedBytes = buffered
  return true
}

function traffic(spec: TrafficSpec): Promise<TrafficResult> {
  if (phase) throw new Error('a traffic phase is already running')
  const t0 = spec.startAt - performance.timeOrigin
  const p: Phase = {
    spec, t0, mStart: t0 + spec.warmupMs, mEnd: t0 + spec.warmupMs + spec.measureMs,
    result: { sent: 0, sentInWindow: 0, deliveredInWindow: 0, windowMs: spec.measureMs, sendErrors: {}, backlogged: 0, maxClientBufferedBytes: 0 },
    hist: new Histogram(), rr: 0,
  }
  phase = p
  return new Promise((resolve) => {
    let pacer: NodeJS.Timeout | undefined
    let due = 0
    const begin = () => {
      // Timers may fire a fraction of a millisecond early; nothing of this phase predates t0.
      p.t0 = Math.min(p.t0, performance.now())
      if (spec.mode === 'closed') {
        const now = performance.now()
        for (const s of senders) for (let k = 0; k < spec.window; k++) sendOne(p, s, now)
      } else {
        pacer = setInterval(() => pace(), 1)
      }
      watch()
    }
    const pace = () => {
      const now = Math.min(performance.now(), p.mEnd)
      const target = Math.floor(((now - p.t0) * spec.ratePerSec) / 1000)
      while (due < target && senders.length > 0) {
        if (totalInflight >= spec.maxInflight) { p.result.backlogged += target - due; due = target; break }
        const s = senders[p.rr++ % senders.length]
        sendOne(p, s, p.t0 + (due * 1000) / spec.ratePerSec)
        due++
      }
      if (performance.now() >= p.mEnd && pacer) { clearInterval(pacer); pacer = undefined }
    }
    const watch = () => {
      const now = performance.now()
      if (now >= p.mEnd && (totalInflight === 0 || now >= p.mEnd + spec.drainMs)) {
        if (pacer) clearInterval(pacer)
        phase = undefined
        const stuckPairs = senders.filter((s) => s.inflight > 0).slice(0, 10)
          .map((s) => ({ from: s.userId, to: s.peer!.userId, inflight: s.inflight }))
        resolve({ ...p.result, latency: p.hist.toData(), undelivered: totalInflight, stuckPairs })
        return
      }
      setTimeout(watch, 10)
    }
    setTimeout(begin, Math.max(0, t0 - performance.now()))
  })
}

/** Forgets messages still counted in flight (after a drain that timed out), so the next phase starts clean. */
function resetInflight(): void {
  for (const s of senders) s.inflight = 0
  totalInflight = 0
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
        resetInflight()
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
      const r = await traffic(cmd)
      resetInflight()
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
