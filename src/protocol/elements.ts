/**
 * The message body's schema and its validation (docs/tencent-compat.md §3.2): the array of `{MsgType, MsgContent}` elements
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
 * - Each element type's content is one schema (`ElementContent`, src/core/schema.ts), which
 *   gives the check, the TypeScript shape and the docs table; the rules across fields (one
 *   custom element per body, relay nesting, MsgList or JsonMsgKey, one image per Type) are
 *   the functions below.
 */
import { ParleyError } from '../core/errors.js'
import { Limits } from '../core/limits.js'
import { F, type InputParser, inputParser, isPlainObject, type TSchema } from '../core/schema.js'
import { utf8Length } from '../core/utf8.js'
import { ElementTypes, type ElementType, type MsgElement } from '../model/message.js'

/**
 * How many TIMRelayElem may be nested along one path: a relay in the top-level body is level
 * 1, a relay inside one of its `MsgList` messages level 2, and so on; level 4 is rejected.
 */
export const MaxRelayDepth = 3

const Str = F.string()
/** URLs, UUIDs, names: what a receiver fetches, caches or shows by must not be empty. */
const NonEmpty = F.string({ nonEmpty: true, why: 'must be a non-empty string' })
/** Signed 32-bit: what Tencent's C++/Java clients hold for enums, flags and indexes. */
const Int32 = F.int({ min: -0x80000000, max: 0x7fffffff, why: 'must be a 32-bit integer' })
/** Sizes, durations, dimensions, counts, timestamps: non-negative safe integers. */
const Count = F.uint()
const U32 = F.u32()
const degrees = (limit: number) => F.number({ min: -limit, max: limit })

// ImageInfoArray entry. Type says which rendition; URL is how the receiver gets it (Parley
// stores no media); Width/Height let the receiver lay out the bubble before downloading
// (Tencent's REST doc requires them, and 0 means unknown). Size is informational.
const ImageInfo = F.object({ Type: F.oneOf([1, 2, 3]), Size: F.opt(Count), Width: Count, Height: Count, URL: NonEmpty })

/**
 * Required fields per element type. The rule: required is what the receiver needs to render
 * the element, or what Tencent's REST API already demands from a sender; everything else is
 * optional. Parley keeps no media, so every media element needs its download URL (the legacy
 * 2.x/3.x SDK shapes that carry only a UUID are rejected: nobody could fetch them).
 * `relayBody` is the body rule inside a relay at this nesting depth.
 */
function contentSchemas(relayBody: TSchema) {
  return {
    // Text is the content; the empty string is allowed (harmless, and Tencent documents no minimum).
    TIMTextElem: F.object({ Text: Str }),
    // Index selects the app's emoji; Data is app-defined extra.
    TIMFaceElem: F.object({ Index: Int32, Data: F.opt(Str) }),
    // The coordinates are the content; Desc is a caption the map view can do without.
    TIMLocationElem: F.object({ Desc: F.opt(Str), Latitude: degrees(90), Longitude: degrees(180) }),
    // Data is the app payload; Desc (push text), Ext (push passthrough) and Sound (push
    // ringtone) only matter for offline push.
    TIMCustomElem: F.object({ Data: Str, Desc: F.opt(Str), Ext: F.opt(Str), Sound: F.opt(Str) }),
    // Url to play, UUID to cache (required by Tencent REST). Size and Second are display hints
    // a player can also learn from the file. Download_Flag is Tencent's download mode (2 = by
    // Url); Parley has only that mode, so it is carried but not required.
    TIMSoundElem: F.object({ Url: NonEmpty, UUID: NonEmpty, Size: F.opt(Count), Second: F.opt(Count), Download_Flag: F.opt(Int32) }),
    // UUID to cache, ImageFormat (JPG 1, GIF 2, PNG 3, BMP 4, other 255), 1..3 renditions, at
    // most one of each Type (imageTypesOnce): an image with no URL cannot be shown.
    TIMImageElem: F.object({ UUID: NonEmpty, ImageFormat: F.oneOf([1, 2, 3, 4, 255]), ImageInfoArray: F.array(ImageInfo, { min: 1, why: 'must have at least 1 entry' }) }),
    // The file bubble shows FileName and FileSize and downloads from Url; UUID as for sound.
    TIMFileElem: F.object({ Url: NonEmpty, UUID: NonEmpty, FileSize: Count, FileName: NonEmpty, Download_Flag: F.opt(Int32) }),
    // Required exactly as Tencent's REST doc lists them minus the download flags: both URLs and
    // UUIDs, and the thumbnail's dimensions for layout. Durations, sizes and formats are hints
    // (web senders cannot know VideoSecond and send 0).
    TIMVideoFileElem: F.object({
      VideoUrl: NonEmpty, VideoUUID: NonEmpty, VideoSize: F.opt(Count), VideoSecond: F.opt(Count),
      VideoFormat: F.opt(Str), VideoDownloadFlag: F.opt(Int32),
      ThumbUrl: NonEmpty, ThumbUUID: NonEmpty, ThumbSize: F.opt(Count), ThumbWidth: Count,
      ThumbHeight: Count, ThumbFormat: F.opt(Str), ThumbDownloadFlag: F.opt(Int32),
    }),
    // The forwarded-chat card shows Title, MsgNum and the AbstractList lines; CompatibleText is
    // for clients without relay support. Exactly one of MsgList (the messages, validated
    // recursively) or JsonMsgKey (an opaque key of a list stored elsewhere) — see relayRules.
    // A message in MsgList: sender, ids and time are what the forwarded-chat view shows;
    // To_Account (C2C) and GroupId (group) say where it came from and are optional.
    TIMRelayElem: F.object({
      Title: Str, MsgNum: Count, CompatibleText: F.opt(Str), AbstractList: F.array(Str),
      MsgList: F.opt(F.array(F.object({
        From_Account: NonEmpty, To_Account: F.opt(NonEmpty), GroupId: F.opt(NonEmpty), MsgSeq: U32, MsgRandom: U32,
        MsgTimeStamp: Count, MsgBody: relayBody, CloudCustomData: F.opt(Str),
      }), { min: 1, why: 'must have at least 1 entry' })),
      JsonMsgKey: F.opt(NonEmpty),
    }),
  } satisfies Record<ElementType, TSchema>
}

