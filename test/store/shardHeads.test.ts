/**
 * The epoch bookkeeping of the Cassandra shard fence (src/store/cassandra/shardHeads.ts), as
 * pure functions: which epoch owns an LSN, and which epochs a claim keeps in the head.
 */
import t from 'tap'
import { type EpochStart, ownerOf, withEpoch } from '../../src/store/cassandra/shardHeads.js'

t.test('ownerOf: the highest epoch whose first LSN is at or below the LSN', async (t) => {
  const epochs: EpochStart[] = [[1, 1], [3, 11], [4, 11], [6, 40]]
  t.equal(ownerOf(epochs, 1), 1)
  t.equal(ownerOf(epochs, 10), 1)
  t.equal(ownerOf(epochs, 11), 4, 'epoch 3 claimed and appended nothing before epoch 4: it owns nothing')
  t.equal(ownerOf(epochs, 39), 4)
  t.equal(ownerOf(epochs, 40), 6)
  t.equal(ownerOf(epochs, 1e9), 6, 'the last epoch is open-ended')
  t.equal(ownerOf([[5, 100]], 99), undefined, 'below every live epoch (trimmed): no owner')
  t.equal(ownerOf([], 1), undefined)
})

t.test('withEpoch: drops epochs that own nothing above the trim point, keeps the rest, adds the new one', async (t) => {
  const epochs: EpochStart[] = [[1, 1], [2, 11], [3, 21], [4, 21]]
  t.strictSame(withEpoch(epochs, 0, [5, 31]), [[1, 1], [2, 11], [4, 21], [5, 31]], 'epoch 3 owned no LSN')
  t.strictSame(withEpoch(epochs, 10, [5, 31]), [[2, 11], [4, 21], [5, 31]], 'epoch 1 owned only LSNs 1-10, trimmed')
  t.strictSame(withEpoch(epochs, 19, [5, 31]), [[2, 11], [4, 21], [5, 31]], 'epoch 2 still owns LSN 20')
  t.strictSame(withEpoch(epochs, 20, [5, 31]), [[4, 21], [5, 31]])
  t.strictSame(withEpoch(epochs, 30, [5, 31]), [[5, 31]], 'everything below the new epoch was trimmed')
  t.strictSame(withEpoch([[1, 1]], 0, [2, 1]), [[2, 1]], 'a claim with nothing appended since replaces the last epoch')
  t.strictSame(withEpoch([], 0, [1, 1]), [[1, 1]])
})
