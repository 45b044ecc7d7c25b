/**
 * The Cassandra schema of every Cassandra* store, created and migrated at start
 * (`migrate`, called by `connectCassandra`).
 *
 * Versioning: `schema_version` holds one row per applied migration (partition
 * `component = 'parley'`, clustered by version). Migrations run in version order, each
 * exactly once per keyspace; every statement is idempotent (`IF NOT EXISTS`), so a start
 * that dies between a migration's DDL and its version row simply re-runs it. A keyspace at
 * a version newer than this build knows is refused rather than used.
 *
 * Concurrency: several nodes may start at once against a fresh keyspace. The one that wins
 * a lightweight-transaction lease (`schema_lock`, TTL 300 s) runs the pending migrations;
 * the others poll `schema_version` until it reaches the latest version. The keyspace and the
 * two bookkeeping tables are created before the lease exists; concurrent `IF NOT EXISTS`
 * DDL through one coordinator is serialised by Cassandra, and across coordinators it is the
 * one unprotected step (start one node first on a brand-new multi-node cluster).
 *
 * Partition design (bounded by construction; see docs/cassandra.md for the sizes):
 *
 * | table             | partition key                        | clustering | holds                      |
 * |-------------------|--------------------------------------|------------|----------------------------|
 * | `heads`           | (app, user_id)                       | —          | commit version, last inbox seq, write timestamp, pending commit |
 * | `inbox`           | (app, user_id, bucket = seq / 1000)  | seq ASC    | InboxEvent                 |
 * | `messages`        | (app, user_id, conv, bucket = seq / 1000) | seq DESC | StoredMessage           |
 * | `message_buckets` | (app, user_id, conv)                 | —          | set of live message buckets|
 * | `message_keys`    | (app, user_id, conv, msg_key)        | —          | seq of a MsgKey            |
 * | `dedupe`          | (app, user_id, conv, random)         | —          | DedupeRecord               |
 * | `conversations`   | (app, user_id)                       | conv       | ConversationRecord         |
 * | `accounts`        | (app, user_id)                       | —          | AccountRecord              |
 * | `group_heads`     | (app, group_id)                      | —          | commit version, last message seq, write timestamp, pending commit |
 * | `groups`          | (app, group_id)                      | —          | GroupRecord                |
 * | `group_members`   | (app, group_id, bucket = hash(account) % 16) | account | MemberRecord       |
 * | `group_mutes`     | (app, group_id)                      | account    | mute end (unix s)          |
 * | `group_requests`  | (app, group_id)                      | account    | JoinRequest                |
 * | `group_messages`  | (app, group_id, bucket = seq / 1000) | seq DESC   | GroupMessage               |
 * | `group_dedupe`    | (app, group_id)                      | sender, random | GroupDedupeRecord (TTL) |
 * | `groups_by_user`  | (app, user_id)                       | group_id   | JoinedGroup (the index)    |
 * | `groups_by_app`   | (app, bucket = list_key >> 46)       | list_key, group_id | GroupType (the app listing) |
 * | `profiles`        | (app, user_id)                       | tag        | a profile tag's value      |
 * | `friends`         | (app, user_id)                       | friend_id  | FriendRecord (≤ 3,000 per user) |
 * | `blacklist`       | (app, user_id)                       | blocked_id | block time (≤ 1,000 per user) |
 *
 * The one-writer tables (version 5; CassandraShardLog.ts and CassandraConvIndex.ts say how
 * they are written):
 *
 * | table               | partition key                               | clustering | holds                      |
 * |---------------------|---------------------------------------------|------------|----------------------------|
 * | `shard_heads`       | (app, shard)                                | —          | epoch, last accepted LSN, each live epoch's first LSN (LWT only) |
 * | `shard_log`         | (app, shard, bucket = lsn / 10,000)         | lsn, epoch | one log record             |
 * | `shard_checkpoints` | (app, shard)                                | —          | checkpoint LSN, trimmed-up-to LSN |
 * | `conv_history`      | (app, user_a, user_b, bucket = seq / 1000)  | seq DESC   | StoredMessage (once per pair) |
 * | `conv_pairs`        | (app, user_a, user_b)                       | —          | the pair's highest seq     |
 * | `conv_keys`         | (app, user_a, user_b, msg_key)              | —          | seq of a MsgKey            |
 * | `conv_streams`      | (app, user_id, shard, bucket = seq / 1000)  | seq ASC    | InboxEvent of a user's stream in a shard |
 * | `conv_views`        | (app, user_id)                              | peer       | ConversationRecord, LSN of the last record applied |
 * | `conv_shards`       | (app, user_id)                              | shard      | the user's stream head in that shard |
 * | `conv_user_shards`  | (app, user_id)                              | shard      | presence: the user has a stream there (written with its first record) |
 *
 * Bucket sizes are part of every row's address: changing INBOX_BUCKET or MESSAGE_BUCKET
 * needs a migration that rewrites the data (so does GROUP_LIST_BUCKETS, or the listing key).
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import cassandra, { type Client } from 'cassandra-driver'
import type { Consistencies } from './consistency.js'

/** Inbox events per `inbox` partition. */
export const INBOX_BUCKET = 1000
/** Messages per `messages` partition (per owner and conversation). */
export const MESSAGE_BUCKET = 1000
/** Messages per `group_messages` partition (per group). */
export const GROUP_MESSAGE_BUCKET = 1000
/** Member partitions per group: a 100,000-member Community keeps ~6,250 rows per partition. */
export const GROUP_MEMBER_BUCKETS = 16
/**
 * Partitions of an app's group listing (`groups_by_app`): the top 6 bits of the 52-bit
 * listing key (GroupStore.ts `groupListKey`), so 1,000,000 groups keep ~15,600 rows each.
 */
