/** The GroupStore conformance suite against the embedded LMDB store. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { LmdbGroupStore } from '../../src/store/lmdb/LmdbGroupStore.js'
import { openLmdb } from '../../src/store/lmdb/openLmdb.js'
import { groupRecord, groupStoreConformance } from './groupStoreConformance.js'

groupStoreConformance(t, 'lmdb', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-lmdb-group-'))
  return {
    store: new LmdbGroupStore(openLmdb(dir)),
    reopen: async () => new LmdbGroupStore(openLmdb(dir)),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
})

t.test('lmdb: a GroupId with a NUL character is refused with INVALID_PARAMS', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-lmdb-group-'))
  const store = new LmdbGroupStore(openLmdb(dir))
  t.teardown(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  await t.rejects(store.commit({ app: 1, groupId: 'a\0b' }, { group: groupRecord('a\0b') }), { code: 70402 })
})
