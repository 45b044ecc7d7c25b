/** Unit tests of the REST body reader and the bounded-concurrency map (no server). */
import t from 'tap'
import { mapLimit } from '../../src/core/mapLimit.js'
import { BodyReader } from '../../src/edge/rest/fields.js'

const reader = (body: Record<string, unknown>) => new BodyReader(body, 'INVALID_PARAMS')

t.test('spellings: the first present name wins; null reads as absent', async (t) => {
  t.equal(reader({ UserID: 'new', Identifier: 'old' }).userId(['UserID', 'Identifier']), 'new')
  t.equal(reader({ UserID: null, Identifier: 'old' }).userId(['UserID', 'Identifier']), 'old')
  t.equal(reader({ Nick: null }).optString('Nick'), undefined)
})

t.test('failures carry the reader\'s code or the call\'s, and name the field', async (t) => {
  t.throws(() => reader({}).userId('UserID'), { code: 70402, message: /UserID: required/ })
  t.throws(() => reader({ MsgRandom: 1.5 }).u32('MsgRandom', 'BAD_MSG_RANDOM'), { code: 90005, message: /MsgRandom/ })
  t.throws(() => reader({ N: '1' }).uint('N'), { code: 70402 })
  t.throws(() => reader({ F: true }).flag('F'), { code: 70402, message: /one of 0, 1/ })
  t.throws(() => reader({ S: 'ééé' }).string('S', { maxBytes: 5 }), { message: /longer than 5 bytes/ })
  t.throws(() => reader({ A: [1, 2, 3] }).array('A', { min: 1, max: 2, sizeCode: 'BATCH_TOO_LARGE' }), { code: 70206 })
  t.throws(() => reader({ A: ['x', 2] }).strings('A', { min: 1, max: 5 }), { code: 70402, message: /A\[1\]: must be a string/ })
  t.throws(() => reader({ Items: [{ UserID: 5 }] }).items('Items', { min: 1, max: 5 })[0].string('UserID'),
    { message: /Items\[0\]\.UserID: must be a string/ })
  t.throws(() => reader({ Items: ['x'] }).items('Items', { min: 1, max: 5 }), { message: /Items\[0\]: must be a map/ })
})

t.test('numbers', async (t) => {
  const r = reader({ a: 0, b: 0xffffffff, c: 2 ** 32, d: -1, e: 2 })
  t.equal(r.u32('a'), 0)
  t.equal(r.u32('b'), 0xffffffff)
  t.throws(() => r.u32('c'))
  t.throws(() => r.uint('d'))
  t.equal(r.optOneOf('e', [1, 2] as const), 2)
  t.equal(r.flag('missing'), false)
})

t.test('mapLimit keeps order and never exceeds the limit', async (t) => {
  let inFlight = 0
  let peak = 0
  const out = await mapLimit(Array.from({ length: 50 }, (_, i) => i), 4, async (x) => {
    inFlight++
    peak = Math.max(peak, inFlight)
    await new Promise((resolve) => setImmediate(resolve))
    inFlight--
    return x * 2
  })
  t.same(out, Array.from({ length: 50 }, (_, i) => i * 2))
  t.equal(peak, 4)
  t.same(await mapLimit([], 4, async (x) => x), [])
})
