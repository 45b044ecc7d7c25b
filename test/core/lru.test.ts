/** src/core/lru.ts: the bounded map behind the stores' head caches and the sessions' online-only memory. */
import t from 'tap'
import { Lru } from '../../src/core/lru.js'

t.test('a write beyond the capacity forgets the least recently used entry', async (t) => {
  const lru = new Lru<number>(2)
  lru.set('a', 1)
  lru.set('b', 2)
  t.equal(lru.get('a'), 1, 'reading a makes it the most recent')
  lru.set('c', 3)
  t.equal(lru.get('b'), undefined, 'b, the least recent, is forgotten')
  t.equal(lru.get('a'), 1)
  t.equal(lru.get('c'), 3)
  lru.set('a', 10)
  t.equal(lru.get('a'), 10, 'a write replaces the value')
  lru.delete('a')
  t.equal(lru.get('a'), undefined, 'delete removes it')
})
