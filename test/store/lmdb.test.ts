/**
 * The LMDB stores: the conformance suites (messages, accounts, profiles, friends), plus what
 * only the embedded store promises — several threads of one process sharing the environment,
 * and every acknowledged commit surviving `kill -9` of the process.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { Worker } from 'node:worker_threads'
import { open } from 'lmdb'
import t from 'tap'
import { LmdbAccountStore } from '../../src/store/lmdb/LmdbAccountStore.js'
import { LmdbFriendStore } from '../../src/store/lmdb/LmdbFriendStore.js'
import { LmdbMessageStore } from '../../src/store/lmdb/LmdbMessageStore.js'
import { LmdbProfileStore } from '../../src/store/lmdb/LmdbProfileStore.js'
import { type LmdbHandle, openLmdb } from '../../src/store/lmdb/openLmdb.js'
import { openLmdbStores } from '../../src/store/lmdb/openLmdbStores.js'
import { accountStoreConformance } from './accountStoreConformance.js'
import type { StoreFactory } from './conformance.js'
import { friendStoreConformance } from './friendStoreConformance.js'
import { killTestCommit, killTestConv, killTestMessage, killTestOwners } from './fixtures/killTestData.js'
import { messageStoreConformance, msgEvent } from './messageStoreConformance.js'
import { profileStoreConformance } from './profileStoreConformance.js'

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'parley-lmdb-'))
}

function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true })
}

/** Each case's store: `make` over a fresh environment in a temp dir (again over it on reopen). */
function lmdbFactory<S>(make: (lmdb: LmdbHandle) => S): StoreFactory<S> {
  return async () => {
    const dir = await tempDir()
    return { store: make(openLmdb(dir)), reopen: async () => make(openLmdb(dir)), cleanup: () => removeDir(dir) }
  }
}

messageStoreConformance(t, 'lmdb', lmdbFactory((h) => new LmdbMessageStore(h)))

accountStoreConformance(t, 'lmdb', lmdbFactory((h) => new LmdbAccountStore(h)))

profileStoreConformance(t, 'lmdb', lmdbFactory((h) => new LmdbProfileStore(h)))

friendStoreConformance(t, 'lmdb', lmdbFactory((h) => new LmdbFriendStore(h)))

t.test('lmdb: a key element with a NUL character is refused with INVALID_PARAMS', async (t) => {
  const dir = await tempDir()
  const stores = await openLmdbStores(dir)
  t.teardown(async () => {
    await stores.close()
    await removeDir(dir)
  })
  const owner = { app: 1400000001, user: 'x'.repeat(70) + '\0' }
  await t.rejects(stores.messages.commit(owner, { inbox: [msgEvent(1, killTestConv)] }), { code: 70402 })
  await t.rejects(stores.messages.lastInboxSeq(owner), { code: 70402 })
  await t.rejects(stores.accounts.put(1, { userId: 'a\0b', createdAt: 1, kickedAt: 0 }), { code: 70402 })
  t.equal(await stores.messages.lastInboxSeq({ app: 1400000001, user: 'x'.repeat(70) }), 0, 'nothing written')

  const alice = { app: 1400000001, user: 'alice' }
  const badConv = `c2c:${'y'.repeat(70)}\0`
  await t.rejects(stores.messages.commit(alice, {
    inbox: [msgEvent(1, killTestConv)],
    messages: [{ conv: killTestConv, msg: killTestMessage(1) }, { conv: badConv, msg: killTestMessage(2) }],
  }), { code: 70402 }, 'a bad key met halfway through a commit rejects it')
  t.equal(await stores.messages.lastInboxSeq(alice), 0, 'the inbox event before it was rolled back')
  t.equal(await stores.messages.getMessage(alice, killTestConv, 1), undefined, 'the message before it was rolled back')
})

t.test('lmdb: the message store and the account store share one environment', async (t) => {
  const dir = await tempDir()
  t.teardown(() => removeDir(dir))
  const owner = killTestOwners[0]!
  const first = await openLmdbStores(dir)
  await first.messages.commit(owner, killTestCommit(1))
  await first.accounts.put(owner.app, { userId: owner.user, createdAt: 1, kickedAt: 0 })
  await first.close()
  const second = await openLmdbStores(dir)
  t.teardown(() => second.close())
  t.equal(await second.messages.lastInboxSeq(owner), 1)
  t.same(await second.accounts.get(owner.app, owner.user), { userId: owner.user, createdAt: 1, kickedAt: 0 })
})

