/**
 * GroupStore: every group's durable state — its profile, members, mutes, pending join
 * requests, message history and Random dedupe — plus the per-user index of joined groups.
 * One implementation per backend (LmdbGroupStore, CassandraGroupStore); the conformance
 * suite in test/store/groupStoreConformance.ts runs against each.
 *
 * Ownership: every record belongs to one group (app, groupId), including the index rows
 * `(app, user) → groupId`, which are written only in that group's commits. Only the group's
 * actor writes them, so a membership change and its index rows commit atomically and can
 * never disagree; implementations need no cross-writer locking, and the message sequence is
 * fenced (a seq is never stored twice, also across restarts and after a destroy).
 *
 * The app-wide group listing (`listGroups`) is such a record too: one row per existing group,
 * written by the group's own commits (see `GroupCommit`), so it lists exactly the groups whose
 * record exists.
 */
import { createHash } from 'node:crypto'
import type { GroupMessage, GroupRecord, GroupType, JoinedGroup, JoinRequest, MemberRecord } from '../model/group.js'

export interface GroupRef {
  readonly app: number
  readonly groupId: string
}

export interface GroupDedupeRecord {
  seq: number
  /** Unix seconds when first stored; records older than the dedupe window are ignored. */
  time: number
}

/**
 * The writes of one group actor step, applied atomically; `commit` resolves once durable.
 * A rejected commit has applied nothing. Order of application: `destroy`, then removals,
 * then upserts, then `recall`.
 */
export interface GroupCommit {
  /**
   * Deletes the group's record, its listing row, members, mutes, requests, messages and
   * dedupe records. The message sequence is kept, so a later group with the same id
   * continues above it. The caller lists every current member in `removeMembers`, which
   * removes their index rows.
   */
  destroy?: boolean
  /**
   * Upserted, with the group's listing row (key, type). A commit with both `destroy` and
   * `group` leaves the group listed (destroy first, then upserts).
   */
  group?: GroupRecord
  /** Upserted by account; each also writes the member's index row. */
  members?: MemberRecord[]
  /** Deleted by account, with the members' index rows. */
  removeMembers?: string[]
  /** Upserted by account; `until` 0 deletes. Unix seconds (4294967295 = forever). */
  mutes?: { account: string; until: number }[]
  requests?: JoinRequest[]
  removeRequests?: string[]
  /** Appended; the first seq must be exactly one above the group's last stored seq. */
  messages?: GroupMessage[]
  /** Upserted by (sender, random). */
  dedupe?: { from: string; random: number; record: GroupDedupeRecord }[]
  /**
   * Seqs of stored messages to mark recalled (rewritten as `recalledGroupMessage`). A seq
   * with no stored message (never stored, or destroyed) is skipped; recalling a recalled
   * message changes nothing, so applying the same commit twice is harmless.
   */
  recall?: number[]
}

/** Everything a group actor loads on activation. */
export interface GroupSnapshot {
  /** Absent when no group with this id exists (never created, or destroyed). */
  group?: GroupRecord
  members: MemberRecord[]
  mutes: { account: string; until: number }[]
  requests: JoinRequest[]
  /** Highest message seq ever stored under this id (kept across destroy); 0 when none. */
  lastSeq: number
}

/**
 * Position of a group in the app-wide listing: the first 52 bits of SHA-1 over the GroupId's
 * UTF-8 bytes, raised to 1 when they are 0, so a key is in 1..2^52-1 (a safe integer) and 0 is
 * free to mean "the start" in a query and "no more" in a page. Stable: part of every stored
 * listing row's address, so it never changes. Distinct groups may share a key (a collision);
 * the listing orders by (key, groupId), and the paging contract of `listGroups` tolerates it.
 */
export function groupListKey(groupId: string): number {
  const d = createHash('sha1').update(groupId, 'utf8').digest()
  const top52 = d.readUIntBE(0, 6) * 16 + (d[6]! >> 4)
  return Math.max(top52, 1)
}

