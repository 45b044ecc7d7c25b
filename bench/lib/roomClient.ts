/**
 * A member process of the broadcast benchmark (forked by RoomClients): owns a range of one
 * room's members, each one socket (to the target's port, or spread over its `ports`: a
 * cluster's nodes), and runs the parent's commands (roomProtocol.ts).
 *
 * Parley and the raw uWS baseline: RoomSocket (roomSocket.ts, a read-optimised wsLite)
 * speaking Parley's msgpack protocol (`login`, then `groupApply`). socket.io: socket.io-client
 * sockets (websocket transport only) that emit `join` and receive `m` events. Every member
 * counts the phase's events it receives — all events of a coalesced frame, without decoding
 * (see onLiteFrame); one member in `sampleEvery` also records send → receive latency and the
 * highest message index seen, which the process reports as `progress` (the minimum over its
 * live sampled members).
 */
import { io, type Socket as IoSocket } from 'socket.io-client'
import { mintUserSigV2 } from '../../src/services/auth/usersigV2.js'
import { decode, encode } from '../../src/core/codec.js'
import { Histogram } from './histogram.js'
import type { CountResult, MemberCommand, MemberPhaseResult, MemberSpec, OpenResult, ProgressMessage, RoomReply, RoomTarget } from './roomProtocol.js'
import { findTag, gevEventCount, isRes, monoUs, parseTagString, TAG_REST, tagK, tagPhase, tagStamp } from './roomFrames.js'
import { RoomSocket } from './roomSocket.js'
import { encodeFrame } from './wsLite.js'

interface Member {
  userId: string
  /** The server port this member connects to (RoomTarget `ports`). */
  port: number
  sampled: boolean
  state: 'idle' | 'connecting' | 'live' | 'closed'
  closingByUs: boolean
  /** Events of the current phase received, and the highest message index among them (sampled members). */
  received: number
  maxK: number
  conn: { close(): void; destroy(): void } | undefined
}

/** Parley's code for "already a member": a member made by an earlier run joins again. */
const ALREADY_MEMBER = 10013

let target: RoomTarget | undefined
let members: Member[] = []
const closedByServer: Record<string, number> = {}

/** The current phase; events of other phases are not counted. */
let phase = -1
let measureFromUs = 0
let measureToUs = 0
let receivedTotal = 0
/** Benchmark events of any phase received in this process's life (drain and quiet checks). */
let eventsEver = 0
let receivedAtFrom = 0
let receivedAtTo = -1
let frames = 0
let singleEventFrameBytes = 0
let countMismatches = 0
let hist = new Histogram()
let lastProgress = -1
let progressTimer: NodeJS.Timeout | undefined

const inc = (m: Record<string, number>, k: string) => { m[k] = (m[k] ?? 0) + 1 }

function prepare(t: RoomTarget, spec: MemberSpec): { members: number } {
  target = t
  const portOf = (i: number) => (t.ports && t.ports.length > 0 ? t.ports[i % t.ports.length] : t.port)
  members = Array.from({ length: spec.count }, (_, i) => ({
    userId: `${spec.prefix}${spec.first + i}`, port: portOf(spec.first + i), sampled: (spec.first + i) % spec.sampleEvery === 0,
    state: 'idle', closingByUs: false, received: 0, maxK: -1, conn: undefined,
  }))
  return { members: members.length }
}

// ---- open: connect, log in and join, `concurrency` at a time ----

type OpenMode = Extract<MemberCommand, { type: 'open' }>['mode']

function openAll(concurrency: number, timeoutMs: number, mode: OpenMode): Promise<OpenResult> {
  const t = target
  if (!t) return Promise.reject(new Error('prepare first'))
  const failures: Record<string, number> = {}
  const started = performance.now()
  let next = 0
  let active = 0
  let finished = 0
  let done = 0
  return new Promise((resolve) => {
    const finishOne = (why?: string) => {
      finished++
      active--
      if (why === undefined) done++
      else inc(failures, why)
      if (finished === members.length) resolve({ attempted: members.length, done, failures, elapsedMs: Math.round(performance.now() - started) })
      else launch()
    }
    const launch = () => {
      while (active < concurrency && next < members.length) {
        active++
        const m = members[next++]
        const connect = t.system === 'socketio' ? connectSocketIo : connectLite
        connect(t, m, mode, timeoutMs, finishOne)
      }
    }
    if (members.length === 0) resolve({ attempted: 0, done: 0, failures, elapsedMs: 0 })
    else launch()
  })
}

