/**
 * The one catalogue of coded errors. Every failure that reaches a client — a WebSocket
 * response, a close reason, a REST envelope — carries one of these codes. Numbers follow
 * Tencent Cloud IM where it defines one (docs/tencent-compat.md §7); Parley-only codes live in 9xxx
 * (gateway) and are listed in the README error table, which a test keeps in sync.
 *
 * `retryable` tells a client whether sending the same request again may succeed.
 */

/**
 * The failures the actor runtime raises itself (actors/runtime/errors.ts), declared here,
 * below both: the runtime needs nothing of the app's catalogue, and the catalogue lists them
 * under the same names without a second copy.
 */
export const RuntimeFailures = {
  /** A handler threw something other than a CodedError, or the runtime itself failed. */
  INTERNAL: { code: 20005, retryable: true, message: 'internal server error' },
  /** The target's mailbox is full. */
  BUSY: { code: 9006, retryable: true, message: 'actor mailbox full; retry later' },
  /** No reply within the ask's timeout. */
  TIMEOUT: { code: 9007, retryable: true, message: 'request timed out inside the server' },
  /** The host or the mesh is stopping. */
  SHUTTING_DOWN: { code: 9008, retryable: true, message: 'server is shutting down; reconnect' },
} as const satisfies Record<string, { code: number; retryable: boolean; message: string }>