export const GROUP_LIST_BUCKETS = 64
/** LSNs per `shard_log` partition: trimming drops whole partitions behind the checkpoint. */
export const SHARD_LOG_BUCKET = 10_000
/** Messages per `conv_history` partition (per pair). */
export const CONV_HISTORY_BUCKET = 1000
/** Events per `conv_streams` partition (per user and shard). */
export const CONV_STREAM_BUCKET = 1000

export interface Migration {
  readonly version: number
  readonly description: string
  /** CQL statements for keyspace `ks`, run in order; each must be idempotent. */
  statements(ks: string): string[]
}

/** Every migration, in version order. Append only: never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'message store (heads, inbox, messages, indexes, conversations) and accounts',
    statements: (ks) => [
      `CREATE TABLE IF NOT EXISTS ${ks}.heads (
        app bigint, user_id text, version bigint, last_seq bigint, last_ts bigint, pending blob,
        PRIMARY KEY ((app, user_id))
      ) WITH compaction = {'class': 'LeveledCompactionStrategy'}`,
      `CREATE TABLE IF NOT EXISTS ${ks}.inbox (
        app bigint, user_id text, bucket int, seq bigint, event blob,
        PRIMARY KEY ((app, user_id, bucket), seq)
      ) WITH CLUSTERING ORDER BY (seq ASC)`,
      `CREATE TABLE IF NOT EXISTS ${ks}.messages (
        app bigint, user_id text, conv text, bucket int, seq bigint, msg blob,
        PRIMARY KEY ((app, user_id, conv, bucket), seq)
      ) WITH CLUSTERING ORDER BY (seq DESC)`,
      `CREATE TABLE IF NOT EXISTS ${ks}.message_buckets (
        app bigint, user_id text, conv text, buckets set<int>,
        PRIMARY KEY ((app, user_id, conv))
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.message_keys (
        app bigint, user_id text, conv text, msg_key text, seq bigint,
        PRIMARY KEY ((app, user_id, conv, msg_key))
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.dedupe (
        app bigint, user_id text, conv text, random bigint, rec blob,
        PRIMARY KEY ((app, user_id, conv, random))
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.conversations (
        app bigint, user_id text, conv text, rec blob,
        PRIMARY KEY ((app, user_id), conv)
      ) WITH compaction = {'class': 'LeveledCompactionStrategy'}`,
      `CREATE TABLE IF NOT EXISTS ${ks}.accounts (
        app bigint, user_id text, rec blob,
        PRIMARY KEY ((app, user_id))
      )`,
    ],
  },
  {
    version: 2,
    description: 'group store (heads, groups, members, mutes, requests, messages, dedupe, joined-group index)',
    statements: (ks) => [
      `CREATE TABLE IF NOT EXISTS ${ks}.group_heads (
        app bigint, group_id text, version bigint, last_seq bigint, last_ts bigint, pending blob,
        PRIMARY KEY ((app, group_id))
      ) WITH compaction = {'class': 'LeveledCompactionStrategy'}`,
      `CREATE TABLE IF NOT EXISTS ${ks}.groups (
        app bigint, group_id text, rec blob,
        PRIMARY KEY ((app, group_id))
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.group_members (
        app bigint, group_id text, bucket int, account text, rec blob,
        PRIMARY KEY ((app, group_id, bucket), account)
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.group_mutes (
        app bigint, group_id text, account text, until bigint,
        PRIMARY KEY ((app, group_id), account)
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.group_requests (
        app bigint, group_id text, account text, rec blob,
        PRIMARY KEY ((app, group_id), account)
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.group_messages (
        app bigint, group_id text, bucket int, seq bigint, msg blob,
        PRIMARY KEY ((app, group_id, bucket), seq)
      ) WITH CLUSTERING ORDER BY (seq DESC)`,
      `CREATE TABLE IF NOT EXISTS ${ks}.group_dedupe (
        app bigint, group_id text, sender text, random bigint, rec blob,
        PRIMARY KEY ((app, group_id), sender, random)
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.groups_by_user (
        app bigint, user_id text, group_id text, rec blob,
        PRIMARY KEY ((app, user_id), group_id)
      )`,
    ],
  },
  {
    version: 3,
    description: 'app-wide group listing (groups_by_app)',
    statements: (ks) => [
      `CREATE TABLE IF NOT EXISTS ${ks}.groups_by_app (
        app bigint, bucket int, list_key bigint, group_id text, type text,
        PRIMARY KEY ((app, bucket), list_key, group_id)
      ) WITH CLUSTERING ORDER BY (list_key ASC, group_id ASC)`,
    ],
  },
  {
    version: 4,
    description: 'profiles, friend lists and blacklists',
    statements: (ks) => [
      `CREATE TABLE IF NOT EXISTS ${ks}.profiles (
        app bigint, user_id text, tag text, value blob,
        PRIMARY KEY ((app, user_id), tag)
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.friends (
        app bigint, user_id text, friend_id text, rec blob,
        PRIMARY KEY ((app, user_id), friend_id)
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.blacklist (
        app bigint, user_id text, blocked_id text, added_at bigint,
        PRIMARY KEY ((app, user_id), blocked_id)
      )`,
    ],
  },
  {
    version: 5,
    description: 'one writer per conversation: shard heads, shard logs, checkpoints and the indexes derived from the logs',
    statements: (ks) => [
      `CREATE TABLE IF NOT EXISTS ${ks}.shard_heads (
        app bigint, shard int, epoch bigint, last_lsn bigint, epochs blob,
        PRIMARY KEY ((app, shard))
      ) WITH compaction = {'class': 'LeveledCompactionStrategy'}`,
      // Trimmed rows are never read again (replay starts above the checkpoint, and a row
      // brought back by a late repair is at or below it), so tombstones may go after the
      // hint window instead of the default 10 days of a dead log on disk.
      `CREATE TABLE IF NOT EXISTS ${ks}.shard_log (
        app bigint, shard int, bucket int, lsn bigint, epoch bigint, rec blob,
        PRIMARY KEY ((app, shard, bucket), lsn, epoch)
      ) WITH CLUSTERING ORDER BY (lsn ASC, epoch ASC) AND gc_grace_seconds = 10800`,
      `CREATE TABLE IF NOT EXISTS ${ks}.shard_checkpoints (
        app bigint, shard int, checkpoint_lsn bigint, trimmed_lsn bigint,
        PRIMARY KEY ((app, shard))
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.conv_history (
        app bigint, user_a text, user_b text, bucket int, seq bigint, msg blob,
        PRIMARY KEY ((app, user_a, user_b, bucket), seq)
      ) WITH CLUSTERING ORDER BY (seq DESC)`,
      `CREATE TABLE IF NOT EXISTS ${ks}.conv_pairs (
        app bigint, user_a text, user_b text, last_seq bigint,
        PRIMARY KEY ((app, user_a, user_b))
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.conv_keys (
        app bigint, user_a text, user_b text, msg_key text, seq bigint,
        PRIMARY KEY ((app, user_a, user_b, msg_key))
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.conv_streams (
        app bigint, user_id text, shard int, bucket int, seq bigint, event blob,
        PRIMARY KEY ((app, user_id, shard, bucket), seq)
      ) WITH CLUSTERING ORDER BY (seq ASC)`,
      `CREATE TABLE IF NOT EXISTS ${ks}.conv_views (
        app bigint, user_id text, peer text, rec blob, lsn bigint,
        PRIMARY KEY ((app, user_id), peer)
      ) WITH compaction = {'class': 'LeveledCompactionStrategy'}`,
      `CREATE TABLE IF NOT EXISTS ${ks}.conv_shards (
        app bigint, user_id text, shard int, head bigint,
        PRIMARY KEY ((app, user_id), shard)
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.conv_user_shards (
        app bigint, user_id text, shard int,
        PRIMARY KEY ((app, user_id), shard)
      )`,
    ],
  },
]

/** Every data table of the stores (not the schema bookkeeping), as created by MIGRATIONS. */
export const DATA_TABLES = [
  'heads', 'inbox', 'messages', 'message_buckets', 'message_keys', 'dedupe', 'conversations', 'accounts',
  'group_heads', 'groups', 'group_members', 'group_mutes', 'group_requests', 'group_messages', 'group_dedupe',
  'groups_by_user', 'groups_by_app', 'profiles', 'friends', 'blacklist',
] as const

