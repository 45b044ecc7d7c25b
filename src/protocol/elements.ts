/**
 * Validation of a message body (docs/tencent-compat.md §3.2): the array of `{MsgType, MsgContent}` elements
 * a sender submits through any door (socket `send`, REST `sendmsg`/`importmsg`). Every
 * failure is BAD_MSGBODY (90002) with a detail giving the path of the offending field, e.g.
 * `MsgBody[2].MsgContent.ImageInfoArray[0].URL: required`.
 *
 * Policy, the same for every element:
 * - Known keys are checked strictly (type, range, required). Unknown keys — on the element,
 *   in `MsgContent`, in `ImageInfoArray` entries and in relayed `MsgList` entries — are
 *   DROPPED, not rejected: Tencent clients and SDK versions send fields we do not model, and a
 *   compatible server must not fail their sends. The result is a fresh copy holding only
 *   known, validated keys, so nothing unvalidated reaches actors or the store.
 * - `null` is treated as absent: optional → omitted, required → "required". Clients that
 *   serialise unset fields as null (Java, Go without omitempty) then still work.
 * - Strings may be empty unless marked non-empty; URLs and UUIDs must be non-empty, because
 *   a receiving client fetches and caches media by them. URLs are not parsed: clients must
 *   treat them as untrusted and check the scheme before fetching or linking.
 * - There is no element-count limit of its own (Tencent allows any number of non-custom
 *   elements); the 12 KB size check (`checkBodySize`) bounds it, and every caller must run it
 *   on the validated body.
 */
import { ParleyError } from '../core/errors.js'
import { Limits } from '../core/limits.js'
import { ElementTypes, type ElementType, type MsgElement } from '../model/message.js'

/**
 * How many TIMRelayElem may be nested along one path: a relay in the top-level body is level
 * 1, a relay inside one of its `MsgList` messages level 2, and so on; level 4 is rejected.
 */
export const MaxRelayDepth = 3

/** A validator for one field: returns the cleaned value or throws BAD_MSGBODY at `path`. */
type Check = (value: unknown, path: string, relayDepth: number) => unknown
interface Field { check: Check; required: boolean }
type Spec = Record<string, Field>

const req = (check: Check): Field => ({ check, required: true })
const opt = (check: Check): Field => ({ check, required: false })

function bad(path: string, why: string): never {
  throw new ParleyError('BAD_MSGBODY', `${path}: ${why}`)
}

/** A plain map as decoded from msgpack or JSON (not an array, buffer, Map or class instance). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  const proto: unknown = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v)

const str: Check = (v, p) => (typeof v === 'string' ? v : bad(p, 'must be a string'))
const nonEmpty: Check = (v, p) =>
  typeof v === 'string' && v.length > 0 ? v : bad(p, 'must be a non-empty string')
/** Signed 32-bit: what Tencent's C++/Java clients hold for enums, flags and indexes. */
const int32: Check = (v, p) =>
  isInt(v) && v >= -0x80000000 && v <= 0x7fffffff ? v : bad(p, 'must be a 32-bit integer')
/** Sizes, durations, dimensions, counts, timestamps: non-negative safe integers. */
const count: Check = (v, p) => (isInt(v) && v >= 0 ? v : bad(p, 'must be a non-negative integer'))
const u32: Check = (v, p) =>
  isInt(v) && v >= 0 && v <= 0xffffffff ? v : bad(p, 'must be an unsigned 32-bit integer')

function oneOf(...allowed: number[]): Check {
  return (v, p) => (typeof v === 'number' && allowed.includes(v) ? v : bad(p, `must be one of ${allowed.join(', ')}`))
}

function degrees(limit: number): Check {
  return (v, p) =>
    typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= limit
      ? v
      : bad(p, `must be a finite number in -${limit}..${limit}`)
}

function arrayOf(item: Check, min: number): Check {
  return (v, p, d) => {
    if (!Array.isArray(v)) return bad(p, 'must be an array')
    if (v.length < min) bad(p, `must have at least ${min} entr${min === 1 ? 'y' : 'ies'}`)
    return v.map((x, i) => item(x, `${p}[${i}]`, d))
  }
}

/** Own property, with null read as absent. */
function own(obj: Record<string, unknown>, key: string): unknown {
  const v = Object.hasOwn(obj, key) ? obj[key] : undefined
  return v === null ? undefined : v
}

/** Checks `obj` against `spec` and returns a new object with only the spec's keys, in spec order. */
function readFields(obj: unknown, spec: Spec, path: string, relayDepth: number): Record<string, unknown> {
  if (!isPlainObject(obj)) return bad(path, 'must be a map')
  const out: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(spec)) {
    const v = own(obj, key)
    if (v === undefined) {
      if (field.required) bad(`${path}.${key}`, 'required')
      continue
    }
    out[key] = field.check(v, `${path}.${key}`, relayDepth)
  }
  return out
}

