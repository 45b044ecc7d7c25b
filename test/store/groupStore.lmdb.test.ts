/** The GroupStore conformance suite against the embedded LMDB store. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { LmdbGroupStore } from '../../src/store/lmdb/LmdbGroupStore.js'
import { openLmdb } from '../../src/store/lmdb/openLmdb.js'
import type { GroupRecord } from '../../src/model/group.js'
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

t.test('lmdb: groups stored before the app listing existed are listed once the store opens', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-lmdb-group-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  // What an earlier build left: group records, no `grp.byApp` rows, no `grp.meta`.
  const old = openLmdb(dir)
  await old.db<GroupRecord>('grp.groups').put([7, 'old-a'], groupRecord('old-a', { type: 'Private' }))
  await old.db<GroupRecord>('grp.groups').put([7, 'old-b'], groupRecord('old-b', { type: 'Community' }))
  await old.db<GroupRecord>('grp.groups').put([8, 'old-c'], groupRecord('old-c'))
  await old.close()

  let store = new LmdbGroupStore(openLmdb(dir))
  const ids = async (app: number) => (await store.listGroups(app, { fromKey: 0, limit: 10 })).groups.map((g) => `${g.groupId}:${g.type}`).sort()
  t.same(await ids(7), ['old-a:Private', 'old-b:Community'], 'backfilled with their types')
  t.same(await ids(8), ['old-c:Public'])
  await store.commit({ app: 7, groupId: 'old-a' }, { destroy: true })
  await store.close()
  store = new LmdbGroupStore(openLmdb(dir))
  t.teardown(() => store.close())
  t.same(await ids(7), ['old-b:Community'], 'after the backfill, commits keep the listing as usual (reopened)')
})
