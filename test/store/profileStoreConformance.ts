/**
 * The ProfileStore conformance suite: every implementation runs it through its own
 * `*.test.ts` with a factory that gives each subtest a fresh, empty store.
 */
import type { Test } from 'tap'
import { type ConformanceCase, runConformance, type StoreFactory } from './conformance.js'
import type { ProfileStore } from '../../src/store/ProfileStore.js'

export type ProfileStoreFactory = StoreFactory<ProfileStore>

const APP = 1400000001
const OTHER_APP = 1400000002

export function profileStoreConformance(t: Test, name: string, factory: ProfileStoreFactory): void {
  const cases: [string, ConformanceCase<ProfileStore>][] = [
    ['update merges tags, removes named ones, get returns them all', merge],
    ['getMany returns the users that have a profile', many],
    ['users and apps are isolated; delete removes one user\'s tags only', isolation],
    ['persistence: tags and removals survive close and reopen', persistence],
  ]
  runConformance(t, `${name}: profiles`, factory, cases)
}

async function merge(t: Test, store: ProfileStore): Promise<void> {
  t.equal(await store.get(APP, 'alice'), undefined, 'no profile before any update')
  await store.update(APP, 'alice', { Tag_Profile_IM_Nick: 'Alice', Tag_Profile_IM_BirthDay: 19800101 })
  t.strictSame(await store.get(APP, 'alice'), { Tag_Profile_IM_Nick: 'Alice', Tag_Profile_IM_BirthDay: 19800101 })

  await store.update(APP, 'alice', { Tag_Profile_IM_Gender: 'Gender_Type_Female', Tag_Profile_IM_Nick: 'Alicia' })
  t.strictSame(await store.get(APP, 'alice'), {
    Tag_Profile_IM_Nick: 'Alicia', Tag_Profile_IM_BirthDay: 19800101, Tag_Profile_IM_Gender: 'Gender_Type_Female',
  }, 'an update replaces the tags it names and keeps the others')

  await store.update(APP, 'alice', { Tag_Profile_Custom_Hobby: '登山 ⛰' }, ['Tag_Profile_IM_BirthDay', 'Tag_Profile_IM_Level'])
  t.strictSame(await store.get(APP, 'alice'), {
    Tag_Profile_IM_Nick: 'Alicia', Tag_Profile_IM_Gender: 'Gender_Type_Female', Tag_Profile_Custom_Hobby: '登山 ⛰',
  }, 'removing a tag that exists drops it; removing one that does not is no error')

  await store.update(APP, 'alice', { Tag_Profile_IM_Nick: 'Al' }, ['Tag_Profile_IM_Nick'])
  t.equal((await store.get(APP, 'alice'))?.['Tag_Profile_IM_Nick'], 'Al', 'a tag both set and removed is set')

  await store.update(APP, 'alice', {})
  t.equal(Object.keys((await store.get(APP, 'alice')) ?? {}).length, 3, 'an empty update changes nothing')

  await store.update(APP, 'alice', {}, ['Tag_Profile_IM_Nick', 'Tag_Profile_IM_Gender', 'Tag_Profile_Custom_Hobby'])
  t.equal(await store.get(APP, 'alice'), undefined, 'with every tag removed there is no profile')
}

async function many(t: Test, store: ProfileStore): Promise<void> {
  await store.update(APP, 'a', { Tag_Profile_IM_Nick: 'A' })
  await store.update(APP, 'c', { Tag_Profile_IM_Nick: 'C', Tag_Profile_IM_Level: 3 })
  const got = await store.getMany(APP, ['c', 'b', 'a', 'c'])
  t.strictSame([...got.keys()].sort(), ['a', 'c'], 'users without tags are absent; a repeated id once')
  t.strictSame(got.get('c'), { Tag_Profile_IM_Nick: 'C', Tag_Profile_IM_Level: 3 })
  t.strictSame(await store.getMany(APP, []), new Map())
}

async function isolation(t: Test, store: ProfileStore): Promise<void> {
  await store.update(APP, 'al', { Tag_Profile_IM_Nick: 'short' })
  await store.update(APP, 'alice', { Tag_Profile_IM_Nick: 'long' })
  await store.update(OTHER_APP, 'alice', { Tag_Profile_IM_Nick: 'other app' })
  t.strictSame(await store.get(APP, 'al'), { Tag_Profile_IM_Nick: 'short' }, 'a UserID that prefixes another keeps its own tags')
  t.strictSame(await store.get(OTHER_APP, 'alice'), { Tag_Profile_IM_Nick: 'other app' })
  t.equal(await store.delete(APP, 'alice'), true, 'delete of a stored profile resolves true')
  t.equal(await store.get(APP, 'alice'), undefined)
  t.equal(await store.delete(APP, 'alice'), false, 'delete of a missing profile resolves false')
  t.strictSame(await store.get(APP, 'al'), { Tag_Profile_IM_Nick: 'short' }, 'the prefix user is untouched')
  t.strictSame(await store.get(OTHER_APP, 'alice'), { Tag_Profile_IM_Nick: 'other app' }, 'the other app is untouched')
}

async function persistence(t: Test, store: ProfileStore, reopen: () => Promise<ProfileStore>): Promise<void> {
  await store.update(APP, 'alice', { Tag_Profile_IM_Nick: 'Alice', Tag_Profile_IM_Language: 2, Tag_Profile_IM_Image: 'https://example.com/a.png' })
  await store.update(APP, 'alice', {}, ['Tag_Profile_IM_Language'])
  await store.update(APP, 'bob', { Tag_Profile_IM_Nick: 'Bob' })
  t.equal(await store.delete(APP, 'bob'), true)
  const again = await reopen()
  t.strictSame(await again.get(APP, 'alice'), { Tag_Profile_IM_Nick: 'Alice', Tag_Profile_IM_Image: 'https://example.com/a.png' })
  t.equal(await again.get(APP, 'bob'), undefined, 'a delete is durable too')
}
