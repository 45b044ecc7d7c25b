/**
 * The SDK's wire pieces against the server's own: built elements pass the server's body
 * validation, and client-encoded frames decode (and validate) with the server's codec.
 */
import t from 'tap'
import * as el from '../../src/client/elements.js'
import { ClientErrorCodes, ParleyClientError } from '../../src/client/errors.js'
import { RequestTable } from '../../src/client/RequestTable.js'
import { FrameCodec, resolveWebSocket } from '../../src/client/transport.js'
import { decode, encode } from '../../src/core/codec.js'
import { validateBody } from '../../src/protocol/elements.js'
import { parseClientFrame } from '../../src/protocol/validate.js'

const allElements = [
  el.text('hello'),
  el.face(3),
  el.face(4, 'extra'),
  el.location({ Latitude: 22.5, Longitude: 114.05, Desc: 'Shenzhen' }),
  el.custom({ Data: '{"k":1}', Desc: undefined }),
  el.sound({ Url: 'https://m/s.aac', UUID: 's1', Second: 3 }),
  el.image({ UUID: 'i1', ImageFormat: 3, ImageInfoArray: [{ Type: 1, Width: 800, Height: 600, URL: 'https://m/i.png', Size: undefined }] }),
  el.file({ Url: 'https://m/f.pdf', UUID: 'f1', FileSize: 1024, FileName: 'f.pdf' }),
  el.video({ VideoUrl: 'https://m/v.mp4', VideoUUID: 'v1', ThumbUrl: 'https://m/t.jpg', ThumbUUID: 't1', ThumbWidth: 320, ThumbHeight: 180 }),
  el.relay({
    Title: 'chat', MsgNum: 1, AbstractList: ['bob: hi'],
    MsgList: [{ From_Account: 'bob', MsgSeq: 1, MsgRandom: 2, MsgTimeStamp: 1_700_000_000, MsgBody: [el.text('hi')] }],
  }),
  el.relay({ Title: 'chat', MsgNum: 3, AbstractList: [], JsonMsgKey: 'stored-list-1' }),
]

t.test('every builder yields a body the server accepts unchanged', async (t) => {
  for (const e of allElements) {
    t.same(validateBody([e], 'body'), [e], e.MsgType)
  }
})

t.test('builders leave out undefined fields, at any depth', async (t) => {
  t.same(el.custom({ Data: 'd', Desc: undefined }).MsgContent, { Data: 'd' })
  const img = el.image({ UUID: 'i', ImageFormat: 1, ImageInfoArray: [{ Type: 3, Width: 1, Height: 1, URL: 'u', Size: undefined }] })
  t.same(img.MsgContent.ImageInfoArray, [{ Type: 3, Width: 1, Height: 1, URL: 'u' }])
  t.same(el.face(1).MsgContent, { Index: 1 })
})

t.test('isElement narrows; plainText joins text elements', async (t) => {
  const body = [el.text('a'), el.face(1), el.text('b')]
  const e = body[0]
  if (el.isElement(e, 'TIMTextElem')) t.equal(e.MsgContent.Text, 'a')
  else t.fail('text element not recognised')
  t.notOk(el.isElement(body[1], 'TIMTextElem'))
  t.equal(el.plainText(body), 'ab')
})

t.test('msgpack frames decode and validate with the server codec', async (t) => {
  const codec = new FrameCodec('msgpack', 64 * 1024)
  const frame = { op: 'send' as const, rid: 5, to: 'bob', body: [el.text('hi')], random: 4294967295, msgSeq: 0, cloudCustomData: undefined }
  const bytes = codec.encode(frame)
  t.ok(bytes instanceof Uint8Array)
  const raw = decode(bytes as Uint8Array) as Record<string, unknown>
  t.notOk('cloudCustomData' in raw, 'undefined fields are not sent as nil')
  t.same(parseClientFrame(raw), { op: 'send', rid: 5, to: 'bob', body: [el.text('hi')], random: 4294967295, msgSeq: 0 })
  // The encoded bytes are a private copy: encoding another frame does not change them.
  const copy = Uint8Array.from(bytes as Uint8Array)
  codec.encode({ op: 'convs', rid: 6 })
  t.same(bytes, copy)
})

t.test('server frames decode: msgpack from ArrayBuffer and views, JSON from text', async (t) => {
  const codec = new FrameCodec('msgpack', 1024)
  const f = { op: 'ev', ev: { type: 'read', seq: 1, conv: 'c2c:bob', readSeq: 3 } }
  const b = encode(f)
  t.same(codec.decode(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), f, 'ArrayBuffer')
  t.same(codec.decode(b), f, 'Buffer / Uint8Array view')
  t.same(codec.decode(JSON.stringify(f)), f, 'text frame')
  t.equal(codec.decode('not json'), undefined)
  t.equal(codec.decode(encode([1, 2])), undefined, 'not a map with op')
  t.equal(codec.decode(new Uint8Array([0xc1])), undefined, 'malformed msgpack')
  t.equal(codec.decode(42), undefined)
})

