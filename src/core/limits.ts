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
  /** Conversation shards per app (docs/one-writer.md): one-to-one streams are numbered per (user, shard). Fixed for a data directory's life. */
  convShards: 64,
  /** Default and maximum page size for history, conversation and sync pages. */
  pageSize: 20,
  maxPageSize: 100,
  /** Longest MsgKey (`{MsgSeq}_{MsgRandom}_{MsgTime}`), characters (docs/tencent-compat.md §3.1). */
  msgKeyChars: 50,
  /** Entries of a REST send's `SendMsgControl` and of its `ForbidCallbackControl`. */
  sendControlFlags: 16,
  /** batchsendmsg targets; multiaccount_import / account_delete / account_check items (and get_c2c_unread_msg_num peers). */
  batchSendTargets: 500,
  accountBatch: 100,
  queryOnlineStatusBatch: 500,
  /** An imported account's `Nick` and `FaceUrl`, UTF-8 bytes each. */
  accountProfileBytes: 500,
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
  /** Accounts in one group request (invite, kick, mute, roles, mentions, member imports, system-notice targets). */
  groupAccountsPerRequest: 500,
  /** Accounts a targeted group message may go to. */
  groupTargets: 50,
  /** Members `create_group` may list. */
  groupCreateMembers: 100,
  /** Groups one `get_group_info` may ask for. */
  groupInfoBatch: 50,
  /** Most members of one member page (`get_group_member_info`; its size when `Limit` is absent or 0). */
  groupMemberPage: 6000,
  /** Most messages of one `group_msg_get_simple` page, and seqs of one `group_msg_recall`. */
  groupMsgPage: 20,
  groupRecallBatch: 10,
  /** Messages of one `import_group_msg`. */
  groupImportMessages: 20,
  /** A custom group system notification's `Content`, UTF-8 bytes. */
  groupNoticeBytes: 1024,
  /** `Reason` of `delete_group_member` and of `group_msg_recall`, UTF-8 bytes (accepted, not kept). */
  memberRemoveReasonBytes: 256,
  recallReasonBytes: 100,
  /** Entries of a REST response filter (`…Filter` lists of field names or keys). */
  responseFilterEntries: 64,
  /** Most GroupIds of one `get_appid_group_list` page, and its size when `Limit` is absent. */
  appGroupPage: 10000,
} as const

/**
 * A custom-field key (group and member `…DefinedData`): 1..15 characters of [A-Za-z0-9_], and
 * not `__proto__` (a key every map of JavaScript treats as its prototype).
 */
export const CustomKeyPattern = '^(?!__proto__$)[A-Za-z0-9_]{1,15}$'
