import t from 'tap'
import { parseShardCursor, ShardCursorPersistence } from '../../src/client/cursor.js'
import { ClientErrorCodes, ParleyClientError } from '../../src/client/errors.js'
import { ShardedInbox } from '../../src/client/ShardedInbox.js'
import type { CursorStore, StoredShardCursor } from '../../src/client/types.js'
import { ME, shardMsg } from './fixtures/events.js'

/** An app's cursor store in memory: what it holds, and every record saved. */
function memoryStore(initial?: StoredShardCursor | number): CursorStore & { saves: StoredShardCursor[] } {
  let held = initial
  const saves: StoredShardCursor[] = []
  return {
    saves,
    load: async () => held,
    save: (c) => {
      saves.push(c)
      held = c
    },
  }
}

function collect(): { errors: ParleyClientError[]; onError: (e: ParleyClientError) => void } {
  const errors: ParleyClientError[] = []
  return { errors, onError: (e) => errors.push(e) }
}

t.test('a version-2 cursor round trips through the store and a ShardedInbox', async (t) => {
  const store = memoryStore({ v: 2, shards: { 3: 8, 40: 2 } })
  const { errors, onError } = collect()
  const p = new ShardCursorPersistence(store, onError)
  t.equal(p.loaded, false)
  const c = await p.load()
  t.same(c, { 3: 8, 40: 2 })
  t.equal(p.loaded, true)
  const inbox = new ShardedInbox({ userId: ME })
  inbox.restore(c!)
  p.saveIfMoved(inbox.cursor())
  t.same(store.saves, [], 'unchanged since load: not saved')
  inbox.login([3, 40])
  inbox.beginSync(3)
  inbox.syncPage(3, { events: [shardMsg(3, 9)], upTo: 9, more: false })
  p.saveIfMoved(inbox.cursor())
  p.saveIfMoved(inbox.cursor())
  t.same(store.saves, [{ v: 2, shards: { 3: 9, 40: 2 } }], 'saved once when it moved')
  const again = new ShardCursorPersistence(store, onError)
  t.same(await again.load(), { 3: 9, 40: 2 }, 'a restarted app loads what was saved')
  t.same(errors, [])
})

t.test('a version-1 number is no cursor for the sharded wire, reported as CURSOR_RESET', async (t) => {
  const store = memoryStore(57)
  const { errors, onError } = collect()
  const p = new ShardCursorPersistence(store, onError)
  t.equal(await p.load(), undefined)
  t.equal(errors.length, 1)
  t.equal(errors[0].code, ClientErrorCodes.CURSOR_RESET)
  t.match(errors[0].message, /57/)
  p.saveIfMoved({ 5: 1 })
  t.same(store.saves, [{ v: 2, shards: { 5: 1 } }], 'the first save replaces it with a version-2 record')
  const emptied = memoryStore(57)
  const q = new ShardCursorPersistence(emptied, () => {})
  await q.load()
  q.saveIfMoved({})
  q.saveIfMoved({})
  t.same(emptied.saves, [{ v: 2, shards: {} }], 'replaced once even by an empty cursor (nothing on the server)')
  const zero = collect()
  t.equal(await new ShardCursorPersistence(memoryStore(0), zero.onError).load(), undefined)
  t.same(zero.errors, [], 'a stored 0 lost nothing: not reported')
})

t.test('no store, or nothing stored: no cursor; saves are no-ops without a store', async (t) => {
  const { errors, onError } = collect()
  const none = new ShardCursorPersistence(undefined, onError)
  t.equal(await none.load(), undefined)
  none.saveIfMoved({ 1: 1 })
  const empty = memoryStore()
  const p = new ShardCursorPersistence(empty, onError)
  t.equal(await p.load(), undefined)
  p.saveIfMoved({})
  t.same(empty.saves, [], 'an empty cursor equals nothing stored')
  p.saveIfMoved({ 2: 0 })
  t.same(empty.saves, [], 'shards at 0 are left out')
  t.same(errors, [])
})

t.test('a malformed stored cursor fails load with CURSOR_STORE_FAILED', async (t) => {
  const bad: unknown[] = ['12', null, { v: 3, shards: {} }, { v: 2 }, { v: 2, shards: [1] }, { v: 2, shards: { x: 1 } },
    { v: 2, shards: { '01': 1 } }, { v: 2, shards: { 1: -1 } }, { v: 2, shards: { 1: 2.5 } }, { v: 2, shards: { 1: '3' } }]
  for (const raw of bad) {
    const p = new ShardCursorPersistence({ load: () => raw as number, save: () => {} }, () => {})
    await t.rejects(p.load(), { code: ClientErrorCodes.CURSOR_STORE_FAILED }, JSON.stringify(raw))
    t.equal(p.loaded, false)
  }
  t.equal(parseShardCursor(undefined), undefined)
  t.equal(parseShardCursor(-4), 'legacy', 'any number is version 1')
})

t.test('a failing store: load rejects coded, save failures go to onError', async (t) => {
  const cause = new Error('disk gone')
  const p = new ShardCursorPersistence({ load: () => { throw cause }, save: () => {} }, () => {})
  await t.rejects(p.load(), { code: ClientErrorCodes.CURSOR_STORE_FAILED, cause })
  const { errors, onError } = collect()
  const throwing = new ShardCursorPersistence({ load: () => undefined, save: () => { throw cause } }, onError)
  throwing.saveIfMoved({ 1: 1 })
  t.equal(errors[0]?.code, ClientErrorCodes.CURSOR_STORE_FAILED)
  const rejected = new Promise<ParleyClientError>((resolve) => {
    new ShardCursorPersistence({ load: () => undefined, save: () => Promise.reject(cause) }, resolve).saveIfMoved({ 1: 1 })
  })
  const e = await rejected
  t.equal(e.code, ClientErrorCodes.CURSOR_STORE_FAILED)
  t.equal(e.cause, cause)
})
