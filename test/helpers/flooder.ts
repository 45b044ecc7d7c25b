/**
 * A flooding client, run as its own process (test/e2e/sendFlood.test.ts starts it with
 * `runFlooder`), so its send loop shares no event loop with the test's latency measurement.
 * It logs one socket in, writes `count` one-to-one sends back to back in one socket write
 * without waiting for any answer (randoms `randomBase + 1 … randomBase + count`, rids 1 …
 * count), waits for every `res` or the socket's close, and prints one JSON line
 * (`FloodResult`) on stdout. Not a test file itself.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { codec } from './rawClient.js'
import { loaderArgs } from './serverProcess.js'

export interface FloodOptions {
  wsUrl: string
  sdkAppId: number
  userId: string
  userSig: string
  to: string
  count: number
  randomBase: number
}

export interface FloodResult {
  /** MsgRandoms of the sends answered ok. */
  accepted: number[]
  /** MsgRandoms of the sends answered with an error, by code. */
  refused: Record<string, number[]>
  /** MsgRandoms of the sends with no answer before the socket closed. */
  unanswered: number[]
  /** The close code if the server closed the socket before every send was answered, else 0. */
  closeCode: number
  /** Wall clock (Date.now) when the first send was written and when the last answer (or the close) arrived. */
  startedAt: number
  endedAt: number
  /** How long writing all sends took, ms. */
  writeMs: number
}

const SELF = fileURLToPath(import.meta.url)

/** Runs the flooder in a child process; resolves with its result (rejects if it fails). */
export function runFlooder(o: FloodOptions): Promise<FloodResult> {
  const proc = spawn(process.execPath, [...loaderArgs(), SELF], { env: { ...process.env, PARLEY_FLOOD: JSON.stringify(o) }, stdio: ['ignore', 'pipe', 'pipe'] })
  const reap = () => { proc.kill('SIGKILL') }
  process.once('exit', reap)
  let out = ''
  let err = ''
  proc.stdout.on('data', (d: Buffer) => { out += String(d) })
  proc.stderr.on('data', (d: Buffer) => { err = (err + String(d)).slice(-4000) })
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => {
      process.off('exit', reap)
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (code === 0 && line) resolve(JSON.parse(line) as FloodResult)
      else reject(new Error(`flooder exited ${code}:\n${err}`))
    })
  })
}

/** One masked binary WebSocket frame (RFC 6455 §5.2) of `payload`, under 64 KiB. */
function maskedFrame(payload: Uint8Array): Buffer {
  const head = payload.length < 126 ? 2 : 4
  const out = Buffer.alloc(head + 4 + payload.length)
  out[0] = 0x82
  if (head === 2) out[1] = 0x80 | payload.length
  else {
    out[1] = 0x80 | 126
    out.writeUInt16BE(payload.length, 2)
  }
  const mask = randomBytes(4)
  mask.copy(out, head)
  for (let i = 0; i < payload.length; i++) out[head + 4 + i] = payload[i] ^ mask[i & 3]
  return out
}

async function main(o: FloodOptions): Promise<void> {
  const ws = new WebSocket(o.wsUrl)
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  const answers = new Map<number, { ok: boolean; code?: number }>()
  let done!: () => void
  const allAnswered = new Promise<void>((resolve) => { done = resolve })
  let loggedIn!: (f: Record<string, unknown>) => void
  const login = new Promise<Record<string, unknown>>((resolve) => { loggedIn = resolve })
  ws.on('message', (data: Buffer) => {
    const f = codec.unpack(data) as { op: string; rid?: number; ok?: boolean; code?: number }
    if (f.op !== 'res' || f.rid === undefined) return
    if (f.rid === 0) return loggedIn(f)
    answers.set(f.rid, { ok: f.ok === true, code: f.code })
    if (answers.size === o.count) done()
  })
  let closeCode = 0
  ws.on('close', (code) => {
    closeCode = code
    loggedIn({ ok: false, closed: code })
    done()
  })
  ws.send(codec.pack({ op: 'login', rid: 0, sdkAppId: o.sdkAppId, userId: o.userId, userSig: o.userSig, platform: 'Linux' }))
  const res = await login
  if (res.ok !== true) throw new Error(`login failed: ${JSON.stringify(res)}`)
  // Every frame is built before the clock starts and all leave in one socket write, so the
  // flood reaches the server as fast as loopback carries it and this process, sharing the
  // machine's cores with the server, spends almost no time writing it.
  const body = [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'flood' } }]
  const frames = Buffer.concat(Array.from({ length: o.count }, (_, i) => maskedFrame(codec.pack({ op: 'send', rid: i + 1, to: o.to, random: o.randomBase + i + 1, body }))))
  const socket = (ws as unknown as { _socket: Socket })._socket
  const startedAt = Date.now()
  socket.write(frames)
  const writeMs = Date.now() - startedAt
  await allAnswered
  const endedAt = Date.now()
  const result: FloodResult = { accepted: [], refused: {}, unanswered: [], closeCode, startedAt, endedAt, writeMs }
  for (let i = 1; i <= o.count; i++) {
    const a = answers.get(i)
    if (!a) result.unanswered.push(o.randomBase + i)
    else if (a.ok) result.accepted.push(o.randomBase + i)
    else (result.refused[String(a.code)] ??= []).push(o.randomBase + i)
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
  if (!closeCode) ws.close()
}

if (process.argv[1] === SELF) {
  main(JSON.parse(process.env['PARLEY_FLOOD'] ?? '{}') as FloodOptions).catch((e: unknown) => {
    process.stderr.write(`${String(e)}\n`)
    process.exitCode = 1
  })
}