/** Each element type's content schema (at the top level), for docs tables. */
export const ElementContent = contentSchemas(F.validated('MsgBody', (raw, path) => validateBodyAt(raw, path, 1)))

/** `contentParsers[d]`: the content parsers inside `d` enclosing relays (0..MaxRelayDepth). */
const contentParsers: Record<ElementType, InputParser<Record<string, unknown>>>[] = []
for (let d = 0; d <= MaxRelayDepth; d++) {
  const schemas = contentSchemas(F.validated('MsgBody', (raw, path) => validateBodyAt(raw, path, d + 1)))
  contentParsers.push(Object.fromEntries(Object.entries(schemas).map(([type, schema]) =>
    [type, inputParser(schema, { code: 'BAD_MSGBODY' }) as InputParser<Record<string, unknown>>])) as Record<ElementType, InputParser<Record<string, unknown>>>)
}

function bad(path: string, why: string): never {
  throw new ParleyError('BAD_MSGBODY', `${path}: ${why}`)
}

function isElementType(v: unknown): v is ElementType {
  return typeof v === 'string' && (ElementTypes as readonly string[]).includes(v)
}

/** A relay holds MsgList or JsonMsgKey, not both and not neither; at most MaxRelayDepth deep. */
function relayRules(content: Record<string, unknown>, path: string): void {
  const hasList = content.MsgList !== undefined
  const hasKey = content.JsonMsgKey !== undefined
  if (hasList && hasKey) bad(path, 'MsgList and JsonMsgKey are mutually exclusive')
  if (!hasList && !hasKey) bad(`${path}.MsgList`, 'required (or JsonMsgKey)')
}

function imageTypesOnce(content: Record<string, unknown>, path: string): void {
  const seen = new Set<number>()
  ;(content.ImageInfoArray as { Type: number }[]).forEach((info, i) => {
    if (seen.has(info.Type)) bad(`${path}.ImageInfoArray[${i}].Type`, `duplicate image Type ${info.Type}`)
    seen.add(info.Type)
  })
}

/** `relayDepth`: how many TIMRelayElem enclose this element's body. */
function validateElement(el: unknown, path: string, relayDepth: number): MsgElement {
  if (!isPlainObject(el)) return bad(path, 'must be a map of {MsgType, MsgContent}')
  const type = Object.hasOwn(el, 'MsgType') ? el.MsgType ?? undefined : undefined
  if (type === undefined) bad(`${path}.MsgType`, 'required')
  if (!isElementType(type)) {
    const shown = typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : typeof type
    const why = type === 'TIMGroupTipElem' || type === 'TIMGroupSystemNoticeElem'
      ? 'server-generated element type; clients may not send it'
      : `unknown element type ${shown}`
    return bad(`${path}.MsgType`, why)
  }
  const raw = Object.hasOwn(el, 'MsgContent') ? el.MsgContent ?? undefined : undefined
  const cpath = `${path}.MsgContent`
  if (raw === undefined) bad(cpath, 'required')
  if (type === 'TIMRelayElem' && relayDepth >= MaxRelayDepth) bad(cpath, `TIMRelayElem nested deeper than ${MaxRelayDepth} levels`)
  const MsgContent = contentParsers[relayDepth]![type](raw, cpath)
  if (type === 'TIMRelayElem') relayRules(MsgContent, cpath)
  else if (type === 'TIMImageElem') imageTypesOnce(MsgContent, cpath)
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

/** A message body as a schema field (the socket `body`, REST `MsgBody`): validateBody's rules. */
export const MsgBodyField = F.validated('MsgBody', (raw, path) => validateBodyAt(raw, path, 0), { code: 'BAD_MSGBODY' })

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