/** Highest `groupListKey` (2^52 - 1). */
export const MAX_GROUP_LIST_KEY = 2 ** 52 - 1

/** One row of the app-wide group listing. */
export interface ListedGroup {
  groupId: string
  type: GroupType
  /** `groupListKey(groupId)`. */
  key: number
}

/** A `listGroups` page request. */
export interface ListGroupsQuery {
  /** Smallest key of the page: 0 for the first page, else a previous page's `next`. */
  fromKey: number
  /** Rows per page, ≥ 1. */
  limit: number
  /** Only groups of this type (rows and `total`); absent = every type. */
  type?: GroupType
}

/**
 * Cuts one `listGroups` page from the listing read in (key, groupId) order from the page's
 * `fromKey` on: `offer` each row until it returns false, then take `groups` and `next`.
 * Shared by every implementation, so the paging rule of `GroupStore.listGroups` lives in one
 * place.
 */
export class GroupPageCutter {
  readonly groups: ListedGroup[] = []
  /** The next page's `fromKey`; stays 0 when the rows ran out first. */
  next = 0

  constructor(private readonly limit: number) {}

  /** Takes `row` into the page; false when the page is complete (`row` starts the next one). */
  offer(row: ListedGroup): boolean {
    if (this.groups.length >= this.limit && row.key !== this.groups[0]!.key) {
      this.next = row.key
      return false
    }
    this.groups.push(row)
    return true
  }
}

/** One page of `listGroups`. */
export interface GroupListPage {
  /** At most `limit` rows, ordered by (key, groupId). */
  groups: ListedGroup[]
  /** Where the next page starts (its `fromKey`); 0 when this page reached the end. */
  next: number
  /** Groups of the app (of `type` when filtered), counted when the page was read. */
  total: number
}

export interface GroupStore {
  commit(g: GroupRef, c: GroupCommit): Promise<void>
  /** The group's whole state. Cost is linear in members, mutes and requests. */
  load(g: GroupRef): Promise<GroupSnapshot>
  /** Messages with seq strictly below `beforeSeq` (default: newest), newest first, at most `limit`. O(limit). */
  readMessages(g: GroupRef, q: { beforeSeq?: number; limit: number }): Promise<GroupMessage[]>
  /** The dedupe record of `from`'s message with `random`, if one was stored. */
  getDedupe(g: GroupRef, from: string, random: number): Promise<GroupDedupeRecord | undefined>
  /** The groups `user` is a member of, ordered by GroupId. Cost is linear in their number. */
  joinedGroups(app: number, user: string): Promise<JoinedGroup[]>
  /**
   * One page of the app's groups (of `type` only, when given), ordered by (key, groupId):
   * the first `limit` + 1 rows with key ≥ `fromKey` (0 = from the start) are read, the first
   * `limit` returned, and `next` is the key of row `limit` + 1, or 0 when there is none.
   *
   * Paging by key alone means a page that ends inside a run of colliding keys starts the next
   * page at that key again: a group can then appear on two pages, but none is ever skipped.
   * One exception keeps the walk moving: when the page's rows and row `limit` + 1 all share one
   * key (more than `limit` groups collide on it — in practice only at `limit` 1), the page
   * takes the whole run of that key, exceeding `limit`, and `next` is the key after it.
   * So every page's first key is above the previous page's first key, and a walk ends.
   * Under concurrent creates and destroys a group created or destroyed during the walk may or
   * may not appear; every group that exists throughout is listed.
   *
   * Cost: the page reads at most `limit` + 1 rows (filtered by `type`: every row of other
   * types in between too), and `total` is a count over the app's whole listing index —
   * linear in the app's number of groups, on every call.
   */
  listGroups(app: number, q: ListGroupsQuery): Promise<GroupListPage>
  close(): Promise<void>
}
