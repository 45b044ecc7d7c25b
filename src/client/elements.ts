/**
 * Builders and typed views of message elements (`{MsgType, MsgContent}`, Tencent's field
 * names unchanged). A message body is an array of them: `client.send(peer, [text('hi'),
 * face(3)])`. Required fields mirror what the server validates (src/protocol/elements.ts):
 * media elements need their download URLs because Parley stores no media. Builders drop
 * `undefined` fields; they do not validate (the server answers bad bodies with 90002).
 */
import type { ElementType, MsgElement } from '../model/message.js'

export type TextContent = { Text: string }
/** `Index`: the app's emoji index; `Data`: app-defined extra. */
export type FaceContent = { Index: number; Data?: string }
/** Degrees: latitude −90..90, longitude −180..180. */
export type LocationContent = { Latitude: number; Longitude: number; Desc?: string }
/** `Data`: the app payload; `Desc`, `Ext`, `Sound`: offline-push text, passthrough and ringtone. */
export type CustomContent = { Data: string; Desc?: string; Ext?: string; Sound?: string }
/** `Size` bytes, `Second` duration in seconds. */
export type SoundContent = { Url: string; UUID: string; Size?: number; Second?: number; Download_Flag?: number }
/** One rendition: Type 1 original, 2 large, 3 thumbnail; Width/Height in px (0 = unknown). */
export type ImageInfo = { Type: 1 | 2 | 3; Width: number; Height: number; URL: string; Size?: number }
/** ImageFormat: JPG 1, GIF 2, PNG 3, BMP 4, other 255; 1..3 renditions, at most one per Type. */
export type ImageContent = { UUID: string; ImageFormat: 1 | 2 | 3 | 4 | 255; ImageInfoArray: ImageInfo[] }
export type FileContent = { Url: string; UUID: string; FileSize: number; FileName: string; Download_Flag?: number }
export type VideoContent = {
  VideoUrl: string; VideoUUID: string; VideoSize?: number; VideoSecond?: number; VideoFormat?: string
  VideoDownloadFlag?: number
  ThumbUrl: string; ThumbUUID: string; ThumbSize?: number; ThumbWidth: number; ThumbHeight: number
  ThumbFormat?: string; ThumbDownloadFlag?: number
}
/** A forwarded message inside a relay (`MsgTimeStamp` in unix seconds). */
export type RelayedMessage = {
  From_Account: string; To_Account?: string; GroupId?: string
  MsgSeq: number; MsgRandom: number; MsgTimeStamp: number
  MsgBody: MsgElement[]; CloudCustomData?: string
}
/** A merged-forward card: exactly one of `MsgList` (nested at most 3 relays deep) or `JsonMsgKey`. */
export type RelayContent = { Title: string; MsgNum: number; CompatibleText?: string; AbstractList: string[] } &
  ({ MsgList: RelayedMessage[]; JsonMsgKey?: never } | { JsonMsgKey: string; MsgList?: never })

export interface ElementContents {
  TIMTextElem: TextContent
  TIMFaceElem: FaceContent
  TIMLocationElem: LocationContent
  TIMCustomElem: CustomContent
  TIMSoundElem: SoundContent
  TIMImageElem: ImageContent
  TIMFileElem: FileContent
  TIMVideoFileElem: VideoContent
  TIMRelayElem: RelayContent
}

/** An element whose content type follows its MsgType. */
export type TypedElement<T extends ElementType = ElementType> =
  T extends ElementType ? { MsgType: T; MsgContent: ElementContents[T] } : never

/** Builds an element of `type`. */
export function element<T extends ElementType>(type: T, content: ElementContents[T]): MsgElement {
  return { MsgType: type, MsgContent: clean(content) as Record<string, unknown> }
}

export const text = (Text: string): MsgElement => element('TIMTextElem', { Text })
export const face = (Index: number, Data?: string): MsgElement => element('TIMFaceElem', { Index, Data })
export const location = (c: LocationContent): MsgElement => element('TIMLocationElem', c)
export const custom = (c: CustomContent): MsgElement => element('TIMCustomElem', c)
export const sound = (c: SoundContent): MsgElement => element('TIMSoundElem', c)
export const image = (c: ImageContent): MsgElement => element('TIMImageElem', c)
export const file = (c: FileContent): MsgElement => element('TIMFileElem', c)
export const video = (c: VideoContent): MsgElement => element('TIMVideoFileElem', c)
export const relay = (c: RelayContent): MsgElement => element('TIMRelayElem', c)

/**
 * Narrows a received element to its typed view. Received bodies were validated by the server,
 * so required fields are present; fields the server does not model are dropped there.
 */
export function isElement<T extends ElementType>(el: MsgElement, type: T): el is MsgElement & TypedElement<T> {
  return el.MsgType === type
}

/** The concatenated `Text` of a body's text elements (for previews and notifications). */
export function plainText(body: readonly MsgElement[]): string {
  return body.filter((e) => isElement(e, 'TIMTextElem')).map((e) => (e.MsgContent as TextContent).Text).join('')
}

/** A deep copy without `undefined` values (msgpack would send them as nil). */
function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clean)
  if (typeof v !== 'object' || v === null) return v
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = clean(x)
  return out
}
