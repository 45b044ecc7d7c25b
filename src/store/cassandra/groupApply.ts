/**
 * Applying a decided group commit (groupHeads.ts) to the group tables, as applyCommit.ts
 * does for users: deletions at the decided timestamp `ts`, upserts at `ts + 1`, so a commit
 * that destroys and re-creates keeps its new rows, and re-applying any commit (a retry, a
 * roll-forward by the next reader) never overwrites a later one. Statements go out as
 * parallel unlogged batches (batches.ts).
 *
 * A destroy deletes whole partitions: the record, every member bucket, mutes, requests,
 * dedupe, and every message bucket up to the head's last seq (seqs are contiguous, so the
 * buckets are known without a read); and the group's row of the app listing (groupListing.ts),
 * which every commit with `group` upserts. A recall is the one read: it rewrites stored message rows.
 */
import { type GroupCommit, type GroupRef, groupListKey } from '../GroupStore.js'
import { type GroupMessage, RECALLED_FLAG, recalledGroupMessage } from '../../model/group.js'
import { decodeBlob, encodeBlob } from './codec.js'
import { type Statement, stmt, writeStatements } from './batches.js'
import type { CassandraHandle } from './connect.js'
import { listBucket } from './groupListing.js'
import { bucketOf } from './rows.js'
import { GROUP_MEMBER_BUCKETS, GROUP_MESSAGE_BUCKET } from './schema.js'

/** Dedupe rows expire after this many seconds (well above the 5-minute dedupe window). */
const DEDUPE_TTL_SECONDS = 900


/** Member partition of an account: 32-bit FNV-1a of its UTF-16 code units, mod the bucket count. */
export function memberBucket(account: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < account.length; i++) {
    h ^= account.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h % GROUP_MEMBER_BUCKETS
}

export class GroupCommitApplier {
  private readonly q: Record<string, string>

  constructor(private readonly handle: CassandraHandle) {
    const ks = handle.keyspace
    const del = (table: string, where: string) => `DELETE FROM ${ks}.${table} USING TIMESTAMP ? WHERE ${where}`
    this.q = {
      delGroup: del('groups', 'app = ? AND group_id = ?'),
      delMemberBucket: del('group_members', 'app = ? AND group_id = ? AND bucket = ?'),
      delMutes: del('group_mutes', 'app = ? AND group_id = ?'),
      delRequests: del('group_requests', 'app = ? AND group_id = ?'),
      delDedupe: del('group_dedupe', 'app = ? AND group_id = ?'),
      delMessageBucket: del('group_messages', 'app = ? AND group_id = ? AND bucket = ?'),
      delMember: del('group_members', 'app = ? AND group_id = ? AND bucket = ? AND account = ?'),
      delIndex: del('groups_by_user', 'app = ? AND user_id = ? AND group_id = ?'),
      delListed: del('groups_by_app', 'app = ? AND bucket = ? AND list_key = ? AND group_id = ?'),
      delRequest: del('group_requests', 'app = ? AND group_id = ? AND account = ?'),
      delMute: del('group_mutes', 'app = ? AND group_id = ? AND account = ?'),
      group: `INSERT INTO ${ks}.groups (app, group_id, rec) VALUES (?, ?, ?) USING TIMESTAMP ?`,
      listed: `INSERT INTO ${ks}.groups_by_app (app, bucket, list_key, group_id, type) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?`,
      member: `INSERT INTO ${ks}.group_members (app, group_id, bucket, account, rec) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?`,
      index: `INSERT INTO ${ks}.groups_by_user (app, user_id, group_id, rec) VALUES (?, ?, ?, ?) USING TIMESTAMP ?`,
      mute: `INSERT INTO ${ks}.group_mutes (app, group_id, account, until) VALUES (?, ?, ?, ?) USING TIMESTAMP ?`,
      request: `INSERT INTO ${ks}.group_requests (app, group_id, account, rec) VALUES (?, ?, ?, ?) USING TIMESTAMP ?`,
      message: `INSERT INTO ${ks}.group_messages (app, group_id, bucket, seq, msg) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?`,
      readMessage: `SELECT msg FROM ${ks}.group_messages WHERE app = ? AND group_id = ? AND bucket = ? AND seq = ?`,
      dedupe: `INSERT INTO ${ks}.group_dedupe (app, group_id, sender, random, rec) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ? AND TTL ${DEDUPE_TTL_SECONDS}`,
    }
  }

  /** Writes commit `c` decided at `ts` with the head's resulting `lastSeq`. */
  async apply(g: GroupRef, ts: number, lastSeq: number, c: GroupCommit): Promise<void> {
    const statements = [...this.deletions(g, ts, lastSeq, c), ...this.upserts(g, ts + 1, c), ...await this.recalls(g, ts + 1, c)]
    await writeStatements(this.handle, statements)
  }

