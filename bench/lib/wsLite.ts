/**
 * A minimal WebSocket client (RFC 6455) over `node:net`, for load generation only: one
 * TCP socket, a fixed upgrade request, binary frames with a zero masking key (XOR with zero
 * leaves the payload unchanged, so a pre-built frame is sent as-is with no per-message
 * copy), and a frame parser that hands each payload to the caller without copying.
 *
 * Why not `ws`: on this 2-core machine the load generator shares CPU with the server, and
 * every microsecond a client spends per frame is taken from the server. This client does no
 * key validation, extension negotiation, UTF-8 checking or per-frame event emission.
 *
 * Contract: `open` fires once after the 101 response; `message` for each complete data
 * message (the payload is only valid during the call); `close` exactly once, with the
 * server's close code, or 1006 if the TCP connection ended without a close frame.
 */
import { connect, type Socket } from 'node:net'

export interface LiteHandlers {
  open(): void
  message(payload: Buffer, binary: boolean): void
  close(code: number, reason: string): void
}

/** A fixed Sec-WebSocket-Key: the server only hashes it; the client does not check the answer. */
const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='
const HEADER_END = Buffer.from('\r\n\r\n')
const OP_CONT = 0x0
const OP_TEXT = 0x1
const OP_BINARY = 0x2
const OP_CLOSE = 0x8
const OP_PING = 0x9

/** A complete client frame (FIN set, zero mask) carrying `payload`, ready for `sendFrame`. */
export function encodeFrame(payload: Uint8Array, opcode = OP_BINARY): Buffer {
  const len = payload.length
  const hdr = len < 126 ? 2 : len < 65536 ? 4 : 10
  const out = Buffer.allocUnsafe(hdr + 4 + len)
  out[0] = 0x80 | opcode
  if (len < 126) {
    out[1] = 0x80 | len
  } else if (len < 65536) {
    out[1] = 0x80 | 126
    out.writeUInt16BE(len, 2)
  } else {
    out[1] = 0x80 | 127
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2)
    out.writeUInt32BE(len >>> 0, 6)
  }
  out.writeUInt32BE(0, hdr)
  out.set(payload, hdr + 4)
  return out
}

/** Byte offset of the payload inside a frame built by `encodeFrame` for a payload of `len` bytes. */
export function payloadOffset(len: number): number {
  return (len < 126 ? 2 : len < 65536 ? 4 : 10) + 4
}

export class LiteSocket {
  private readonly sock: Socket
  private state: 'connecting' | 'handshake' | 'open' | 'closing' | 'closed' = 'connecting'
  private pending: Buffer | undefined
  private fragments: Buffer[] | undefined
  private fragmentBinary = true
  private closeCode = 1006
  private closeReason = ''

  constructor(host: string, port: number, path: string, private readonly h: LiteHandlers) {
    this.sock = connect({ host, port, noDelay: true })
    this.sock.on('connect', () => {
      this.state = 'handshake'
      this.sock.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
    })
    this.sock.on('data', (chunk: Buffer) => this.onData(chunk))
    this.sock.on('error', (e: NodeJS.ErrnoException) => {
      if (this.closeReason === '') this.closeReason = e.code ?? e.message
    })
    this.sock.on('close', () => this.finish())
  }

  get isOpen(): boolean {
    return this.state === 'open'
  }

  /** Bytes queued in the client's socket buffer (the kernel would not take them yet). */
  get bufferedBytes(): number {
    return this.sock.writableLength
  }

  /** Writes a frame built by `encodeFrame` (or a patched copy of one). Dropped unless open. */
  sendFrame(frame: Uint8Array): void {
    if (this.state === 'open') this.sock.write(frame)
  }

  /** Starts the closing handshake; the TCP connection is destroyed after `graceMs` regardless. */
  close(code = 1000, graceMs = 3000): void {
    if (this.state === 'closed') return
    if (this.state === 'open') {
      const p = Buffer.alloc(2)
      p.writeUInt16BE(code)
      this.sock.write(encodeFrame(p, OP_CLOSE))
      this.state = 'closing'
      this.sock.end()
      setTimeout(() => this.sock.destroy(), graceMs).unref()
    } else {
      this.sock.destroy()
    }
  }

  destroy(): void {
    this.sock.destroy()
  }

  private finish(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.pending = undefined
    this.h.close(this.closeCode, this.closeReason)
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk
    this.pending = undefined
    if (this.state === 'handshake') {
      const end = buf.indexOf(HEADER_END)
      if (end < 0) {
        if (buf.length > 16384) this.fail('handshake response too long')
        else this.pending = buf
        return
      }
      const status = buf.toString('latin1', 0, Math.min(end, 64))
      if (!status.startsWith('HTTP/1.1 101')) return this.fail(`handshake refused: ${status.split('\r\n')[0]}`)
      this.state = 'open'
      this.h.open()
      buf = buf.subarray(end + HEADER_END.length)
    }
    let off = 0
    while (this.state === 'open' || this.state === 'closing') {
      const left = buf.length - off
      if (left < 2) break
      const b0 = buf[off]
      const b1 = buf[off + 1]
      if (b1 & 0x80) return this.fail('masked server frame')
      let len = b1 & 0x7f
      let hdr = 2
      if (len === 126) {
        if (left < 4) break
        len = buf.readUInt16BE(off + 2)
        hdr = 4
      } else if (len === 127) {
        if (left < 10) break
        len = buf.readUInt32BE(off + 2) * 2 ** 32 + buf.readUInt32BE(off + 6)
        hdr = 10
      }
      if (left < hdr + len) break
      const payload = buf.subarray(off + hdr, off + hdr + len)
      off += hdr + len
      this.onFrame((b0 & 0x80) !== 0, b0 & 0x0f, payload)
    }
    if (off < buf.length && this.state !== 'closed') this.pending = Buffer.from(buf.subarray(off))
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OP_TEXT:
      case OP_BINARY:
        if (fin) this.h.message(payload, opcode === OP_BINARY)
        else { this.fragments = [Buffer.from(payload)]; this.fragmentBinary = opcode === OP_BINARY }
        return
      case OP_CONT:
        if (!this.fragments) return this.fail('continuation without a first fragment')
        this.fragments.push(Buffer.from(payload))
        if (fin) {
          const whole = Buffer.concat(this.fragments)
          this.fragments = undefined
          this.h.message(whole, this.fragmentBinary)
        }
        return
      case OP_CLOSE:
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005
        this.closeReason = payload.length > 2 ? payload.toString('utf8', 2) : ''
        if (this.state === 'open') this.sock.write(encodeFrame(payload.subarray(0, 2), OP_CLOSE))
        this.state = 'closing'
        this.sock.end()
        return
      case OP_PING:
        if (this.state === 'open') this.sock.write(encodeFrame(payload, 0xa))
        return
      default:
        return
    }
  }

  private fail(reason: string): void {
    this.closeReason = reason
    this.sock.destroy()
  }
}
