/**
 * A receive-optimised WebSocket client (RFC 6455) for the broadcast benchmark's members, who
 * send two frames and then only read. Like wsLite.ts (fixed upgrade request, zero masking
 * key, no extensions, no UTF-8 checks), but reads use Node's `onread` option: the kernel's
 * bytes land in one buffer shared by every socket of the process and are parsed in the
 * callback, with no stream machinery, no `data` event and no Buffer allocated per read. On
 * this 2-core machine, reading is most of what 15,000 members cost, and every microsecond
 * the clients spend is taken from the server.
 *
 * Contract: `open` fires once after the 101 response; `message` for each complete data
 * message, whose payload is only valid during the call (it may point into the shared read
 * buffer); `close` exactly once, with the server's close code, or 1006 if the TCP connection
 * ended without a close frame. Fragmented messages are not used by the servers measured and
 * are reassembled by copying.
 */
import { connect, type Socket } from 'node:net'
import { encodeFrame, type LiteHandlers } from './wsLite.js'

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='
const HEADER_END = Buffer.from('\r\n\r\n')
/** One read buffer for all sockets of the process: callbacks never overlap. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024)

export class RoomSocket {
  private readonly sock: Socket
  private state: 'connecting' | 'handshake' | 'open' | 'closing' | 'closed' = 'connecting'
  /** Bytes of an incomplete frame (or response header), copied out of the shared buffer. */
  private pending: Buffer | undefined
  private fragments: Buffer[] | undefined
  private closeCode = 1006
  private closeReason = ''

  constructor(host: string, port: number, path: string, private readonly h: LiteHandlers) {
    this.sock = connect({
      host, port, noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => { this.onData(buf as Buffer, n); return true } },
    })
    this.sock.on('connect', () => {
      this.state = 'handshake'
      this.sock.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
    })
    this.sock.on('error', (e: NodeJS.ErrnoException) => {
      if (this.closeReason === '') this.closeReason = e.code ?? e.message
    })
    this.sock.on('close', () => this.finish())
  }

  /** Writes a frame built by wsLite's `encodeFrame`. Dropped unless open. */
  sendFrame(frame: Uint8Array): void {
    if (this.state === 'open') this.sock.write(frame)
  }

  close(code = 1000, graceMs = 3000): void {
    if (this.state === 'closed') return
    if (this.state === 'open') {
      const p = Buffer.alloc(2)
      p.writeUInt16BE(code)
      this.sock.write(encodeFrame(p, 0x8))
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

  private onData(shared: Buffer, n: number): void {
    let buf = this.pending ? Buffer.concat([this.pending, shared.subarray(0, n)]) : shared.subarray(0, n)
    this.pending = undefined
    if (this.state === 'handshake') {
      const end = buf.indexOf(HEADER_END)
      if (end < 0) {
        if (buf.length > 16384) this.fail('handshake response too long')
        else this.pending = Buffer.from(buf)
        return
      }
      if (!buf.toString('latin1', 0, Math.min(end, 64)).startsWith('HTTP/1.1 101')) return this.fail('handshake refused')
      this.state = 'open'
      this.h.open()
      buf = buf.subarray(end + HEADER_END.length)
    }
    let off = 0
    const len = buf.length
    while (this.state === 'open' || this.state === 'closing') {
      const left = len - off
      if (left < 2) break
      const b0 = buf[off]
      let size = buf[off + 1] & 0x7f
      let hdr = 2
      if (size === 126) {
        if (left < 4) break
        size = (buf[off + 2] << 8) | buf[off + 3]
        hdr = 4
      } else if (size === 127) {
        if (left < 10) break
        size = buf.readUInt32BE(off + 2) * 2 ** 32 + buf.readUInt32BE(off + 6)
        hdr = 10
      }
      if (left < hdr + size) break
      const start = off + hdr
      off = start + size
      this.onFrame(b0, buf.subarray(start, off))
    }
    if (off < len && this.state !== 'closed') this.pending = Buffer.from(buf.subarray(off))
  }

  private onFrame(b0: number, payload: Buffer): void {
    const fin = (b0 & 0x80) !== 0
    switch (b0 & 0x0f) {
      case 0x1:
      case 0x2:
        if (fin) this.h.message(payload, (b0 & 0x0f) === 0x2)
        else this.fragments = [Buffer.from(payload)]
        return
      case 0x0:
        if (!this.fragments) return this.fail('continuation without a first fragment')
        this.fragments.push(Buffer.from(payload))
        if (fin) {
          const whole = Buffer.concat(this.fragments)
          this.fragments = undefined
          this.h.message(whole, true)
        }
        return
      case 0x8:
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005
        this.closeReason = payload.length > 2 ? payload.toString('utf8', 2) : ''
        if (this.state === 'open') this.sock.write(encodeFrame(Buffer.from(payload.subarray(0, 2)), 0x8))
        this.state = 'closing'
        this.sock.end()
        return
      case 0x9:
        if (this.state === 'open') this.sock.write(encodeFrame(Buffer.from(payload), 0xa))
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