/** The one-writer tables (migration 5): the shard logs and the indexes derived from them. */
export const CONV_TABLES = [
  'shard_heads', 'shard_log', 'shard_checkpoints',
  'conv_history', 'conv_pairs', 'conv_keys', 'conv_streams', 'conv_views', 'conv_shards', 'conv_user_shards',
] as const

/** The newest schema version this build writes and reads. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/** Raised when the keyspace cannot be brought to this build's schema. */
export class CassandraSchemaError extends Error {
  override readonly name = 'CassandraSchemaError'
}

/**
 * Replication of the keyspace, used only when `migrate` creates it (an existing keyspace
 * keeps its own). Strategy option names and values are CQL identifiers or numbers.
 */
export type Replication =
  | { class: 'SimpleStrategy'; replication_factor: number }
  | { class: 'NetworkTopologyStrategy'; [dataCenter: string]: number | string }

const COMPONENT = 'parley'
const LOCK_TTL_SECONDS = 300
const LOCK_POLL_MS = 500
/** How long a start waits for another node's migration before giving up. */
const MIGRATION_WAIT_MS = 5 * 60_000

/** Unquoted CQL identifiers fold to lower case; 48 characters is Cassandra's limit. */
export function checkKeyspaceName(ks: string): string {
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(ks)) {
    throw new CassandraSchemaError(`keyspace name "${ks}" must match [a-z][a-z0-9_]{0,47}`)
  }
  return ks
}

