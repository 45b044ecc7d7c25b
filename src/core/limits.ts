/** Size and count limits of the public interface (docs/tencent-compat.md §8), in one place. */
export const Limits = {
  /** Maximum encoded size of a message's MsgBody plus CloudCustomData, bytes (12 KB). */
  messageBodyBytes: 12 * 1024,
  /** Maximum UserID length, bytes. */
  userIdBytes: 32,
  /** Maximum GroupId length, characters (printable ASCII). */
  groupIdChars: 47,
  /** Longest offline retention a sender may ask for, seconds (7 days). */
  maxLifeTimeSeconds: 604800,
  /** Default window in which a user may recall their own message, seconds. */
  recallWindowSeconds: 120,
  /** Dedupe window for MsgRandom, seconds. */
  dedupeWindowSeconds: 24 * 3600,
  /** Default and maximum page size for history, conversation and sync pages. */
  pageSize: 20,
  maxPageSize: 100,
  /** batchsendmsg targets; multiaccount_import / account_delete / account_check items. */
  batchSendTargets: 500,
  accountBatch: 100,
  queryOnlineStatusBatch: 500,
  /** Entries of one user's friend list, and of one user's blacklist (docs/tencent-compat.md §8). */
  friendsPerUser: 3000,
  blacklistPerUser: 1000,
  /** Group profile and member fields, UTF-8 bytes (docs/tencent-compat.md §4.4). */
  groupName: 30,
  groupIntroduction: 240,
  groupNotification: 300,
  groupFaceUrl: 100,
  memberNameCard: 50,
  /** A join application's message, bytes. */
  groupApplyMessage: 300,
  /** Custom group fields (`AppDefinedData`): keys, and bytes per value. */
  groupCustomKeys: 20,
  groupCustomValueBytes: 512,
  /** Custom member fields (`AppMemberDefinedData`): keys, and bytes per value. */
  memberCustomKeys: 5,
  memberCustomValueBytes: 64,
  /** Accounts in one group request (invite, kick, mute, roles, mentions). */
  groupAccountsPerRequest: 500,
  /** Accounts a targeted group message may go to. */
  groupTargets: 50,
} as const

/** A custom-field key (group and member `…DefinedData`): 1..15 characters of [A-Za-z0-9_]. */
export const CustomKeyPattern = '^[A-Za-z0-9_]{1,15}$'
