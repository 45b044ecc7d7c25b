/**
 * The broadcast benchmark's message on the wire. Every message carries a fixed-width tag in
 * `cloudCustomData`: `~R`, the phase (3 digits), the message's index k in the phase (7
 * digits) and its send stamp (13 digits, µs of CLOCK_MONOTONIC, which every process on the
 * machine shares — so the publisher stamps and any member process reads the same clock).
 *
 * - Parley: the publisher sends a pre-encoded `groupSend` frame with rid, Random and tag patched
 *   into a copy; members receive `gev` frames holding one or more `groupMsg` events.
 * - Raw uWS: the publisher sends the exact `gev` frame Parley would push for one message (same
 *   object, same encoder), and the server publishes it unchanged, so members parse the same bytes.
 * - socket.io: the publisher emits the same `groupMsg` event object; socket.io serialises it as
 *   JSON once per broadcast and each member's socket.io-client parses it.
 * A member counts a frame's events from the `gev` array header after checking that the first
 * event is a benchmark message of the current phase (one `indexOf`, no decoding); sampled
 * members find every event's tag, read k and the stamp, and check the header's count.
 */
import { encode } from '../../src/core/codec.js'
import { encodeFrame } from './wsLite.js'

const TAG_PREFIX = '~R'
const PHASE_DIGITS = 3
const K_DIGITS = 7
const STAMP_DIGITS = 13
export const TAG_LENGTH = TAG_PREFIX.length + PHASE_DIGITS + K_DIGITS + STAMP_DIGITS
/** msgpack bytes of the key `cloudCustomData` and the start of its fixstr value (`~R`). */
const MARKER = Buffer.concat([Buffer.from([0xaf]), Buffer.from('cloudCustomData'), Buffer.from([0xa0 | TAG_LENGTH]), Buffer.from(TAG_PREFIX)])
const RID_SENTINEL = 0x1a1b1c1d
const RANDOM_SENTINEL = 0x2a2b2c2d
export const TEXT = 'benchmark message, 36 bytes of text'
/** The publisher's UserID (the room's owner in Parley). */
export const PUBLISHER_ID = 'owner'
const BODY = [{ MsgType: 'TIMTextElem', MsgContent: { Text: TEXT } }]

/** Microseconds of CLOCK_MONOTONIC (process.hrtime), the same in every process on the machine. */
export function monoUs(): number {
  const [s, ns] = process.hrtime()
  return s * 1e6 + ns / 1e3
}

export function tagString(phase: number, k: number, stampUs: number): string {
  return TAG_PREFIX + pad(phase, PHASE_DIGITS) + pad(k, K_DIGITS) + pad(Math.floor(stampUs), STAMP_DIGITS)
}

export interface Tag { phase: number; k: number; stampUs: number }

/** Reads a tag string (socket.io members get the event as an object); undefined if not one. */
export function parseTagString(s: unknown): Tag | undefined {
  if (typeof s !== 'string' || s.length !== TAG_LENGTH || !s.startsWith(TAG_PREFIX)) return undefined
  let at = TAG_PREFIX.length
  const num = (n: number) => { const v = Number(s.slice(at, at + n)); at += n; return v }
  return { phase: num(PHASE_DIGITS), k: num(K_DIGITS), stampUs: num(STAMP_DIGITS) }
}

/** The `groupMsg` event object Parley pushes for one benchmark message (also what socket.io emits). */
export function groupMsgEvent(groupId: string, random: number, timeSec: number, tag: string): Record<string, unknown> {
  // Same fields in the same order as actors/group/messaging.ts builds them (priority undefined).
  const msg = { from: PUBLISHER_ID, random, time: timeSec, body: BODY, cloudCustomData: tag, priority: undefined, flags: 0, seq: 0 }
  return { type: 'groupMsg', groupId, msg }
}

/** A client frame with fixed-width slots: u32 rid and random (absent: -1) and the tag. */
export interface PublishTemplate {
  frame: Buffer
  ridAt: number
  randomAt: number
  tagAt: number
}

/** Parley: `groupSend` of one text message to `groupId`, as a complete client frame. */
export function groupSendTemplate(groupId: string): PublishTemplate {
  return template({ op: 'groupSend', rid: RID_SENTINEL, groupId, random: RANDOM_SENTINEL, body: BODY, cloudCustomData: tagString(0, 0, 0) })
}