function connectLite(t: RoomTarget, m: Member, mode: OpenMode, timeoutMs: number, finish: (why?: string) => void): void {
  const nowSec = Math.floor(Date.now() / 1000)
  const userSig = mintUserSigV2({ sdkAppId: t.sdkAppId, key: t.secretKey, userId: m.userId, expireSec: 86400, nowSec })
  const login = encodeFrame(encode({ op: 'login', rid: 1, sdkAppId: t.sdkAppId, userId: m.userId, userSig, platform: 'Linux' }))
  const apply = encodeFrame(encode({ op: 'groupApply', rid: 2, groupId: t.groupId }))
  const settle = once(finish, timeoutMs, () => m.conn?.destroy())
  m.state = 'connecting'
  m.closingByUs = false
  const sock = new RoomSocket(t.host, m.port, '/ws', {
    open: () => sock.sendFrame(login),
    message: (payload) => {
      if (m.state === 'live') return onLiteFrame(m, payload)
      if (!isRes(payload)) return
      const f = decode(payload) as { rid?: number; ok?: boolean; code?: number }
      const ok = f.ok === true || (f.rid === 2 && f.code === ALREADY_MEMBER)
      if (!ok) return settle(`${f.rid === 1 ? 'login' : 'join'}:${String(f.code)}`)
      if (f.rid === 1 && mode !== 'login') return sock.sendFrame(apply)
      m.state = 'live'
      if (mode === 'joinAndLeave') { m.closingByUs = true; sock.close(1000) }
      settle()
    },
    close: (code, reason) => onClosed(m, String(code), () => settle(`closed:${code}${reason ? `:${reason}` : ''}`)),
  })
  m.conn = { close: () => sock.close(1000), destroy: () => sock.destroy() }
}

function connectSocketIo(t: RoomTarget, m: Member, _mode: OpenMode, timeoutMs: number, finish: (why?: string) => void): void {
  const settle = once(finish, timeoutMs, () => m.conn?.destroy())
  m.state = 'connecting'
  m.closingByUs = false
  const sock: IoSocket = io(`http://${t.host}:${m.port}`, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: timeoutMs })
  sock.on('connect', () => sock.emit('join', () => { m.state = 'live'; settle() }))
  sock.on('connect_error', (e) => settle(`connect:${e.message}`))
  sock.on('m', (ev: { msg?: { cloudCustomData?: unknown } }) => {
    const tag = parseTagString(ev?.msg?.cloudCustomData)
    if (tag) eventsEver++
    if (!tag || tag.phase !== phase) return
    count(m, 1)
    if (m.sampled) sample(m, tag.k, tag.stampUs, monoUs())
  })
  sock.on('disconnect', (reason) => onClosed(m, reason, () => settle(`closed:${reason}`)))
  m.conn = { close: () => sock.disconnect(), destroy: () => sock.disconnect() }
}

/** Calls `finish` once: with the outcome, or 'timeout' (after `onTimeout`) when `timeoutMs` passes first. */
function once(finish: (why?: string) => void, timeoutMs: number, onTimeout: () => void): (why?: string) => void {
  let settled = false
  const settle = (why?: string) => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    finish(why)
  }
  const timer = setTimeout(() => { settle('timeout'); onTimeout() }, timeoutMs)
  return settle
}

function onClosed(m: Member, code: string, settle: () => void): void {
  const wasLive = m.state === 'live'
  m.state = 'closed'
  if (wasLive && !m.closingByUs) inc(closedByServer, code)
  settle()
}

// ---- counting ----

/**
 * A frame on a live wsLite member. The events of one frame are all of one phase and all
 * benchmark messages (phases are separated by a quiet spell and nothing else is published to
 * the room meanwhile), so a member counts the `gev` header's events once the first is a
 * message of this phase; a sampled member also reads every event's tag and counts frames
 * whose header disagrees with the tags found (`countMismatches`, expected 0).
 */
function onLiteFrame(m: Member, p: Buffer): void {
  const events = gevEventCount(p)
  if (events <= 0) return
  const first = findTag(p, 0)
  if (first < 0) return
  eventsEver += events
  if (tagPhase(p, first) !== phase) return
  if (m.sampled) {
    const now = monoUs()
    let n = 0
    for (let at = first; at >= 0; at = findTag(p, at + TAG_REST)) {
      if (tagPhase(p, at) !== phase) continue
      n++
      sample(m, tagK(p, at), tagStamp(p, at), now)
    }
    if (n !== events) countMismatches++
  }
  count(m, events)
  if (events === 1 && singleEventFrameBytes === 0) singleEventFrameBytes = p.length
}

