/**
 * ProfileStore on the embedded LMDB environment (see openLmdb.ts).
 *
 * Key layout: sub-database `profiles`, key `[app, userId, tag]`, value the tag's value; one
 * user's tags are one contiguous key range. `update` and `delete` are one write transaction
 * each and resolve once synced to disk.
 */
import type { Database, Key } from 'lmdb'
import type { Profile, ProfileStore, ProfileValue } from '../ProfileStore.js'
import { KEY_MAX, keyText } from './keys.js'
import type { LmdbHandle } from './openLmdb.js'

export class LmdbProfileStore implements ProfileStore {
  private readonly tags: Database<ProfileValue, Key>

  /** Takes ownership of `lmdb` (from `openLmdb`): `close()` closes it. */
  constructor(private readonly lmdb: LmdbHandle) {
    this.tags = lmdb.db('profiles')
  }

  async get(app: number, userId: string): Promise<Profile | undefined> {
    const user = keyText(userId, 'userId')
    let out: Profile | undefined
    for (const { key, value } of this.tags.getRange({ start: [app, user], end: [app, user, KEY_MAX] })) {
      out ??= {}
      out[(key as [number, string, string])[2]] = value
    }
    return out
  }

  async getMany(app: number, userIds: readonly string[]): Promise<Map<string, Profile>> {
    const out = new Map<string, Profile>()
    for (const id of new Set(userIds)) {
      const p = await this.get(app, id)
      if (p) out.set(id, p)
    }
    return out
  }

  /** A tag both set and removed is set (removals are applied first). */
  async update(app: number, userId: string, set: Profile, remove: readonly string[] = []): Promise<void> {
    const user = keyText(userId, 'userId')
    // Keys are checked before anything is queued, so a bad tag writes nothing.
    const puts = Object.entries(set).map(([tag, value]): [Key, ProfileValue] => [[app, user, keyText(tag, 'tag')], value])
    const removes = remove.map((tag): Key => [app, user, keyText(tag, 'tag')])
    if (puts.length === 0 && removes.length === 0) return
    await this.tags.batch(() => {
      for (const key of removes) void this.tags.remove(key)
      for (const [key, value] of puts) void this.tags.put(key, value)
    })
  }

  async delete(app: number, userId: string): Promise<boolean> {
    const user = keyText(userId, 'userId')
    return this.tags.transaction(() => {
      const keys = [...this.tags.getKeys({ start: [app, user], end: [app, user, KEY_MAX] })]
      for (const key of keys) void this.tags.remove(key)
      return keys.length > 0
    })
  }

  close(): Promise<void> {
    return this.lmdb.close()
  }
}