export function replicationCql(r: Replication): string {
  const entries = Object.entries(r).map(([k, v]) => {
    const value = String(v)
    if (!/^[A-Za-z0-9_.-]+$/.test(k) || !/^[A-Za-z0-9_.-]+$/.test(value)) {
      throw new CassandraSchemaError(`invalid replication option ${k}=${value}`)
    }
    return `'${k}': '${value}'`
  })
  return `{${entries.join(', ')}}`
}

/**
 * Creates the keyspace if missing and applies every pending migration (see the file
 * comment). Resolves once the keyspace is at LATEST_SCHEMA_VERSION.
 */
export async function migrate(client: Client, ks: string, replication: Replication, cl: Consistencies): Promise<void> {
  checkKeyspaceName(ks)
  // The usual start (every thread of every node, on a keyspace already migrated) is one
  // read: no DDL, so no wait for schema agreement on a busy cluster.
  if (await appliedVersionIfAny(client, ks, cl) === LATEST_SCHEMA_VERSION) return
  await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = ${replicationCql(replication)}`)
  await client.execute(`CREATE TABLE IF NOT EXISTS ${ks}.schema_version (
    component text, version int, description text, applied_at timestamp,
    PRIMARY KEY (component, version)
  ) WITH CLUSTERING ORDER BY (version DESC)`)
  await client.execute(`CREATE TABLE IF NOT EXISTS ${ks}.schema_lock (component text PRIMARY KEY, holder text)`)

  const deadline = Date.now() + MIGRATION_WAIT_MS
  for (;;) {
    const current = await appliedVersion(client, ks, cl)
    if (current > LATEST_SCHEMA_VERSION) {
      throw new CassandraSchemaError(
        `keyspace ${ks} is at schema version ${current}, newer than this build's ${LATEST_SCHEMA_VERSION}`)
    }
    if (current === LATEST_SCHEMA_VERSION) return
    const holder = randomUUID()
    if (await tryLock(client, ks, holder, cl)) {
      try {
        await applyPending(client, ks, await appliedVersion(client, ks, cl), cl)
      } finally {
        await client.execute(`DELETE FROM ${ks}.schema_lock WHERE component = ? IF holder = ?`, [COMPONENT, holder],
          { prepare: true, consistency: cl.write, serialConsistency: cl.serial })
      }
      continue
    }
    if (Date.now() > deadline) {
      throw new CassandraSchemaError(`keyspace ${ks}: another node held the migration lock for over ${MIGRATION_WAIT_MS} ms`)
    }
    await delay(LOCK_POLL_MS)
  }
}