t.test('lmdb: the server refuses a data directory whose per-user inbox (msg2.*) holds messages; an empty one opens', async (t) => {
  const dir = await tempDir()
  t.teardown(() => removeDir(dir))
  const before = new LmdbMessageStore(openLmdb(dir))
  await before.commit({ app: 1, user: 'alice' }, killTestCommit(1))
  await before.close()
  await t.rejects(openLmdbStores(dir, { refusePerUserInbox: true }), /per-user inbox layout \(msg2\.\*\) of an earlier build/)
  const stores = await openLmdbStores(dir)
  t.equal(await stores.messages.lastInboxSeq({ app: 1, user: 'alice' }), 1, 'without the check the data is still there (nothing was changed)')
  await stores.close()
  const fresh = await tempDir()
  t.teardown(() => removeDir(fresh))
  const s2 = await openLmdbStores(fresh, { refusePerUserInbox: true })
  await s2.close()
  const again = await openLmdbStores(fresh, { refusePerUserInbox: true })
  t.ok(again, 'a data directory this build wrote opens again')
  await again.close()
})

t.test('lmdb: a data directory in the first layout (msg.*) is refused, not served empty', async (t) => {
  const dir = await tempDir()
  t.teardown(() => removeDir(dir))
  const old = open({ path: join(dir, 'lmdb'), maxDbs: 64 })
  await old.openDB('msg.inbox', {}).put([1, 'alice', 1], { seq: 1 })
  await old.close()
  t.throws(() => openLmdb(dir), /holds messages in an older layout \(msg\.inbox\) that this build does not read/)
  const fresh = await tempDir()
  t.teardown(() => removeDir(fresh))
  const h = openLmdb(fresh)
  t.teardown(() => h.close())
  t.ok(h, 'a fresh directory opens')
})

t.test('lmdb: worker threads of one process open and write the environment concurrently', async (t) => {
  const dir = await tempDir()
  t.teardown(() => removeDir(dir))
  const count = 50
  const users = ['w0', 'w1', 'w2']
  const main = new LmdbMessageStore(openLmdb(dir))
  t.teardown(() => main.close())
  const workers = users.map((user) => new Worker(fixture('lmdbWorker.ts'), { workerData: { dataDir: dir, user, count } }))
  const done = workers.map((w) => new Promise<void>((resolve, reject) => {
    let reported = false
    w.on('message', (m) => { reported = m === 'done' })
    w.on('error', reject)
    w.on('exit', (code) => (reported && code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))))
  }))
  const mainOwner = { app: 1400000001, user: 'main' }
  for (let seq = 1; seq <= count; seq++) await main.commit(mainOwner, killTestCommit(seq))
  await Promise.all(done)
  for (const user of [...users, 'main']) {
    const owner = { app: 1400000001, user }
    t.equal(await main.lastInboxSeq(owner), count, `${user}: every commit visible to the main thread`)
    t.equal((await main.readInbox(owner, 0, count * 2)).length, count)
  }
})

/** Runs the child until `killAfter` acknowledgements, kills it with SIGKILL, returns every ack it printed. */
async function commitUntilKilled(dataDir: string, killAfter: number): Promise<Map<string, number[]>> {
  const child = spawn(process.execPath, [...process.execArgv, fixture('commitUntilKilled.ts'), dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)))
  const acks = new Map<string, number[]>()
  let total = 0
  for await (const line of createInterface({ input: child.stdout })) {
    const [user, seq] = line.split(' ')
    if (!user || !seq) throw new Error(`unexpected child output: ${line}`)
    acks.set(user, [...(acks.get(user) ?? []), Number(seq)])
    if (++total === killAfter) child.kill('SIGKILL')
  }
  const signal = await exited
  if (signal !== 'SIGKILL') throw new Error(`child ended by itself (signal ${signal}) after ${total} acks`)
  return acks
}

t.test('lmdb: every acknowledged commit survives kill -9, with no gap and no duplicate', async (t) => {
  const dir = await tempDir()
  t.teardown(() => removeDir(dir))
  const acked = new Map<string, number[]>()
  for (const round of [1, 2]) {
    const acks = await commitUntilKilled(dir, 60)
    t.ok(acks.size > 0, `round ${round}: the child acknowledged commits before it was killed`)
    for (const [user, seqs] of acks) acked.set(user, [...(acked.get(user) ?? []), ...seqs])
  }
  const store = new LmdbMessageStore(openLmdb(dir))
  t.teardown(() => store.close())
  for (const owner of killTestOwners) {
    const last = await store.lastInboxSeq(owner)
    const stored = (await store.readInbox(owner, 0, last + 100)).map((e) => e.seq)
    t.same(stored, Array.from({ length: last }, (_, i) => i + 1), `${owner.user}: seqs 1..${last}, no gap or duplicate`)
    const mine = acked.get(owner.user) ?? []
    t.ok(mine.every((seq) => seq <= last), `${owner.user}: all ${mine.length} acknowledged seqs are stored`)
    const missing: number[] = []
    for (let seq = 1; seq <= last; seq++) {
      if (!isDeepStrictEqual(await store.getMessage(owner, killTestConv, seq), killTestMessage(seq))) missing.push(seq)
    }
    t.same(missing, [], `${owner.user}: every stored event has its message`)
  }
})
