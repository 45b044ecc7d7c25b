/**
 * The AccountStore conformance suite: every implementation runs it through its own
 * `*.test.ts` with a factory that gives each subtest a fresh, empty store.
 */
import type { Test } from 'tap'
import { type ConformanceCase, runConformance, type StoreFactory } from './conformance.js'
import type { AccountRecord, AccountStore } from '../../src/store/AccountStore.js'

export type AccountStoreFactory = StoreFactory<AccountStore>

const APP = 1400000001
const OTHER_APP = 1400000002

export function accountStoreConformance(t: Test, name: string, factory: AccountStoreFactory): void {
  const cases: [string, ConformanceCase<AccountStore>][] = [
    ['put, get, replace, delete', crud],
    ['apps are isolated', isolation],
    ['persistence: records survive close and reopen', persistence],
  ]
  runConformance(t, name, factory, cases)
}

async function crud(t: Test, store: AccountStore): Promise<void> {
  t.equal(await store.get(APP, 'alice'), undefined, 'absent before put')
  const rec = account('alice', { nick: 'Alice', faceUrl: 'https://example.com/a.png' })
  await store.put(APP, rec)
  t.same(await store.get(APP, 'alice'), rec)

  const kicked: AccountRecord = { ...rec, nick: 'Alicia', kickedAt: 1700000500 }
  await store.put(APP, kicked)
  t.same(await store.get(APP, 'alice'), kicked, 'put replaces')

  await store.put(APP, account('al'))
  t.equal(await store.delete(APP, 'alice'), true, 'delete of an existing record resolves true')
  t.equal(await store.get(APP, 'alice'), undefined, 'gone after delete')
  t.equal(await store.delete(APP, 'alice'), false, 'delete of a missing record resolves false')
  t.same(await store.get(APP, 'al'), account('al'), 'a user id that prefixes another is untouched')
}

async function isolation(t: Test, store: AccountStore): Promise<void> {
  const one = account('alice', { nick: 'in app one' })
  const two = account('alice', { nick: 'in app two', kickedAt: 5 })
  await store.put(APP, one)
  await store.put(OTHER_APP, two)
  t.same(await store.get(APP, 'alice'), one)
  t.same(await store.get(OTHER_APP, 'alice'), two)
  t.equal(await store.get(1, 'alice'), undefined, 'unknown app')
  t.equal(await store.delete(OTHER_APP, 'alice'), true)
  t.same(await store.get(APP, 'alice'), one, 'delete in one app leaves the other')
  t.equal(await store.delete(OTHER_APP, 'alice'), false)
}

async function persistence(t: Test, store: AccountStore, reopen: () => Promise<AccountStore>): Promise<void> {
  const rec = account('alice', { nick: 'Alice', kickedAt: 1700000100 })
  await store.put(APP, rec)
  await store.put(APP, account('bob'))
  t.equal(await store.delete(APP, 'bob'), true)
  const again = await reopen()
  t.same(await again.get(APP, 'alice'), rec)
  t.equal(await again.get(APP, 'bob'), undefined, 'a delete is durable too')
}

function account(userId: string, extra: Partial<AccountRecord> = {}): AccountRecord {
  return { userId, createdAt: 1700000000, kickedAt: 0, ...extra }
}
