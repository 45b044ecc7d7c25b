/**
 * The schema kit's one policy for every input (src/core/schema.ts), on small schemas: unknown
 * keys dropped (refused where strict), null as absent (a wrong type where strict), aliases,
 * defaults, the first failing field in declaration order with its code, and inputs that must
 * never slip through: `__proto__` keys, objects that are not plain maps.
 */
import t from 'tap'
import { ParleyError } from '../../src/core/errors.js'
import { CustomKeyPattern } from '../../src/core/limits.js'
import { F, inputParser } from '../../src/core/schema.js'

function refusal(fn: () => unknown): { code: number; detail?: string } {
  try {
    fn()
  } catch (e) {
    if (e instanceof ParleyError) return { code: e.code, detail: e.detail }
    throw e
  }
  throw new Error('not refused')
}

const Loose = F.object({
  a: F.u32({ aliases: ['A'] }),
  b: F.opt(F.string({ maxBytes: 3 })),
  list: F.opt(F.array(F.string(), { max: 2, sizeCode: 'BATCH_TOO_LARGE' })),
  map: F.opt(F.record(CustomKeyPattern, F.string(), { keyWhy: 'bad key' })),
  n: F.uint({ default: 7 }),
})
const parseLoose = inputParser(Loose, { code: 'INVALID_PARAMS' })

t.test('a loose object: unknown keys dropped, null absent, aliases, defaults', async (t) => {
  t.strictSame(parseLoose({ A: 1, b: null, extra: true }), { a: 1, n: 7 })
  t.strictSame(parseLoose({ a: 2, A: 3, n: 0 }), { a: 2, n: 0 }, 'the own name wins over an alias')
  const input = { a: 1, list: ['x'], map: { k: 'v' } }
  const out = parseLoose(input)
  t.not(out.list, input.list, 'a fresh array')
  t.not(out.map, input.map, 'a fresh map')
})

t.test('the first failing field in declaration order, with its code and path', async (t) => {
  t.match(refusal(() => parseLoose({ b: 'toolong' })), { code: 70402, detail: 'a: required' }, 'a comes first')
  t.match(refusal(() => parseLoose({ a: 1, b: 'toolong' })), { code: 70402, detail: 'b: longer than 3 bytes' })
  t.match(refusal(() => parseLoose({ a: 1, list: ['x', 'y', 'z'] })), { code: 70206, detail: 'list: must hold 0..2 entries' }, 'sizeCode')
  t.match(refusal(() => parseLoose({ a: 1, list: ['x', 5] })), { code: 70402, detail: 'list[1]: must be a string' })
  t.match(refusal(() => parseLoose({ a: 1, map: { '12': 5 } })), { code: 70402, detail: 'map.12: must be a string' }, 'a map key of digits is a key, not an index')
  t.match(refusal(() => parseLoose('nope')), { code: 70402, detail: 'body: must be a map' })
})

t.test('__proto__ keys are checked like any key, never set a prototype', async (t) => {
  const fromJson = JSON.parse('{"a":1,"map":{"__proto__":"x"}}') as unknown
  t.match(refusal(() => parseLoose(fromJson)), { detail: 'map.__proto__: bad key' }, 'a record refuses the key')
  const strict = inputParser(F.object({ x: F.opt(F.bool()) }, { additionalProperties: false }), { code: 'INVALID_PARAMS', rootName: 'app' })
  const sneaky = JSON.parse('{"__proto__":{"x":true}}') as unknown
  t.match(refusal(() => strict(sneaky)), { detail: '__proto__: unknown key' }, 'a strict object refuses it as unknown')
  t.equal(({} as { x?: boolean }).x, undefined, 'no prototype was touched')
})

t.test('a strict object: unknown keys and nulls refused', async (t) => {
  const strict = inputParser(F.object({ x: F.opt(F.array(F.string())) }, { additionalProperties: false }), { code: 'INVALID_PARAMS', rootName: 'config' })
  t.strictSame(strict({ x: ['a'] }), { x: ['a'] })
  t.match(refusal(() => strict({ y: 1 })), { detail: 'y: unknown key' })
  t.match(refusal(() => strict({ x: null })), { detail: 'x: must be an array' }, 'null is not absent here')
})

t.test('an object that is not a plain map is refused where a map is expected', async (t) => {
  t.match(refusal(() => parseLoose({ a: 1, map: new Date(0) })), { detail: 'map: must be a map' })
  t.match(refusal(() => parseLoose({ a: 1, map: new Uint8Array(2) })), { detail: 'map: must be a map' })
  const optional = inputParser(F.object({ inner: F.opt(F.object({ k: F.opt(F.string()) })) }), { code: 'INVALID_PARAMS' })
  t.match(refusal(() => optional({ inner: new Map() })), { detail: 'inner: must be a map' }, 'even when every field of it is optional')
})
