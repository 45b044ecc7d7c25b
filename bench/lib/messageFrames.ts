/**
 * The benchmark's message on the wire, built once per sender and patched per message: a
 * Parley `send` frame (also what the relay forwards) whose rid, MsgRandom and send timestamp
 * sit in fixed-width slots. The timestamp travels in `cloudCustomData` as `~T` then 12
 * decimal digits, µs of the load process's `performance.now()`; both ends of a pair live in
 * one process, so one clock writes and reads it.
 */
import { encode } from '../../src/core/codec.js'
import { encodeFrame } from './wsLite.js'

const STAMP_PREFIX = '~T'
const STAMP_DIGITS = 12
/**
 * Receivers find the stamp by the msgpack bytes of the key and the start of the value (fixstr
 * 15 "cloudCustomData", fixstr 14 "~T…"): long enough that no binary field (a random MsgSeq,
 * say) can imitate it, which a bare `~T` could.
 */
const MARKER = Buffer.concat([Buffer.from([0xaf]), Buffer.from('cloudCustomData'), Buffer.from([0xae]), Buffer.from(STAMP_PREFIX)])
/** `"ok": false` as msgpack: present in a failed `res`. */
const OK_FALSE = Buffer.from([0xa2, 0x6f, 0x6b, 0xc2])
/** Sentinels encoded as msgpack uint32 (0xce + 4 bytes) so the template has fixed-width slots. */
const RID_SENTINEL = 0x1a1b1c1d
const RANDOM_SENTINEL = 0x2a2b2c2d
const TEXT = 'benchmark message, 36 bytes of text'

export interface SendTemplate {
  frame: Buffer
  ridAt: number
  randomAt: number
  stampAt: number
}

/** The complete client frame (WebSocket header included) of a text message to `to`. */
export function buildTemplate(to: string): SendTemplate {
  const payload = encode({
    op: 'send', rid: RID_SENTINEL, to, random: RANDOM_SENTINEL,
    body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: TEXT } }],
    cloudCustomData: `${STAMP_PREFIX}${'0'.repeat(STAMP_DIGITS)}`,
  })
  const frame = encodeFrame(payload)
  const slot = (v: number) => {
    const b = Buffer.from([0xce, 0, 0, 0, 0])
    b.writeUInt32BE(v, 1)
    const at = frame.indexOf(b)
    if (at < 0) throw new Error('sentinel not encoded as uint32')
    return at + 1
  }
  const marker = frame.indexOf(MARKER)
  if (marker < 0) throw new Error('timestamp marker not found in the encoded send frame')
  return { frame, ridAt: slot(RID_SENTINEL), randomAt: slot(RANDOM_SENTINEL), stampAt: marker + MARKER.length }
}

/** A fresh copy of the template with its slots filled (rid and random are u32). */
export function fillTemplate(t: SendTemplate, rid: number, random: number, stampUs: number): Buffer {
  const f = Buffer.allocUnsafe(t.frame.length)
  t.frame.copy(f)
  f.writeUInt32BE(rid, t.ridAt)
  f.writeUInt32BE(random, t.randomAt)
  let v = stampUs
  for (let i = t.stampAt + STAMP_DIGITS - 1; i >= t.stampAt; i--) {
    f[i] = 48 + (v % 10)
    v = Math.floor(v / 10)
  }
  return f
}

/** The stamp (µs) carried by a received frame, or -1 if it carries none. */
export function readStamp(payload: Buffer): number {
  const at = payload.indexOf(MARKER)
  if (at < 0) return -1
  let v = 0
  for (let i = at + MARKER.length; i < at + MARKER.length + STAMP_DIGITS; i++) v = v * 10 + (payload[i] - 48)
  return v
}

/**
 * Whether a frame a sender received is a failed `res`. Cheap for the common frames: anything
 * not starting `{op: 'res'` (the echo `ev`s) or without `ok: false` bytes is not decoded.
 */
export function isFailedRes(payload: Buffer, decode: (b: Buffer) => Record<string, unknown> | undefined): { code: string } | undefined {
  if (payload[3] !== 0xa3 || payload[4] !== 0x72 || payload.indexOf(OK_FALSE) < 0) return undefined
  const f = decode(payload)
  return f?.ok === true ? undefined : { code: String(f?.code ?? 'undecodable') }
}
