/**
 * FriendStore: each user's relationship chain (Tencent IM's `sns` service, reference §5) —
 * the friend list and the blacklist. Both are one-way lists owned by one user: "A and B are
 * friends both ways" is an entry in A's list and one in B's, written by the feature as two
 * writes, each by its owner's session.
 *
 * Bounds: a list holds what the feature admits, and the feature enforces Tencent's caps
 * (Limits.friendsPerUser, Limits.blacklistPerUser) before it writes, so every list, and the
 * Cassandra partition that holds it, stays bounded. `count*` serve that check.
 *
 * Order and paging: lists are ordered by the other user's UserID, by its UTF-8 bytes, on
 * both backends. A page is the entries after a cursor (the last UserID of the previous
 * page), so pages stay exact while the list changes between calls.
 *
 * One implementation per backend; test/store/friendStoreConformance.ts runs against each.
 * Writes resolve once durable; one owner's lists are written by one writer at a time.
 */

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

export interface FriendStore {
  /** The entries of `userIds` in the owner's friend list, in the order asked; absent ones left out. */
  getFriends(app: number, owner: string, userIds: readonly string[]): Promise<FriendRecord[]>
  /** Creates or replaces each entry. */
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
   * there keeps its first time.
   */
  addBlocks(app: number, owner: string, blocks: readonly BlockRecord[]): Promise<string[]>
  /** Removes the entries; resolves the UserIDs that were in the blacklist. */
  removeBlocks(app: number, owner: string, userIds: readonly string[]): Promise<string[]>
  listBlocks(app: number, owner: string, page: PageQuery): Promise<BlockRecord[]>
  countBlocks(app: number, owner: string): Promise<number>
  close(): Promise<void>
}