function fields(spec: Spec): Check {
  return (v, p, d) => readFields(v, spec, p, d)
}

// ImageInfoArray entry. Type says which rendition; URL is how the receiver gets it (Parley
// stores no media); Width/Height let the receiver lay out the bubble before downloading
// (Tencent's REST doc requires them, and 0 means unknown). Size is informational.
const imageInfoSpec: Spec = {
  Type: req(oneOf(1, 2, 3)),
  Size: opt(count),
  Width: req(count),
  Height: req(count),
  URL: req(nonEmpty),
}

// 1..3 renditions, at most one of each Type: an image with no URL cannot be shown.
const imageInfoArray: Check = (v, p, d) => {
  const list = arrayOf(fields(imageInfoSpec), 1)(v, p, d) as Array<{ Type: number }>
  const seen = new Set<number>()
  list.forEach((info, i) => {
    if (seen.has(info.Type)) bad(`${p}[${i}].Type`, `duplicate image Type ${info.Type}`)
    seen.add(info.Type)
  })
  return list
}

// A message inside a relay's MsgList. Sender, ids and time are what the forwarded-chat view
// shows; To_Account (C2C) and GroupId (group) say where it came from and are optional.
const relayedMessageSpec: Spec = {
  From_Account: req(nonEmpty),
  To_Account: opt(nonEmpty),
  GroupId: opt(nonEmpty),
  MsgSeq: req(u32),
  MsgRandom: req(u32),
  MsgTimeStamp: req(count),
  MsgBody: req((v, p, d) => validateBodyAt(v, p, d)),
  CloudCustomData: opt(str),
}

/**
 * Required fields per element type. The rule: required is what the receiver needs to render
 * the element, or what Tencent's REST API already demands from a sender; everything else is
 * optional. Parley keeps no media, so every media element needs its download URL (the legacy
 * 2.x/3.x SDK shapes that carry only a UUID are rejected: nobody could fetch them).
 */
const contentSpecs: Record<ElementType, Spec> = {
  // Text is the content; the empty string is allowed (harmless, and Tencent documents no minimum).
  TIMTextElem: { Text: req(str) },
  // Index selects the app's emoji; Data is app-defined extra.
  TIMFaceElem: { Index: req(int32), Data: opt(str) },
  // The coordinates are the content; Desc is a caption the map view can do without.
  TIMLocationElem: { Desc: opt(str), Latitude: req(degrees(90)), Longitude: req(degrees(180)) },
  // Data is the app payload; Desc (push text), Ext (push passthrough) and Sound (push
  // ringtone) only matter for offline push.
  TIMCustomElem: { Data: req(str), Desc: opt(str), Ext: opt(str), Sound: opt(str) },
  // Url to play, UUID to cache (required by Tencent REST). Size and Second are display hints
  // a player can also learn from the file. Download_Flag is Tencent's download mode (2 = by
  // Url); Parley has only that mode, so it is carried but not required.
  TIMSoundElem: { Url: req(nonEmpty), UUID: req(nonEmpty), Size: opt(count), Second: opt(count), Download_Flag: opt(int32) },
  // UUID to cache, ImageFormat (JPG 1, GIF 2, PNG 3, BMP 4, other 255), renditions as above.
  TIMImageElem: { UUID: req(nonEmpty), ImageFormat: req(oneOf(1, 2, 3, 4, 255)), ImageInfoArray: req(imageInfoArray) },
  // The file bubble shows FileName and FileSize and downloads from Url; UUID as for sound.
  TIMFileElem: {
    Url: req(nonEmpty), UUID: req(nonEmpty), FileSize: req(count), FileName: req(nonEmpty),
    Download_Flag: opt(int32),
  },
  // Required exactly as Tencent's REST doc lists them minus the download flags: both URLs and
  // UUIDs, and the thumbnail's dimensions for layout. Durations, sizes and formats are hints
  // (web senders cannot know VideoSecond and send 0).
  TIMVideoFileElem: {
    VideoUrl: req(nonEmpty), VideoUUID: req(nonEmpty), VideoSize: opt(count), VideoSecond: opt(count),
    VideoFormat: opt(str), VideoDownloadFlag: opt(int32),
    ThumbUrl: req(nonEmpty), ThumbUUID: req(nonEmpty), ThumbSize: opt(count), ThumbWidth: req(count),
    ThumbHeight: req(count), ThumbFormat: opt(str), ThumbDownloadFlag: opt(int32),
  },
  // The forwarded-chat card shows Title, MsgNum and the AbstractList lines; CompatibleText is
  // for clients without relay support. Exactly one of MsgList (the messages, validated
  // recursively) or JsonMsgKey (an opaque key of a list stored elsewhere) — see relayContent.
  TIMRelayElem: {
    Title: req(str), MsgNum: req(count), CompatibleText: opt(str), AbstractList: req(arrayOf(str, 0)),
    MsgList: opt(arrayOf(fields(relayedMessageSpec), 1)), JsonMsgKey: opt(nonEmpty),
  },
}

