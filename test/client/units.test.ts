import t from 'tap'
import { Emitter } from '../../src/client/Emitter.js'
import { ClientErrorCodes, isRetryableCode, ParleyClientError } from '../../src/client/errors.js'
import { BoundedKeySet } from '../../src/client/KeySet.js'
import { backoffDelay, classifyClose, DefaultBackoff, reconnectDelay } from '../../src/client/reconnect.js'
import { surfaceOf } from '../../src/client/surface.js'
import { CloseCodes } from '../../src/protocol/frames.js'
import { msgEv, shardMsg } from './fixtures/events.js'

t.test('BoundedKeySet evicts the least recently added or touched key', async (t) => {
  const s = new BoundedKeySet(3)
  t.equal(s.add('a'), true)
  t.equal(s.add('b'), true)
  t.equal(s.add('c'), true)
  t.equal(s.add('a'), false, 'present: not new (and touched)')
  s.add('d')
  t.equal(s.size, 3)
  t.equal(s.has('b'), false, 'b was least recent')
  t.equal(s.has('a'), true)
  t.equal(s.has('c'), true)
  t.equal(s.has('d'), true)
  t.throws(() => new BoundedKeySet(0), RangeError)
})

t.test('backoff: equal jitter within [c/2, c], c doubling from minMs up to maxMs', async (t) => {
  const o = { minMs: 100, maxMs: 1000 }
  t.equal(backoffDelay(0, o, () => 0), 50)
  t.equal(backoffDelay(0, o, () => 0.999999), 100)
  t.equal(backoffDelay(2, o, () => 0), 200)
  t.equal(backoffDelay(3, o, () => 0.5), 600)
  t.equal(backoffDelay(10, o, () => 0), 500, 'capped at maxMs')
  t.equal(backoffDelay(10_000, o, () => 1), 1000, 'huge attempt counts do not overflow')
  t.same(DefaultBackoff, { minMs: 500, maxMs: 30_000 })
})

t.test('reconnect delay: the backoff grows once per round through the URL list, not per URL', async (t) => {
  const o = { minMs: 100, maxMs: 1000 }
  const low = () => 0
  t.same([0, 1, 2, 3, 4].map((a) => reconnectDelay(a, 1, o, low)), [0, 1, 2, 3, 4].map((a) => backoffDelay(a, o, low)), 'one URL: as backoffDelay')
  t.same([0, 1, 2, 3, 4, 5, 6].map((a) => reconnectDelay(a, 3, o, low)), [50, 50, 50, 100, 100, 100, 200], 'three URLs: each tried at the base delay first')
  t.equal(reconnectDelay(300, 3, o, () => 0.999999), 1000, 'capped at maxMs')
  t.equal(reconnectDelay(2, 0, o, low), backoffDelay(2, o, low), 'no URL count: as one')
})

t.test('close codes: 4001-4003 kicked, other 40xx ended, everything else transient', async (t) => {
  t.equal(classifyClose(CloseCodes.KICKED_OTHER_LOGIN), 'kicked')
  t.equal(classifyClose(CloseCodes.KICKED_BY_ADMIN), 'kicked')
  t.equal(classifyClose(CloseCodes.LOGIN_FAILED), 'kicked')
  t.equal(classifyClose(CloseCodes.LOGGED_OUT), 'ended')
  t.equal(classifyClose(CloseCodes.PROTOCOL_VIOLATION), 'ended')
  t.equal(classifyClose(4099), 'ended')
  t.equal(classifyClose(4000), 'ended')
  for (const c of [CloseCodes.SLOW_CONSUMER, CloseCodes.SHUTTING_DOWN, CloseCodes.LOGIN_TIMEOUT, 1000, 1001, 1006, 1009, 1011, 1012, 4199, 4200]) {
    t.equal(classifyClose(c), 'transient', String(c))
  }
})

t.test('errors carry code, retryable flag and close code', async (t) => {
  const e = new ParleyClientError(ClientErrorCodes.REQUEST_TIMEOUT, 'x')
  t.equal(e.retryable, true)
  t.equal(e.name, 'ParleyClientError')
  t.ok(e instanceof Error)
  t.equal(new ParleyClientError(70001, 'expired').retryable, false)
  t.equal(new ParleyClientError(ClientErrorCodes.SESSION_ENDED, 'k', { closeCode: 4001 }).closeCode, 4001)
  t.equal(isRetryableCode(9006), true)
  t.equal(isRetryableCode(20005), true)
  t.equal(isRetryableCode(90002), false)
})

