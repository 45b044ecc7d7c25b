/**
 * Applying a decided commit (heads.ts) to the data tables.
 *
 * Every write carries the commit's decided timestamp: `clearHistory` deletions at `ts`, all
 * other writes at `ts + 1`. So within a commit the new writes survive its own clear (the LMDB
 * order: clear first, then the new writes), and applying the same commit again — a retry,
 * a roll-forward by the next reader, or a stale writer's late duplicate — changes nothing
 * that a later commit wrote. That makes apply idempotent and order-free, so its statements
 * go out as unlogged batches in parallel (batches.ts): if this process dies mid-apply, the
 * next reader of the head — the owner's next activation, on any node, reads it before
 * anything else — applies the `pending` commit again in full.
 *
 * Secondary records are maintained lazily: a clear leaves `message_keys` entries of the
 * removed messages in place, and an upsert that changes the message at (conv, seq) leaves the
 * old key's entry; `findByKey` checks that the message it finds still has the key. This keeps
 * a clear to one read (the conversation's buckets) plus one partition tombstone per bucket.
 */
import type { ConvId } from '../../protocol/events.js'
import type { UserCommit, UserRef } from '../MessageStore.js'
import { encodeBlob } from './codec.js'
import { type Statement, stmt, writeStatements } from './batches.js'
import type { CassandraHandle } from './connect.js'
import { bucketOf } from './rows.js'
import { INBOX_BUCKET, MESSAGE_BUCKET } from './schema.js'

export class CommitApplier {
  private readonly q: Record<'buckets' | 'clearMessages' | 'clearBuckets' | 'inbox' | 'message' | 'msgKey' |
    'addBuckets' | 'conversation' | 'dedupe', string>

  constructor(private readonly handle: CassandraHandle) {
    const ks = handle.keyspace
    this.q = {
      buckets: `SELECT buckets FROM ${ks}.message_buckets WHERE app = ? AND user_id = ? AND conv = ?`,
      clearMessages: `DELETE FROM ${ks}.messages USING TIMESTAMP ? WHERE app = ? AND user_id = ? AND conv = ? AND bucket = ?`,
      clearBuckets: `DELETE FROM ${ks}.message_buckets USING TIMESTAMP ? WHERE app = ? AND user_id = ? AND conv = ?`,
      inbox: `INSERT INTO ${ks}.inbox (app, user_id, bucket, seq, event) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?`,
      message: `INSERT INTO ${ks}.messages (app, user_id, conv, bucket, seq, msg) VALUES (?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`,
      msgKey: `INSERT INTO ${ks}.message_keys (app, user_id, conv, msg_key, seq) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?`,
      addBuckets: `UPDATE ${ks}.message_buckets USING TIMESTAMP ? SET buckets = buckets + ? WHERE app = ? AND user_id = ? AND conv = ?`,
      conversation: `INSERT INTO ${ks}.conversations (app, user_id, conv, rec) VALUES (?, ?, ?, ?) USING TIMESTAMP ?`,
      dedupe: `INSERT INTO ${ks}.dedupe (app, user_id, conv, random, rec) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?`,
    }
  }

  /** The live message buckets of one conversation, ascending. */
  async buckets(owner: UserRef, conv: ConvId): Promise<number[]> {
    const rs = await this.handle.client.execute(this.q.buckets, [owner.app, owner.user, conv],
      { prepare: true, consistency: this.handle.consistency.read })
    const set = rs.first()?.['buckets'] as number[] | null | undefined
    return [...(set ?? [])].sort((a, b) => a - b)
  }

  /** Writes commit `c`, decided with timestamp `ts`; resolves once every write is at `write` consistency. */
  async apply(owner: UserRef, ts: number, c: UserCommit): Promise<void> {
    const statements = [...await this.clears(owner, ts, c.clearHistory ?? []), ...this.writes(owner, ts + 1, c)]
    await writeStatements(this.handle, statements)
  }

  private async clears(owner: UserRef, ts: number, convs: ConvId[]): Promise<Statement[]> {
    const { app, user } = owner
    const out: Statement[] = []
    for (const conv of new Set(convs)) {
      for (const b of await this.buckets(owner, conv)) {
        out.push(stmt(this.q.clearMessages, [ts, app, user, conv, b], conv.length))
      }
      out.push(stmt(this.q.clearBuckets, [ts, app, user, conv], conv.length))
    }
    return out
  }

  private writes(owner: UserRef, ts: number, c: UserCommit): Statement[] {
    const { app, user } = owner
    const out: Statement[] = []
    for (const ev of c.inbox ?? []) {
      const event = encodeBlob(ev)
      out.push(stmt(this.q.inbox, [app, user, bucketOf(ev.seq, INBOX_BUCKET), ev.seq, event, ts], event.length))
    }
    const messages = lastWins(c.messages ?? [], (m) => `${m.conv}\u0000${m.msg.seq}`)
    const buckets = new Map<ConvId, Set<number>>()
    for (const { conv, msg } of messages) {
      const bucket = bucketOf(msg.seq, MESSAGE_BUCKET)
      const blob = encodeBlob(msg)
      out.push(stmt(this.q.message, [app, user, conv, bucket, msg.seq, blob, ts], blob.length + conv.length))
      let set = buckets.get(conv)
      if (!set) buckets.set(conv, (set = new Set()))
      set.add(bucket)
    }
    for (const { conv, msg } of lastWins(messages, (m) => `${m.conv}\u0000${m.msg.msgKey}`)) {
      out.push(stmt(this.q.msgKey, [app, user, conv, msg.msgKey, msg.seq, ts], msg.msgKey.length + conv.length))
    }
    for (const [conv, set] of buckets) {
      out.push(stmt(this.q.addBuckets, [ts, [...set], app, user, conv], conv.length + 8 * set.size))
    }
    for (const rec of lastWins(c.conversations ?? [], (r) => r.conv)) {
      const blob = encodeBlob(rec)
      out.push(stmt(this.q.conversation, [app, user, rec.conv, blob, ts], blob.length + rec.conv.length))
    }
    for (const d of lastWins(c.dedupe ?? [], (x) => `${x.conv}\u0000${x.random}`)) {
      const blob = encodeBlob(d.record)
      out.push(stmt(this.q.dedupe, [app, user, d.conv, d.random, blob, ts], blob.length + d.conv.length))
    }
    return out
  }
}

function lastWins<T>(items: readonly T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>()
  for (const item of items) byKey.set(key(item), item)
  return [...byKey.values()]
}
