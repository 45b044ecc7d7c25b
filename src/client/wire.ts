/**
 * The one-to-one wire the SDK speaks: one event stream per (user, conversation shard), as
 * docs/one-writer.md ("Wire protocol (planned)") specifies. Declared here, in the SDK, until
 * src/protocol/frames.ts carries the same shapes (the names match the ones they replace there:
 * `LoginResult`, `SyncResult`, `SendResult`, and the `sync` request). Types only.
 */
import type { InboxEvent } from '../protocol/events.js'
import type { ClientFrame } from '../protocol/frames.js'

/**
 * `login`'s result. `shards` is every shard where the user has a stream, exactly: a shard
 * enters it before its first event for the user is acknowledged and never leaves it while
 * the data lives. (No `inboxSeq`: there is no single inbox.)
 */
export interface LoginResult { userId: string; connId: string; serverTime: number; shards: number[]; maxSendsInFlight: number }

/** One page of shard `sh`'s stream above `after` (at most `limit` events, 1..100; the server's default 100). */
export interface SyncFrame { op: 'sync'; rid: number; sh: number; after: number; limit?: number }

/**
 * `sync`'s result: the events of shard `sh`'s stream after `after`, ascending; `upTo` is the
 * seq the cursor may move to (the last event's, or `after` when nothing is newer, or the
 * stream's head when `after` is above it: the cursor is from other data); `more` says
 * another page is owed.
 */
export interface SyncResult { sh: number; events: InboxEvent[]; upTo: number; more: boolean }

/** What ShardedInbox reads from a sync page (the shard is the one it asked for). */
export type SyncPage = Pick<SyncResult, 'events' | 'upTo' | 'more'>

/**
 * `send`'s result: the msgKey, the time (unix s), the conversation seq, and the sender's own
 * copy: `inboxSeq` is its seq in the sender's stream of shard `sh` (0 when the sender keeps
 * no copy, e.g. online-only).
 */
export interface SendResult { msgKey: string; msgTime: number; seq: number; sh: number; inboxSeq: number }

/** Every request frame the SDK writes: the protocol's ops, with `sync` per shard. */
export type WireFrame = Exclude<ClientFrame, { op: 'sync' }> | SyncFrame
