/**
 * FriendStore: each user's relationship chain (Tencent IM's `sns` service, docs/tencent-compat.md §5) —
 * the friend list and the blacklist. Both are one-way lists owned by one user: "A and B are
 * friends both ways" is an entry in A's list and one in B's, written by the feature as two
 * writes, each by its owner's session.
 *
 * Bounds: the store itself enforces Tencent's caps (Limits.friendsPerUser = 3,000 friends,
 * Limits.blacklistPerUser = 1,000 blocks): a write that would take a list past its cap writes
 * nothing and rejects with FRIENDS_FULL (30010) or BLACKLIST_FULL (30013). So every list, and
 * the Cassandra partition that holds it, is bounded by construction.
 *
 * Keys: UserIDs are key elements; the LMDB store refuses one with a NUL character or longer
 * than 256 characters (INVALID_PARAMS), which no valid UserID (at most 32 bytes) is.
 *
 * Order and paging: lists are ordered by the other user's UserID, by its UTF-8 bytes, on
 * both backends. A page is the entries after a cursor (the last UserID of the previous
 * page), so pages stay exact while the list changes between calls.
 *
 * One implementation per backend; test/store/friendStoreConformance.ts runs against each.
 * Writes resolve once durable; one owner's lists are written by one writer at a time.
 */
import { ParleyError } from '../core/errors.js'

/** An entry of a friend list; the fields are the `Tag_SNS_IM_*` ones, custom fields `Tag_SNS_Custom_*`. */
export interface FriendRecord {
  /** The friend's UserID. */
  userId: string
  /** Tag_SNS_IM_AddSource: `AddSource_Type_` and a keyword. */
  addSource: string
  /** Tag_SNS_IM_AddTime, unix seconds. */
  addTime: number
  /** Tag_SNS_IM_Remark. */
  remark?: string
  /** Tag_SNS_IM_RemarkTime, unix seconds. */
  remarkTime?: number
  /** Tag_SNS_IM_Group: the owner's friend lists this friend is in. */
  groups?: string[]
  /** Tag_SNS_IM_AddWording. */
  addWording?: string
  /** Tag_SNS_Custom_<key> → value. */
  custom?: Record<string, string | number>
}

/** An entry of a blacklist. */
export interface BlockRecord {
  /** The blocked user's UserID. */
  userId: string
  /** When it was blocked (AddBlackTimeStamp), unix seconds. */
  time: number
}

/** A page request: up to `limit` entries whose UserID sorts after `after` (from the start when absent). */
export interface PageQuery {
  after?: string
  limit: number
}

/** The error of a write that would take a list past its cap. */
export function listFull(code: 'FRIENDS_FULL' | 'BLACKLIST_FULL', owner: string, size: number, cap: number): ParleyError {
  return new ParleyError(code, `${owner}'s list would hold ${size} entries; the cap is ${cap}`)
}

export interface FriendStore {
  /** The entries of `userIds` in the owner's friend list, in the order asked; absent ones left out. */
  getFriends(app: number, owner: string, userIds: readonly string[]): Promise<FriendRecord[]>
  /**
   * Creates or replaces each entry (a UserID given twice: the last entry). Rejects with
   * FRIENDS_FULL, writing nothing, when the new entries would take the list past its cap.
   */
  putFriends(app: number, owner: string, friends: readonly FriendRecord[]): Promise<void>
  /** Removes the entries; resolves the UserIDs that were in the list. */
  removeFriends(app: number, owner: string, userIds: readonly string[]): Promise<string[]>
  /** Empties the friend list; resolves how many entries it had. */
  removeAllFriends(app: number, owner: string): Promise<number>
  listFriends(app: number, owner: string, page: PageQuery): Promise<FriendRecord[]>
  countFriends(app: number, owner: string): Promise<number>

  /** The entries of `userIds` in the owner's blacklist, in the order asked; absent ones left out. */
  getBlocks(app: number, owner: string, userIds: readonly string[]): Promise<BlockRecord[]>
  /**
   * Adds the entries not in the blacklist yet and resolves their UserIDs; an entry already
   * there (or given twice) keeps its first time. Rejects with BLACKLIST_FULL, writing
   * nothing, when the new entries would take the list past its cap.
   */
  addBlocks(app: number, owner: string, blocks: readonly BlockRecord[]): Promise<string[]>
  /** Removes the entries; resolves the UserIDs that were in the blacklist. */
  removeBlocks(app: number, owner: string, userIds: readonly string[]): Promise<string[]>
  listBlocks(app: number, owner: string, page: PageQuery): Promise<BlockRecord[]>
  countBlocks(app: number, owner: string): Promise<number>
  close(): Promise<void>
}
