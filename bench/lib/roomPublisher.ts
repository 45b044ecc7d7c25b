/**
 * The publisher process of the broadcast benchmark: one socket that sends into the room
 * (Parley: the room's owner sending `groupSend`; raw uWS: a socket whose frames the server
 * publishes to the topic; socket.io: a socket.io-client socket emitting `pub`). Each message
 * carries the phase, its index k and its send stamp (roomFrames.ts).
 *
 * - `closed` (saturation): sends message k only once every sampled member has seen k − window
 *   (the parent forwards the members' progress as `ack`), so at most `window` messages are
 *   ahead of the slowest sampled member; stamped with the actual send time.
 * - `open` (fixed rate): message k is due at startUs + k / rate and is stamped with that
 *   intended time, so publisher lag counts as latency.
 */
import { randomInt } from 'node:crypto'
import { io, type Socket as IoSocket } from 'socket.io-client'
import { mintUserSigV2 } from '../../src/services/auth/usersigV2.js'
import { decode, encode } from '../../src/core/codec.js'
import type { AckMessage, PublisherCommand, PublishResult, RoomReply, RoomTarget } from './roomProtocol.js'
import { fillPublish, groupMsgEvent, groupSendTemplate, gevTemplate, isRes, monoUs, PUBLISHER_ID, type PublishTemplate, tagString } from './roomFrames.js'
import { encodeFrame, LiteSocket } from './wsLite.js'

type PublishSpec = Extract<PublisherCommand, { type: 'publish' }>

/** Sends one message (k, stamp); returns the socket's client-side buffered bytes. */
type SendFn = (phase: number, k: number, stampUs: number) => number

let target: RoomTarget | undefined
let send: SendFn | undefined
let closeSocket: (() => void) | undefined
/** Answers (Parley `res` to `groupSend`) during the running phase. */
let answers: { accepted: number; answered: number; failed: Record<string, number> } = { accepted: 0, answered: 0, failed: {} }
let onAck: ((m: AckMessage) => void) | undefined

function open(timeoutMs: number): Promise<Record<string, never>> {
  const t = target
  if (!t) return Promise.reject(new Error('prepare first'))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('publisher did not connect in time')), timeoutMs)
    const ready = () => { clearTimeout(timer); resolve({}) }
    if (t.system === 'socketio') openSocketIo(t, ready, reject)
    else openLite(t, ready, reject)
  })
}

function openLite(t: RoomTarget, ready: () => void, fail: (e: Error) => void): void {
  const nowSec = Math.floor(Date.now() / 1000)
  const userSig = mintUserSigV2({ sdkAppId: t.sdkAppId, key: t.secretKey, userId: PUBLISHER_ID, expireSec: 86400, nowSec })
  const login = encodeFrame(encode({ op: 'login', rid: 1, sdkAppId: t.sdkAppId, userId: PUBLISHER_ID, userSig, platform: 'Linux' }))
  const tpl: PublishTemplate = t.system === 'parley' ? groupSendTemplate(t.groupId) : gevTemplate(t.groupId, nowSec)
  const random0 = randomInt(0, 0x7fffffff)
  let live = false
  const sock = new LiteSocket(t.host, t.port, t.system === 'uws' ? '/ws?pub=1' : '/ws', {
    open: () => sock.sendFrame(login),
    message: (payload) => {
      if (!isRes(payload)) return
      const f = decode(payload) as { rid?: number; ok?: boolean; code?: number }
      if (!live) {
        if (f.rid !== 1) return
        if (f.ok !== true) return fail(new Error(`publisher login failed: ${String(f.code)}`))
        live = true
        return ready()
      }
      answers.answered++
      if (f.ok === true) answers.accepted++
      else answers.failed[String(f.code)] = (answers.failed[String(f.code)] ?? 0) + 1
    },
    close: (code, reason) => { if (!live) fail(new Error(`publisher closed: ${code} ${reason}`)) },
  })
  send = (phase, k, stampUs) => {
    sock.sendFrame(fillPublish(tpl, 16 + k, random0 + k, tagString(phase, k, stampUs)))
    return sock.bufferedBytes
  }
  closeSocket = () => sock.close(1000)
}

