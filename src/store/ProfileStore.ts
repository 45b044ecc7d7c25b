/**
 * ProfileStore: each user's profile, as Tencent IM's profile tags (`Tag_Profile_IM_*` and
 * `Tag_Profile_Custom_*`, docs/tencent-compat.md §5) mapped to their values. Tags are stored one by one,
 * so an update touches only the tags it names and two updates of different tags never
 * overwrite each other. What a tag may hold (types, lengths, which tags exist) is the
 * profile feature's to check; the store keeps any tag name that is a valid key element.
 *
 * Keys: UserIDs and tags are key elements; the LMDB store refuses one with a NUL character or
 * longer than 256 characters (INVALID_PARAMS).
 *
 * One implementation per backend; test/store/profileStoreConformance.ts runs against each.
 * Writes resolve once durable. Each user's profile is written by one writer at a time (the
 * user's session), as every per-user record is.
 */

/** A tag's value: Tencent profile values are strings or unsigned integers. */
export type ProfileValue = string | number

/** A user's stored tags, tag name → value. */
export type Profile = Record<string, ProfileValue>

export interface ProfileStore {
  /** The user's tags, or undefined when none is stored. */
  get(app: number, userId: string): Promise<Profile | undefined>
  /** The profiles of `userIds` that have any tag stored; users without one are absent. */
  getMany(app: number, userIds: readonly string[]): Promise<Map<string, Profile>>
  /**
   * Sets the tags of `set` (creating the profile) and removes the tags named in `remove`; a
   * tag named in both is set. Atomic on LMDB. On Cassandra each tag is its own row, written
   * in unlogged batches of one partition: a call of more than 64 tags (or 32 KiB) is several
   * batches, which a concurrent reader may see half-applied.
   */
  update(app: number, userId: string, set: Profile, remove?: readonly string[]): Promise<void>
  /** Removes every tag of the user; resolves true if any existed. */
  delete(app: number, userId: string): Promise<boolean>
  close(): Promise<void>
}