function count(m: Member, n: number): void {
  m.received += n
  receivedTotal += n
  frames++
}

function sample(m: Member, k: number, stampUs: number, nowUs: number): void {
  if (stampUs >= measureFromUs && stampUs < measureToUs) hist.record(nowUs - stampUs)
  if (k > m.maxK) {
    m.maxK = k
    progressTimer ??= setTimeout(reportProgress, 2)
  }
}

/** Sends `progress` when the minimum over live sampled members advanced. */
function reportProgress(): void {
  progressTimer = undefined
  let min = Infinity
  for (const m of members) if (m.sampled && m.state === 'live' && m.maxK < min) min = m.maxK
  if (min === Infinity || min <= lastProgress) return
  lastProgress = min
  process.send!({ type: 'progress', phase, upTo: min } satisfies ProgressMessage)
}

function startPhase(id: number, fromUs: number, toUs: number): Record<string, never> {
  phase = id
  measureFromUs = fromUs
  measureToUs = toUs
  receivedTotal = 0
  receivedAtFrom = 0
  receivedAtTo = -1
  frames = 0
  countMismatches = 0
  hist = new Histogram()
  lastProgress = -1
  for (const m of members) { m.received = 0; m.maxK = -1 }
  for (const k of Object.keys(closedByServer)) delete closedByServer[k]
  // Window edges by timer: a few ms late when the process is busy, against a window of seconds.
  setTimeout(() => { receivedAtFrom = receivedTotal }, Math.max(0, (fromUs - monoUs()) / 1000))
  setTimeout(() => { receivedAtTo = receivedTotal }, Math.max(0, (toUs - monoUs()) / 1000))
  return {}
}

function finishPhase(expected: number): MemberPhaseResult {
  let missing = 0
  let extra = 0
  for (const m of members) {
    missing += Math.max(0, expected - m.received)
    extra += Math.max(0, m.received - expected)
  }
  const result: MemberPhaseResult = {
    members: members.length, sampled: members.filter((m) => m.sampled).length, open: members.filter((m) => m.state === 'live').length, closedByServer: { ...closedByServer },
    received: receivedTotal, receivedInWindow: (receivedAtTo < 0 ? receivedTotal : receivedAtTo) - receivedAtFrom,
    frames, missing, extra, latency: hist.toData(), singleEventFrameBytes, countMismatches,
  }
  phase = -1
  return result
}

function closeAll(): Promise<{ closed: number }> {
  const live = members.filter((m) => m.state !== 'closed' && m.conn)
  for (const m of live) { m.closingByUs = true; m.conn!.close() }
  return new Promise((resolve) => {
    const deadline = performance.now() + 5000
    const check = () => {
      const left = live.filter((m) => m.state !== 'closed').length
      if (left === 0 || performance.now() > deadline) {
        for (const m of live) if (m.state !== 'closed') m.conn!.destroy()
        resolve({ closed: live.length - left })
      } else setTimeout(check, 20)
    }
    check()
  })
}

async function run(cmd: MemberCommand): Promise<unknown> {
  switch (cmd.type) {
    case 'prepare': return prepare(cmd.target, cmd.members)
    case 'open': return openAll(cmd.concurrency, cmd.timeoutMs, cmd.mode)
    case 'phase': return startPhase(cmd.phase, cmd.measureFromUs, cmd.measureToUs)
    case 'count': return { received: receivedTotal, events: eventsEver, open: members.filter((m) => m.state === 'live').length } satisfies CountResult
    case 'finish': return finishPhase(cmd.expected)
    case 'close': return closeAll()
  }
}

if (!process.send) throw new Error('roomClient.ts must be forked with an IPC channel')
const reply = (r: RoomReply) => process.send!(r)
process.on('message', (cmd: MemberCommand) => {
  run(cmd).then(
    (result) => reply({ id: cmd.id, ok: true, result }),
    (e: unknown) => reply({ id: cmd.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
  )
})
process.on('disconnect', () => {
  for (const m of members) m.conn?.destroy()
  process.exit(0)
})