function openSocketIo(t: RoomTarget, ready: () => void, fail: (e: Error) => void): void {
  const sock: IoSocket = io(`http://${t.host}:${t.port}`, { transports: ['websocket'], forceNew: true, reconnection: false })
  sock.on('connect', ready)
  sock.on('connect_error', (e) => fail(e))
  const random0 = randomInt(0, 0x7fffffff)
  const timeSec = Math.floor(Date.now() / 1000)
  send = (phase, k, stampUs) => {
    sock.emit('pub', groupMsgEvent(t.groupId, random0 + k, timeSec, tagString(phase, k, stampUs)))
    return 0
  }
  closeSocket = () => sock.disconnect()
}

function publish(spec: PublishSpec): Promise<PublishResult> {
  const sendOne = send
  const t = target
  if (!sendOne || !t) return Promise.reject(new Error('open first'))
  answers = { accepted: 0, answered: 0, failed: {} }
  let sent = 0
  let sentInWindow = 0
  let maxBufferedBytes = 0
  const emit = (stampUs: number) => {
    if (stampUs >= spec.measureFromUs) sentInWindow++
    const buffered = sendOne(spec.phase, sent++, stampUs)
    if (buffered > maxBufferedBytes) maxBufferedBytes = buffered
  }
  return new Promise((resolve) => {
    let pacer: NodeJS.Timeout | undefined
    const begin = () => {
      if (spec.mode === 'closed') {
        let upTo = -1
        const fill = () => {
          const now = monoUs()
          while (sent <= upTo + spec.window && now < spec.endUs) emit(now)
        }
        onAck = (m) => { if (m.phase === spec.phase && m.upTo > upTo) { upTo = m.upTo; fill() } }
        fill()
      } else {
        const stepUs = 1e6 / spec.ratePerSec
        pacer = setInterval(() => {
          const now = Math.min(monoUs(), spec.endUs)
          while (spec.startUs + sent * stepUs <= now && spec.startUs + sent * stepUs < spec.endUs) emit(spec.startUs + sent * stepUs)
        }, 1)
      }
      setTimeout(end, Math.max(0, (spec.endUs - monoUs()) / 1000))
    }
    const end = () => {
      clearInterval(pacer)
      onAck = undefined
      const deadline = performance.now() + spec.answerWaitMs
      const wait = () => {
        if (t.system === 'parley' && answers.answered < sent && performance.now() < deadline) return void setTimeout(wait, 10)
        const parley = t.system === 'parley'
        resolve({
          sent, sentInWindow, accepted: parley ? answers.accepted : sent, failed: { ...answers.failed },
          unanswered: parley ? sent - answers.answered : 0, maxBufferedBytes,
        })
      }
      wait()
    }
    setTimeout(begin, Math.max(0, (spec.startUs - monoUs()) / 1000))
  })
}

async function run(cmd: PublisherCommand): Promise<unknown> {
  switch (cmd.type) {
    case 'prepare': target = cmd.target; return {}
    case 'open': return open(cmd.timeoutMs)
    case 'publish': return publish(cmd)
    case 'close': closeSocket?.(); return {}
  }
}

if (!process.send) throw new Error('roomPublisher.ts must be forked with an IPC channel')
const reply = (r: RoomReply) => process.send!(r)
process.on('message', (cmd: PublisherCommand | AckMessage) => {
  if (cmd.type === 'ack') return onAck?.(cmd)
  run(cmd).then(
    (result) => reply({ id: cmd.id, ok: true, result }),
    (e: unknown) => reply({ id: cmd.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
  )
})
process.on('disconnect', () => process.exit(0))