/** The applied version, or undefined when the keyspace or its bookkeeping table is missing. */
async function appliedVersionIfAny(client: Client, ks: string, cl: Consistencies): Promise<number | undefined> {
  try {
    return await appliedVersion(client, ks, cl)
  } catch (err) {
    if (isMissingSchema(err)) return undefined
    throw err
  }
}

/** Cassandra's "invalid query" answer: here, an unknown keyspace or table. */
function isMissingSchema(err: unknown): boolean {
  return err instanceof cassandra.errors.ResponseError && err.code === cassandra.types.responseErrorCodes.invalid
}

async function appliedVersion(client: Client, ks: string, cl: Consistencies): Promise<number> {
  const rs = await client.execute(`SELECT version FROM ${ks}.schema_version WHERE component = ? LIMIT 1`, [COMPONENT],
    { prepare: true, consistency: cl.read })
  const row = rs.first()
  return row ? Number(row['version']) : 0
}

async function tryLock(client: Client, ks: string, holder: string, cl: Consistencies): Promise<boolean> {
  const rs = await client.execute(
    `INSERT INTO ${ks}.schema_lock (component, holder) VALUES (?, ?) IF NOT EXISTS USING TTL ${LOCK_TTL_SECONDS}`,
    [COMPONENT, holder], { prepare: true, consistency: cl.write, serialConsistency: cl.serial })
  return rs.wasApplied()
}

async function applyPending(client: Client, ks: string, from: number, cl: Consistencies): Promise<void> {
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue
    // The driver waits for schema agreement after each DDL statement before resolving.
    for (const cql of m.statements(ks)) await client.execute(cql)
    await client.execute(
      `INSERT INTO ${ks}.schema_version (component, version, description, applied_at) VALUES (?, ?, ?, ?)`,
      [COMPONENT, m.version, m.description, new Date()], { prepare: true, consistency: cl.write })
  }
}