t.test('client-only codes stay in 95xx, apart from the server catalogue', async (t) => {
  const { ErrorCatalogue } = await import('../../src/core/errors.js')
  const serverCodes = new Set<number>(Object.values(ErrorCatalogue).map((e) => e.code))
  for (const [name, code] of Object.entries(ClientErrorCodes)) {
    if (name === 'FRAME_TOO_LARGE') t.equal(code, ErrorCatalogue.FRAME_TOO_LARGE.code, 'same meaning, same code')
    else t.notOk(serverCodes.has(code), `${name} ${code} is not a server code`)
  }
  for (const e of Object.values(ErrorCatalogue)) t.equal(isRetryableCode(e.code), e.retryable, `retryable flag of ${e.code} agrees`)
})

t.test('Emitter: typed on/once/off; a throwing listener does not stop the others', async (t) => {
  const thrown: unknown[] = []
  const em = new Emitter<{ a: number; b: string }>((err) => thrown.push(err))
  const got: string[] = []
  const off = em.on('a', (n) => got.push(`1:${n}`))
  em.on('a', () => { throw new Error('boom') })
  em.on('a', (n) => got.push(`3:${n}`))
  em.once('b', (s) => got.push(`once:${s}`))
  em.emit('a', 1)
  em.emit('b', 'x')
  em.emit('b', 'y')
  off()
  em.emit('a', 2)
  t.same(got, ['1:1', '3:1', 'once:x', '3:2'])
  t.equal(thrown.length, 2)
  t.equal(em.listenerCount('b'), 0)
})

t.test('surfaceOf maps inbox events to emitter events with the peer split out', async (t) => {
  const m = surfaceOf(msgEv(3))
  t.same(m, { name: 'message', payload: { conv: 'c2c:bob', peer: 'bob', inboxSeq: 3, message: msgEv(3).msg, onlineOnly: false } })
  const flash = surfaceOf({ ...msgEv(0), expireAt: 99 })
  t.match(flash, { name: 'message', payload: { onlineOnly: true, inboxSeq: 0, expireAt: 99 } })
  t.same(surfaceOf({ type: 'recall', seq: 4, conv: 'c2c:bob', msgKey: 'k', convSeq: 2 }),
    { name: 'recall', payload: { conv: 'c2c:bob', peer: 'bob', inboxSeq: 4, msgKey: 'k', convSeq: 2 } })
  t.same(surfaceOf({ type: 'read', seq: 5, conv: 'c2c:bob', readSeq: 2 }),
    { name: 'read', payload: { conv: 'c2c:bob', peer: 'bob', inboxSeq: 5, readSeq: 2 } })
  t.same(surfaceOf({ type: 'peerRead', seq: 6, conv: 'c2c:bob', upToTime: 10 }),
    { name: 'peerRead', payload: { conv: 'c2c:bob', peer: 'bob', inboxSeq: 6, upToTime: 10 } })
  t.same(surfaceOf({ type: 'conv', seq: 7, conv: 'c2c:bob', deleted: true }),
    { name: 'conversation', payload: { conv: 'c2c:bob', peer: 'bob', inboxSeq: 7, deleted: true } })
  t.equal(surfaceOf({ type: 'future', seq: 8, conv: 'c2c:bob' } as never), undefined, 'unknown types are skipped')
  t.same(surfaceOf(shardMsg(9, 4)), { name: 'message', payload: { conv: 'c2c:bob', peer: 'bob', inboxSeq: 4, message: shardMsg(9, 4).msg, onlineOnly: false } },
    'a sharded event: inboxSeq is its seq in the shard\'s stream')
})

t.test('the SDK imports only itself and msgpackr at run time (browser-safe: no server or Node modules)', async (t) => {
  const { readdirSync, readFileSync } = await import('node:fs')
  const dir = new URL('../../src/client/', import.meta.url)
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'))
  t.ok(files.length > 5)
  const statement = /^(?:import|export)\s+(type\s+)?(?:[^;'"]*?\sfrom\s+)?'([^']+)'/gm
  for (const f of files) {
    const src = readFileSync(new URL(f, dir), 'utf8')
    for (const m of src.matchAll(statement)) {
      const [, typeOnly, spec] = m
      if (typeOnly) continue
      t.ok(spec.startsWith('./') || spec === 'msgpackr', `${f}: ${spec}`)
    }
  }
})
