/**
 * What the SDK needs from a WebSocket, and the frame codec. The shape is the WHATWG
 * WebSocket's, so the browser's global `WebSocket` and the `ws` package's class both fit.
 * msgpack is encoded with the same options as the server's codec (src/core/codec.ts:
 * plain maps, no records extension); JSON text frames are the debug alternative.
 */
import { Packr } from 'msgpackr'
import type { ServerFrame } from '../protocol/frames.js'
import type { WireFrame } from './wire.js'
import { ClientErrorCodes, ParleyClientError } from './errors.js'

/**
 * The subset of a WebSocket the SDK uses. Handler properties take `never` so that any
 * implementation's handler type is assignable (the SDK only assigns them, never calls them).
 */
export interface WebSocketLike {
  binaryType: string
  readonly readyState: number
  send(data: Uint8Array | string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: never) => void) | null
  onmessage: ((ev: never) => void) | null
  onclose: ((ev: never) => void) | null
  onerror: ((ev: never) => void) | null
}

export type WebSocketConstructor = new (url: string) => WebSocketLike

/** The event shapes the SDK reads. */
export interface MessageEventLike { readonly data: unknown }
export interface CloseEventLike { readonly code: number; readonly reason: string }

/** `readyState` of an open socket. */
export const OPEN = 1

/** The injected constructor, else the global WebSocket (browsers, Node ≥ 22), else a TypeError. */
export function resolveWebSocket(impl: WebSocketConstructor | undefined): WebSocketConstructor {
  if (impl) return impl
  const g = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (g) return g
  throw new TypeError('no global WebSocket here: pass WebSocketImpl (e.g. the `ws` package\'s WebSocket)')
}

export type Encoding = 'msgpack' | 'json'

/** Encodes client frames and decodes server frames for one wire encoding. */
export class FrameCodec {
  private readonly packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true })
  private readonly utf8 = new TextEncoder()

  /** `maxFrameBytes`: the server's maxFrameBytes; larger frames are refused before sending. */
  constructor(readonly encoding: Encoding, readonly maxFrameBytes: number) {}

  /**
   * The frame as it goes on the wire. Throws FRAME_TOO_LARGE (9003) above maxFrameBytes:
   * the server would answer it with a 9003 it cannot address to the request (rid -1).
   */
  encode(frame: WireFrame): Uint8Array | string {
    let data: Uint8Array | string
    let bytes: number
    if (this.encoding === 'json') {
      data = JSON.stringify(frame)
      bytes = this.utf8.encode(data).byteLength
    } else {
      // Copy out (new Uint8Array copies; Buffer#slice would not): the packr's results share
      // one backing buffer that later packs overwrite, and a queued request is resent from
      // these bytes after a reconnect.
      data = new Uint8Array(this.packr.pack(stripUndefined(frame)))
      bytes = data.byteLength
    }
    if (bytes > this.maxFrameBytes) {
      throw new ParleyClientError(ClientErrorCodes.FRAME_TOO_LARGE, `${frame.op}: frame of ${bytes} bytes above the limit of ${this.maxFrameBytes}`)
    }
    return data
  }

  /**
   * Decodes one WebSocket message (binary: msgpack; text: JSON, whatever the encoding) into a
   * frame with a string `op`, or undefined if it is not one.
   */
  decode(data: unknown): ServerFrame | undefined {
    let v: unknown
    try {
      if (typeof data === 'string') v = JSON.parse(data)
      else if (data instanceof ArrayBuffer) v = this.packr.unpack(new Uint8Array(data))
      else if (ArrayBuffer.isView(data)) v = this.packr.unpack(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      else return undefined
    } catch {
      return undefined
    }
    if (typeof v !== 'object' || v === null || typeof (v as { op?: unknown }).op !== 'string') return undefined
    return v as ServerFrame
  }
}

/** msgpack has no `undefined`: it would go out as nil. Absent fields are left out instead. */
function stripUndefined(frame: WireFrame): WireFrame {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(frame)) if (v !== undefined) out[k] = v
  return out as unknown as WireFrame
}
