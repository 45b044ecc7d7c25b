/**
 * The LMDB store's value encodings (src/store/lmdb/records.ts): each must be plain msgpack
 * that the protocol codec decodes to the value it stands for.
 */
import t from 'tap'
import { decode, encode } from '../../src/core/codec.js'
import { encodeWith } from '../../src/protocol/splice.js'
import { encodeUint } from '../../src/store/lmdb/records.js'

t.test('encodeUint: every msgpack width, up to the largest safe integer', async (t) => {
  const edges = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]
  for (const n of edges) t.equal(decode(encodeUint(n)), n, String(n))
  t.same([...encodeUint(127)], [0x7f], 'a positive fixint is one byte')
  t.same([...encodeUint(300)], [0xcd, 0x01, 0x2c], 'uint16, big-endian')
})

t.test('encodeWith splices already-encoded bytes in as one more field', async (t) => {
  const inner = { a: 1, b: 'two', c: [3] }
  const record = { seq: 9, conv: 'c2c:bob', msg: { stale: true } }
  t.same(decode(encodeWith(record, 'msg', encode(inner))), { seq: 9, conv: 'c2c:bob', msg: inner }, 'the given bytes win over the record\'s own field')
  t.same(decode(encodeWith(record, 'msg', undefined)), { seq: 9, conv: 'c2c:bob' }, 'undefined leaves the field out')
  const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]))
  t.same(decode(encodeWith(wide, 'lastMsg', encode(inner))), { ...wide, lastMsg: inner }, 'a map of 16 or more fields (map16 header)')
  t.same(decode(encodeWith({ x: 1 }, 'lastMsg', encode(inner))), { x: 1, lastMsg: inner }, 'the same field name again (cached)')
})