t.test('JSON encoding sends text frames the server parses', async (t) => {
  const codec = new FrameCodec('json', 1024)
  const s = codec.encode({ op: 'history', rid: 1, peer: 'bob', before: undefined, limit: 10 })
  t.equal(typeof s, 'string')
  t.same(parseClientFrame(JSON.parse(s as string)), { op: 'history', rid: 1, peer: 'bob', limit: 10 })
})

t.test('frames above maxFrameBytes fail locally with 9003', async (t) => {
  const codec = new FrameCodec('msgpack', 1024)
  t.throws(() => codec.encode({ op: 'send', rid: 1, to: 'bob', body: [el.text('x'.repeat(2000))] }),
    { code: ClientErrorCodes.FRAME_TOO_LARGE, retryable: false })
  const json = new FrameCodec('json', 100)
  t.throws(() => json.encode({ op: 'send', rid: 1, to: 'bob', body: [el.text('é'.repeat(40))] }),
    { code: 9003 }, 'JSON size is counted in UTF-8 bytes')
})

t.test('resolveWebSocket: injected class, else a coded TypeError on Node 20', async (t) => {
  class Fake { binaryType = ''; readyState = 0; send() {} close() {} onopen = null; onmessage = null; onclose = null; onerror = null }
  t.equal(resolveWebSocket(Fake), Fake)
  if (!('WebSocket' in globalThis)) t.throws(() => resolveWebSocket(undefined), TypeError)
})

t.test('RequestTable: written once per connection, in order, resent on the next', async (t) => {
  const table = new RequestTable(10_000)
  const writes: string[] = []
  const a = table.add(1, 'send', 'A')
  const b = table.add(2, 'history', 'B')
  table.flush(1, (d) => writes.push(`1:${d as string}`))
  table.flush(1, (d) => writes.push(`1:${d as string}`))
  t.same(writes, ['1:A', '1:B'], 'each written once on connection 1')
  t.ok(table.settle({ rid: 2, ok: true, data: 'b-data' }))
  table.flush(2, (d) => writes.push(`2:${d as string}`))
  t.same(writes, ['1:A', '1:B', '2:A'], 'only the unanswered one is resent, as the same bytes')
  t.ok(table.settle({ rid: 1, ok: false, code: 90002, message: 'bad body' }))
  t.equal(await b, 'b-data')
  await t.rejects(a, { code: 90002, message: 'bad body' })
  t.notOk(table.settle({ rid: 1, ok: true }), 'late or unknown responses are ignored')
  t.equal(table.size, 0)
})

t.test('RequestTable: at most sendWindow sends written and unanswered per connection; others never held', async (t) => {
  const table = new RequestTable(10_000)
  table.sendWindow = 2
  const writes: string[] = []
  const on = (gen: number) => (d: Uint8Array | string) => writes.push(`${gen}:${d as string}`)
  const sends = ['A', 'B', 'C', 'D'].map((d, i) => table.add(i + 1, i === 3 ? 'groupSend' : 'send', d))
  const history = table.add(5, 'history', 'H')
  table.flush(1, on(1))
  t.same(writes, ['1:A', '1:B', '1:H'], 'two sends and the history request go out; C and D wait')
  t.equal(table.holding, true)
  t.ok(table.settle({ rid: 5, ok: true, data: 'h' }))
  table.flush(1, on(1))
  t.same(writes.length, 3, 'an answer to another request frees no send slot')
  t.ok(table.settle({ rid: 1, ok: false, code: 20003, message: 'no such user' }))
  table.flush(1, on(1))
  t.same(writes.slice(3), ['1:C'], 'a failed send frees its slot: the next send goes out, in order')
  // A new connection: the unanswered B and C are resent first; D still waits for room.
  table.flush(2, on(2))
  t.same(writes.slice(4), ['2:B', '2:C'], 'on a new connection the window starts empty, oldest first')
  for (const rid of [2, 3]) t.ok(table.settle({ rid, ok: true }))
  t.equal(table.holding, true)
  table.flush(2, on(2))
  t.same(writes.slice(6), ['2:D'], 'groupSend counts against the same window')
  t.equal(table.holding, false)
  t.ok(table.settle({ rid: 4, ok: true }))
  await t.rejects(sends[0], { code: 20003 })
  await Promise.all([history, ...sends.slice(1)])
  t.equal(table.size, 0)
})

t.test('RequestTable: a failed write fails only that request', async (t) => {
  const table = new RequestTable(10_000)
  const a = table.add(1, 'send', 'A')
  const b = table.add(2, 'send', 'B')
  table.flush(1, (d) => { if (d === 'A') throw new Error('socket gone') })
  await t.rejects(a, { code: ClientErrorCodes.CONNECTION_LOST })
  t.equal(table.size, 1)
  table.rejectAll(new ParleyClientError(ClientErrorCodes.CLIENT_CLOSED, 'closed'))
  await t.rejects(b, { code: ClientErrorCodes.CLIENT_CLOSED })
})

t.test('RequestTable: the deadline rejects with 9501 and forgets the request', async (t) => {
  const table = new RequestTable(5)
  const p = table.add(1, 'convs', 'C')
  await t.rejects(p, { code: ClientErrorCodes.REQUEST_TIMEOUT, retryable: true })
  t.equal(table.size, 0)
  t.notOk(table.settle({ rid: 1, ok: true }))
})