export const ErrorCatalogue = {
  // REST envelope and admin access
  REST_BAD_URL: { code: 60002, retryable: false, message: 'bad URL or unknown command' },
  REST_BAD_JSON: { code: 60003, retryable: false, message: 'request body is not valid JSON' },
  REST_BAD_IDENTIFIER: { code: 60004, retryable: false, message: 'identifier or usersig missing or wrong' },
  REST_BAD_SDKAPPID: { code: 60006, retryable: false, message: 'SDKAppID invalid or unknown' },
  REST_RATE_LIMITED: { code: 60007, retryable: true, message: 'request rate limit exceeded' },
  REST_BAD_HTTP: { code: 60008, retryable: false, message: 'malformed HTTP request or body too large' },
  REST_UNKNOWN_COMMAND: { code: 60009, retryable: false, message: 'unknown service or command' },
  REST_NOT_ADMIN: { code: 60010, retryable: false, message: 'identifier is not an App admin' },

  // UserSig
  SIG_EXPIRED: { code: 70001, retryable: false, message: 'UserSig expired' },
  SIG_EMPTY: { code: 70002, retryable: false, message: 'UserSig empty' },
  SIG_MALFORMED: { code: 70003, retryable: false, message: 'UserSig malformed or truncated' },
  SIG_BAD_SIGNATURE: { code: 70009, retryable: false, message: 'UserSig signature does not match the app key' },
  SIG_USER_MISMATCH: { code: 70013, retryable: false, message: 'UserID differs from the one in the UserSig' },
  SIG_APP_MISMATCH: { code: 70014, retryable: false, message: 'SDKAppID differs from the one in the UserSig' },
  SIG_UNKNOWN_APP: { code: 70020, retryable: false, message: 'SDKAppID not found' },
  SIG_INVALIDATED: { code: 70052, retryable: false, message: 'UserSig invalidated by a kick; mint a new one' },
  ACCOUNT_NOT_IMPORTED: { code: 70107, retryable: false, message: 'account not imported' },
  BATCH_TOO_LARGE: { code: 70206, retryable: false, message: 'batch size out of range' },
  INVALID_PARAMS: { code: 70402, retryable: false, message: 'invalid parameters' },
  ADMIN_REQUIRED: { code: 70403, retryable: false, message: 'App admin required' },

  // Messaging
  INVALID_PACKET: { code: 20001, retryable: false, message: 'invalid packet' },
  ACCOUNT_INVALID: { code: 20003, retryable: false, message: 'sender or receiver invalid or not imported' },
  INTERNAL: RuntimeFailures.INTERNAL,
  RECALL_WINDOW_PASSED: { code: 20016, retryable: false, message: 'recall window exceeded' },
  BAD_JSON: { code: 90001, retryable: false, message: 'JSON format error' },
  BAD_MSGBODY: { code: 90002, retryable: false, message: 'MsgBody invalid' },
  BAD_TO_ACCOUNT: { code: 90003, retryable: false, message: 'To_Account invalid' },
  BAD_MSG_RANDOM: { code: 90005, retryable: false, message: 'MsgRandom invalid' },
  BAD_MSG_TIMESTAMP: { code: 90007, retryable: false, message: 'MsgTimeStamp invalid' },
  BAD_FROM_ACCOUNT: { code: 90008, retryable: false, message: 'From_Account invalid' },
  BAD_MSG_REQUEST: { code: 90010, retryable: false, message: 'request field does not match the message format' },
  TOO_MANY_TARGETS: { code: 90011, retryable: false, message: 'more than 500 To_Account entries' },
  LIFETIME_TOO_LONG: { code: 90048, retryable: false, message: 'MsgLifeTime above 7 days' },
  BODY_TOO_LARGE: { code: 93000, retryable: false, message: 'message body above 12 KB' },

  // Recent contacts (conversation list REST)
  RECENT_NOT_IMPORTED: { code: 50001, retryable: false, message: 'UserID not imported' },
  RECENT_BAD_PARAMS: { code: 50002, retryable: false, message: 'invalid recent-contact request parameters' },

  // Groups (docs/tencent-compat.md §7, 10xxx)
  GROUP_INVALID_PARAMS: { code: 10004, retryable: false, message: 'invalid group request parameters' },
  GROUP_TOO_MANY_ACCOUNTS: { code: 10005, retryable: false, message: 'too many accounts in one group request' },
  GROUP_NO_PERMISSION: { code: 10007, retryable: false, message: 'no permission for this group operation' },
  GROUP_OWNER_CANNOT_QUIT: { code: 10009, retryable: false, message: 'the owner may not quit this type of group' },
  GROUP_NOT_FOUND: { code: 10010, retryable: false, message: 'group does not exist or was destroyed' },
  GROUP_ALREADY_MEMBER: { code: 10013, retryable: false, message: 'already a member of the group' },
  GROUP_FULL: { code: 10014, retryable: false, message: 'group is full' },
  GROUP_BAD_ID: { code: 10015, retryable: false, message: 'invalid GroupId' },
  GROUP_MUTED: { code: 10017, retryable: false, message: 'muted in this group' },
  GROUP_ACCOUNT_MISSING: { code: 10019, retryable: false, message: 'account does not exist (not imported)' },
  GROUP_ID_IN_USE: { code: 10021, retryable: false, message: 'GroupId already in use' },
  GROUP_RATE_LIMITED: { code: 10023, retryable: true, message: 'group message rate limit exceeded (per group; an AVChatRoom refuses Low and Lowest first)' },
  GROUP_REQUEST_HANDLED: { code: 10024, retryable: false, message: 'no pending request: already handled or never made' },
  GROUP_ID_YOURS: { code: 10025, retryable: false, message: 'GroupId already in use by a group you own' },
  GROUP_MSG_NOT_FOUND: { code: 10030, retryable: false, message: 'no stored group message with this seq' },
  GROUP_RECALL_WINDOW_PASSED: { code: 10031, retryable: false, message: 'group message recall window exceeded' },
  GROUP_MSG_NOT_RECALLABLE: { code: 10032, retryable: false, message: 'this message cannot be recalled (a group tip)' },
  GROUP_TYPE_NO_RECALL: { code: 10033, retryable: false, message: 'this group type keeps no messages to recall' },

  // Relationship chain (docs/tencent-compat.md §7, 30xxx)
  FRIENDS_FULL: { code: 30010, retryable: false, message: 'the friend list is full (3,000 entries)' },
  BLACKLIST_FULL: { code: 30013, retryable: false, message: 'the blacklist is full (1,000 entries)' },

  // Gateway (Parley-only)
  NOT_LOGGED_IN: { code: 9001, retryable: false, message: 'log in first' },
  UNKNOWN_OP: { code: 9002, retryable: false, message: 'unknown op' },
  FRAME_TOO_LARGE: { code: 9003, retryable: false, message: 'frame above the maximum size' },
  MALFORMED_FRAME: { code: 9004, retryable: false, message: 'frame could not be decoded' },
  ALREADY_LOGGED_IN: { code: 9005, retryable: false, message: 'this connection is already logged in' },
  BUSY: RuntimeFailures.BUSY,
  TIMEOUT: RuntimeFailures.TIMEOUT,
  SHUTTING_DOWN: RuntimeFailures.SHUTTING_DOWN,
  MSG_NOT_FOUND: { code: 9010, retryable: false, message: 'message not found in this conversation' },
  RECALL_NOT_SENDER: { code: 9011, retryable: false, message: 'only the sender or an App admin may recall a message' },
  STORE_UNAVAILABLE: { code: 9012, retryable: true, message: 'the store is unavailable (Cassandra unreachable or timing out); nothing was changed or the change will be applied when it returns; retry later' },
  SENDS_IN_FLIGHT: { code: 9013, retryable: true, message: 'too many sends in flight on this connection; not stored, not delivered; retry after an answer' },
} as const satisfies Record<string, { code: number; retryable: boolean; message: string }>

