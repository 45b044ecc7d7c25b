/** Size and count limits of the public interface (docs/tencent-compat.md §8), in one place. */
export const Limits = {
  /** Maximum encoded size of a message's MsgBody plus CloudCustomData, bytes (12 KB). */
  messageBodyBytes: 12 * 1024,
  /** Maximum UserID length, bytes. */
  userIdBytes: 32,
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
} as const