/** Raw uWS: the `gev` frame Parley would push for one message, as a client frame (the server publishes its payload). */
export function gevTemplate(groupId: string, timeSec: number): PublishTemplate {
  return template({ op: 'gev', evs: [groupMsgEvent(groupId, RANDOM_SENTINEL, timeSec, tagString(0, 0, 0))] })
}

function template(value: unknown): PublishTemplate {
  const frame = encodeFrame(encode(value))
  const slot = (v: number) => {
    const b = Buffer.from([0xce, 0, 0, 0, 0])
    b.writeUInt32BE(v, 1)
    const at = frame.indexOf(b)
    return at < 0 ? -1 : at + 1
  }
  const marker = frame.indexOf(MARKER)
  if (marker < 0) throw new Error('tag marker not found in the encoded frame')
  const t = { frame, ridAt: slot(RID_SENTINEL), randomAt: slot(RANDOM_SENTINEL), tagAt: marker + MARKER.length - TAG_PREFIX.length }
  if (t.randomAt < 0) throw new Error('random sentinel not encoded as uint32')
  return t
}

/** A fresh copy of `t` with its slots filled. */
export function fillPublish(t: PublishTemplate, rid: number, random: number, tag: string): Buffer {
  const f = Buffer.allocUnsafe(t.frame.length)
  t.frame.copy(f)
  if (t.ridAt >= 0) f.writeUInt32BE(rid, t.ridAt)
  f.writeUInt32BE(random >>> 0, t.randomAt)
  f.write(tag, t.tagAt, 'latin1')
  return f
}

/**
 * The offset of the next benchmark tag's phase digits in a received msgpack frame at or after
 * `from`, or -1. Walk a frame's events with `for (let at = findTag(p, 0); at >= 0; at = findTag(p, at + TAG_REST))`.
 */
export function findTag(payload: Buffer, from: number): number {
  const at = payload.indexOf(MARKER, from)
  return at < 0 ? -1 : at + MARKER.length
}

/** Bytes of a tag after its `~R` prefix. */
export const TAG_REST = PHASE_DIGITS + K_DIGITS + STAMP_DIGITS

/** The phase of the tag whose digits start at `at` (see findTag). */
export function tagPhase(b: Buffer, at: number): number {
  return digits(b, at, PHASE_DIGITS)
}

export function tagK(b: Buffer, at: number): number {
  return digits(b, at + PHASE_DIGITS, K_DIGITS)
}

export function tagStamp(b: Buffer, at: number): number {
  return digits(b, at + PHASE_DIGITS + K_DIGITS, STAMP_DIGITS)
}

/** The bytes that start every `gev` frame: a 2-entry map, `op: 'gev'`, then the key `evs`. */
const GEV_HEAD = Buffer.from([0x82, 0xa2, 0x6f, 0x70, 0xa3, 0x67, 0x65, 0x76, 0xa3, 0x65, 0x76, 0x73])

/** The number of events in a `gev` frame, read from its array header; -1 for any other frame. */
export function gevEventCount(p: Buffer): number {
  if (p.length < 14) return -1
  for (let i = 0; i < GEV_HEAD.length; i++) if (p[i] !== GEV_HEAD[i]) return -1
  const h = p[12]
  if ((h & 0xf0) === 0x90) return h & 0x0f
  if (h === 0xdc) return (p[13] << 8) | p[14]
  if (h === 0xdd) return p.readUInt32BE(13)
  return -1
}

/** Whether a msgpack frame is `{op: 'res', …}` (op is always the first key the server writes). */
export function isRes(p: Buffer): boolean {
  return p.length > 8 && p[1] === 0xa2 && p[2] === 0x6f && p[3] === 0x70 && p[4] === 0xa3 && p[5] === 0x72 && p[6] === 0x65 && p[7] === 0x73
}

function digits(b: Buffer, at: number, n: number): number {
  let v = 0
  for (let i = at; i < at + n; i++) v = v * 10 + (b[i] - 48)
  return v
}

function pad(v: number, n: number): string {
  const s = String(v)
  if (s.length > n) throw new Error(`${v} does not fit in ${n} digits`)
  return s.padStart(n, '0')
}