export type ErrorName = keyof typeof ErrorCatalogue

/**
 * A failure with a numeric wire code: the one error shape every layer recognises as coded
 * (anything else thrown is a fault). Crosses threads and nodes as `{code, message}`; the
 * actor runtime raises its own (actors/runtime/errors.ts), the app raises ParleyError.
 */
export class CodedError extends Error {
  constructor(readonly code: number, message: string, readonly retryable: boolean) {
    super(message)
  }
}

/** A failure from the catalogue, by name. */
export class ParleyError extends CodedError {
  /** `detail`: what exactly failed (e.g. `field: why`); the message is the catalogue's with it appended. */
  constructor(readonly errorName: ErrorName, readonly detail?: string) {
    const entry = ErrorCatalogue[errorName]
    super(entry.code, detail ? `${entry.message}: ${detail}` : entry.message, entry.retryable)
  }
}

/** Serializable form of an error, as sent in responses and across threads. */
export interface WireError {
  code: number
  message: string
}

const byCode = new Map<number, ErrorName>(
  (Object.keys(ErrorCatalogue) as ErrorName[]).map((n) => [ErrorCatalogue[n].code, n]),
)

/** Maps any thrown value to a wire error; unknown throws become INTERNAL (20005). */
export function toWireError(err: unknown): WireError {
  if (err instanceof CodedError) return { code: err.code, message: err.message }
  if (isWireError(err)) return { code: err.code, message: err.message }
  return { code: ErrorCatalogue.INTERNAL.code, message: ErrorCatalogue.INTERNAL.message }
}

/** The ParleyError of catalogue `code` (an unknown code: INTERNAL), with `detail`. */
export function errorOfCode(code: number, detail?: string): ParleyError {
  return new ParleyError(byCode.get(code) ?? 'INTERNAL', detail)
}

/** Rebuilds a ParleyError from a wire error received from another thread, node or process. */
export function fromWireError(w: WireError): ParleyError {
  const name = byCode.get(w.code) ?? 'INTERNAL'
  const e = new ParleyError(name)
  e.message = w.message
  return e
}

function isWireError(v: unknown): v is WireError {
  return typeof v === 'object' && v !== null && typeof (v as WireError).code === 'number' &&
    typeof (v as WireError).message === 'string'
}

/** The README error table, generated from the catalogue (`parley error-table`). */
export function errorTableMarkdown(): string {
  const rows = (Object.keys(ErrorCatalogue) as ErrorName[]).map((n) => {
    const e = ErrorCatalogue[n]
    return `| ${e.code} | \`${n}\` | ${e.retryable ? 'yes' : 'no'} | ${e.message} |`
  })
  return ['| Code | Name | Retryable | Meaning |', '|---|---|---|---|', ...rows].join('\n')
}
