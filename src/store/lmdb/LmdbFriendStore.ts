/**
 * FriendStore on the embedded LMDB environment (see openLmdb.ts).
 *
 * Key layout: sub-database `friends`, key `[app, owner, friendId]`, value FriendRecord;
 * sub-database `blacklist`, key `[app, owner, blockedId]`, value the block time. One owner's
 * list is one contiguous key range, ordered by the other UserID's UTF-8 bytes
 * (ordered-binary strings). Each write call is one write transaction and resolves once
 * synced to disk; the caps are checked inside it, and counts scan the owner's keys.
 */
import type { Database, Key } from 'lmdb'
import { Limits } from '../../core/limits.js'
import { type BlockRecord, type FriendRecord, type FriendStore, listFull, type PageQuery } from '../FriendStore.js'
import { KEY_MAX, keyText } from './keys.js'
import type { LmdbHandle } from './openLmdb.js'

type Owner = [app: number, owner: string]

export class LmdbFriendStore implements FriendStore {
  private readonly friends: Database<FriendRecord, Key>
  private readonly blocks: Database<number, Key>

  /** Takes ownership of `lmdb` (from `openLmdb`): `close()` closes it. */
  constructor(private readonly lmdb: LmdbHandle) {
    this.friends = lmdb.db('friends')
    this.blocks = lmdb.db('blacklist')
  }

  async getFriends(app: number, owner: string, userIds: readonly string[]): Promise<FriendRecord[]> {
    const o = ownerOf(app, owner)
    return present([...new Set(userIds)].map((id) => this.friends.get(keyOf(o, id))))
  }

  async putFriends(app: number, owner: string, friends: readonly FriendRecord[]): Promise<void> {
    const o = ownerOf(app, owner)
    const puts = friends.map((f) => [keyOf(o, f.userId), f] as const)
    if (puts.length === 0) return
    const size = await this.friends.transaction(() => {
      const fresh = new Set(friends.filter((f, i) => !this.friends.doesExist(puts[i]![0])).map((f) => f.userId))
      const size = countOf(this.friends, o) + fresh.size
      if (size > Limits.friendsPerUser) return size
      for (const [key, rec] of puts) void this.friends.put(key, rec)
      return 0
    })
    if (size > 0) throw listFull('FRIENDS_FULL', owner, size, Limits.friendsPerUser)
  }

  removeFriends(app: number, owner: string, userIds: readonly string[]): Promise<string[]> {
    return removeExisting(this.friends, ownerOf(app, owner), userIds)
  }

  async removeAllFriends(app: number, owner: string): Promise<number> {
    const [a, o] = ownerOf(app, owner)
    return this.friends.transaction(() => {
      const keys = [...this.friends.getKeys({ start: [a, o], end: [a, o, KEY_MAX] })]
      for (const key of keys) void this.friends.remove(key)
      return keys.length
    })
  }

  async listFriends(app: number, owner: string, page: PageQuery): Promise<FriendRecord[]> {
    if (page.limit <= 0) return []
    return [...pageOf(this.friends, ownerOf(app, owner), page)].map((e) => e.value)
  }

  async countFriends(app: number, owner: string): Promise<number> {
    return countOf(this.friends, ownerOf(app, owner))
  }

  async getBlocks(app: number, owner: string, userIds: readonly string[]): Promise<BlockRecord[]> {
    const o = ownerOf(app, owner)
    return present([...new Set(userIds)].map((id) => {
      const time = this.blocks.get(keyOf(o, id))
      return time === undefined ? undefined : { userId: id, time }
    }))
  }

  async addBlocks(app: number, owner: string, blocks: readonly BlockRecord[]): Promise<string[]> {
    const o = ownerOf(app, owner)
    const entries = blocks.map((b) => [keyOf(o, b.userId), b] as const)
    if (entries.length === 0) return []
    const added = await this.blocks.transaction(() => {
      const fresh = new Map<string, readonly [Key, BlockRecord]>()
      for (const e of entries) if (!fresh.has(e[1].userId) && !this.blocks.doesExist(e[0])) fresh.set(e[1].userId, e)
      const size = countOf(this.blocks, o) + fresh.size
      if (size > Limits.blacklistPerUser) return size
      for (const [key, b] of fresh.values()) void this.blocks.put(key, b.time)
      return [...fresh.keys()]
    })
    if (typeof added === 'number') throw listFull('BLACKLIST_FULL', owner, added, Limits.blacklistPerUser)
    return added
  }

  removeBlocks(app: number, owner: string, userIds: readonly string[]): Promise<string[]> {
    return removeExisting(this.blocks, ownerOf(app, owner), userIds)
  }

  async listBlocks(app: number, owner: string, page: PageQuery): Promise<BlockRecord[]> {
    if (page.limit <= 0) return []
    return [...pageOf(this.blocks, ownerOf(app, owner), page)].map((e) => ({ userId: (e.key as Key[])[2] as string, time: e.value }))
  }

  async countBlocks(app: number, owner: string): Promise<number> {
    return countOf(this.blocks, ownerOf(app, owner))
  }

  close(): Promise<void> {
    return this.lmdb.close()
  }
}

function ownerOf(app: number, owner: string): Owner {
  return [app, keyText(owner, 'owner')]
}

function keyOf([app, owner]: Owner, userId: string): Key {
  return [app, owner, keyText(userId, 'userId')]
}

function present<T>(xs: (T | undefined)[]): T[] {
  return xs.filter((x): x is T => x !== undefined)
}

/** In one write transaction: removes the keys of `userIds` that exist and returns those ids. */
async function removeExisting<V>(db: Database<V, Key>, o: Owner, userIds: readonly string[]): Promise<string[]> {
  const keys = userIds.map((id) => [id, keyOf(o, id)] as const)
  if (keys.length === 0) return []
  return db.transaction(() => {
    const removed: string[] = []
    for (const [id, key] of keys) {
      if (!db.doesExist(key)) continue
      void db.remove(key)
      removed.push(id)
    }
    return removed
  })
}

function pageOf<V>(db: Database<V, Key>, [app, owner]: Owner, page: PageQuery) {
  const start = page.after === undefined ? [app, owner] : [app, owner, keyText(page.after, 'after')]
  return db.getRange({ start, exclusiveStart: page.after !== undefined, end: [app, owner, KEY_MAX], limit: page.limit })
}

function countOf<V>(db: Database<V, Key>, [app, owner]: Owner): number {
  return db.getKeysCount({ start: [app, owner], end: [app, owner, KEY_MAX] })
}