function relayContent(content: unknown, path: string, relayDepth: number): Record<string, unknown> {
  if (relayDepth > MaxRelayDepth) bad(path, `TIMRelayElem nested deeper than ${MaxRelayDepth} levels`)
  const out = readFields(content, contentSpecs.TIMRelayElem, path, relayDepth)
  const hasList = out.MsgList !== undefined
  const hasKey = out.JsonMsgKey !== undefined
  if (hasList && hasKey) bad(path, 'MsgList and JsonMsgKey are mutually exclusive')
  if (!hasList && !hasKey) bad(`${path}.MsgList`, 'required (or JsonMsgKey)')
  return out
}

function isElementType(v: unknown): v is ElementType {
  return typeof v === 'string' && (ElementTypes as readonly string[]).includes(v)
}

function validateElement(el: unknown, path: string, relayDepth: number): MsgElement {
  if (!isPlainObject(el)) return bad(path, 'must be a map of {MsgType, MsgContent}')
  const type = own(el, 'MsgType')
  if (type === undefined) bad(`${path}.MsgType`, 'required')
  if (!isElementType(type)) {
    const shown = typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : typeof type
    const why = type === 'TIMGroupTipElem' || type === 'TIMGroupSystemNoticeElem'
      ? 'server-generated element type; clients may not send it'
      : `unknown element type ${shown}`
    return bad(`${path}.MsgType`, why)
  }
  const content = own(el, 'MsgContent')
  const cpath = `${path}.MsgContent`
  if (content === undefined) bad(cpath, 'required')
  const MsgContent = type === 'TIMRelayElem'
    ? relayContent(content, cpath, relayDepth + 1)
    : readFields(content, contentSpecs[type], cpath, relayDepth)
  return { MsgType: type, MsgContent }
}

/** `relayDepth`: how many TIMRelayElem enclose this body (0 for a top-level body). */
function validateBodyAt(body: unknown, path: string, relayDepth: number): MsgElement[] {
  if (!Array.isArray(body)) return bad(path, 'must be an array of elements')
  if (body.length === 0) bad(path, 'must contain at least one element')
  let customSeen = false
  return body.map((el, i) => {
    const out = validateElement(el, `${path}[${i}]`, relayDepth)
    if (out.MsgType === 'TIMCustomElem') {
      if (customSeen) bad(`${path}[${i}].MsgType`, 'at most one TIMCustomElem per message')
      customSeen = true
    }
    return out
  })
}

/**
 * Validates a message body and returns a cleaned deep copy holding only known keys (see the
 * module comment for the policy). Applies to nested relayed bodies too: each may hold at most
 * one TIMCustomElem, and relays nest at most MaxRelayDepth deep. `field` is the name the
 * caller's wire format uses for the body ('MsgBody' in REST, 'body' in socket frames); it
 * prefixes every error detail. Does not check the size: call checkBodySize on the result.
 * Throws ParleyError BAD_MSGBODY (90002).
 */
export function validateBody(body: unknown, field = 'MsgBody'): MsgElement[] {
  return validateBodyAt(body, field, 0)
}

/** UTF-8 byte length of a JS string; a lone surrogate counts 3 bytes (it encodes as U+FFFD). */
function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4
        i++
      } else n += 3
    } else n += 3
  }
  return n
}

/**
 * The size a message counts against the 12 KB limit, in bytes: the UTF-8 length of
 * `JSON.stringify(body)` (compact, no whitespace, with JSON's escapes — `"` costs 2 bytes, a
 * control character 6) plus the UTF-8 length of `cloudCustomData`. Measured on the validated
 * body, so dropped unknown keys do not count. Tencent does not publish its exact measure;
 * this one is deterministic, the same for socket and REST senders, and close to what a REST
 * sender sees as the size of its MsgBody. Works in browsers too (no Buffer).
 */
export function bodyBytes(body: readonly MsgElement[], cloudCustomData?: string): number {
  return utf8Length(JSON.stringify(body)) + (cloudCustomData === undefined ? 0 : utf8Length(cloudCustomData))
}

/**
 * Throws BODY_TOO_LARGE (93000) if `bodyBytes(body, cloudCustomData)` is above
 * Limits.messageBodyBytes (12288; exactly 12288 passes). Returns the measured size.
 */
export function checkBodySize(body: readonly MsgElement[], cloudCustomData?: string): number {
  const n = bodyBytes(body, cloudCustomData)
  if (n > Limits.messageBodyBytes) {
    throw new ParleyError('BODY_TOO_LARGE', `${n} bytes of MsgBody and CloudCustomData, limit ${Limits.messageBodyBytes}`)
  }
  return n
}