  /**
   * The recalled copies of the messages `c.recall` names, read now: a recall rewrites the
   * stored row (one read per seq), so re-applying the commit after a failure reads the row
   * again and writes the same copy. A seq with no row is skipped.
   */
  private async recalls(g: GroupRef, ts: number, c: GroupCommit): Promise<Statement[]> {
    const seqs = c.recall ?? []
    const rows = await Promise.all(seqs.map((seq) => this.handle.client.execute(
      this.q.readMessage!, [g.app, g.groupId, bucketOf(seq, GROUP_MESSAGE_BUCKET), seq],
      { prepare: true, consistency: this.handle.consistency.read },
    ).then((rs) => rs.first())))
    const out: Statement[] = []
    seqs.forEach((seq, i) => {
      const row = rows[i]
      if (!row) return
      const m = decodeBlob<GroupMessage>(row['msg'] as Buffer)
      if (m.flags === RECALLED_FLAG) return
      out.push(blobStmt(this.q.message!, [g.app, g.groupId, bucketOf(seq, GROUP_MESSAGE_BUCKET), seq], encodeBlob(recalledGroupMessage(m)), ts))
    })
    return out
  }

  private deletions(g: GroupRef, ts: number, lastSeq: number, c: GroupCommit): Statement[] {
    const { app, groupId: id } = g
    const q = this.q
    const out: Statement[] = []
    if (c.destroy) {
      out.push(small(q.delGroup!, [ts, app, id]), small(q.delMutes!, [ts, app, id]), small(q.delRequests!, [ts, app, id]),
        small(q.delDedupe!, [ts, app, id]), small(q.delListed!, [ts, app, ...listingKey(id)]))
      for (let b = 0; b < GROUP_MEMBER_BUCKETS; b++) out.push(small(q.delMemberBucket!, [ts, app, id, b]))
      const keptFrom = lastSeq - (c.messages?.length ?? 0)
      for (let b = 0; b <= bucketOf(keptFrom, GROUP_MESSAGE_BUCKET); b++) out.push(small(q.delMessageBucket!, [ts, app, id, b]))
    }
    for (const a of c.removeMembers ?? []) {
      out.push(small(q.delMember!, [ts, app, id, memberBucket(a), a]), small(q.delIndex!, [ts, app, a, id]))
    }
    for (const a of c.removeRequests ?? []) out.push(small(q.delRequest!, [ts, app, id, a]))
    return out
  }

  private upserts(g: GroupRef, ts: number, c: GroupCommit): Statement[] {
    const { app, groupId: id } = g
    const q = this.q
    const out: Statement[] = []
    if (c.group) {
      out.push(blobStmt(q.group!, [app, id], encodeBlob(c.group), ts))
      out.push(small(q.listed!, [app, ...listingKey(id), c.group.type, ts]))
    }
    for (const m of c.members ?? []) {
      out.push(blobStmt(q.member!, [app, id, memberBucket(m.account), m.account], encodeBlob(m), ts))
      out.push(blobStmt(q.index!, [app, m.account, id], encodeBlob({ groupId: id, joinTime: m.joinTime }), ts))
    }
    for (const m of c.mutes ?? []) {
      out.push(m.until === 0 ? small(q.delMute!, [ts, app, id, m.account]) : small(q.mute!, [app, id, m.account, m.until, ts]))
    }
    for (const r of c.requests ?? []) out.push(blobStmt(q.request!, [app, id, r.account], encodeBlob(r), ts))
    for (const m of c.messages ?? []) {
      out.push(blobStmt(q.message!, [app, id, bucketOf(m.seq, GROUP_MESSAGE_BUCKET), m.seq], encodeBlob(m), ts))
    }
    for (const d of c.dedupe ?? []) out.push(blobStmt(q.dedupe!, [app, id, d.from, d.random], encodeBlob(d.record), ts))
    return out
  }
}

/** `(bucket, list_key, group_id)` of a group's `groups_by_app` row. */
function listingKey(groupId: string): [number, number, string] {
  const key = groupListKey(groupId)
  return [listBucket(key), key, groupId]
}

/** A statement of fixed-size parameters (keys, numbers). */
function small(query: string, params: unknown[]): Statement {
  return stmt(query, params, 64)
}

/** An insert whose params are `keys`, then `blob`, then the timestamp. */
function blobStmt(query: string, keys: unknown[], blob: Buffer, ts: number): Statement {
  return stmt(query, [...keys, blob, ts], blob.length + 64)
}
