/**
 * Group commit heads: the row `group_heads(app, group_id)` through which every commit of
 * CassandraGroupStore is decided — the approach of heads.ts, per group instead of per user.
 *
 * One lightweight transaction moves the head from version v to v+1 (`IF version = v`, or
 * `IF NOT EXISTS` for the first commit), recording the new last message seq, the commit's
 * write timestamp and the commit itself as `pending`. Of two writers that both believe they
 * host the group's actor, exactly one decides each version; the loser wrote nothing. The
 * pending commit is re-applied by whoever reads the head next, and every write carries the
 * decided timestamp, so a repeated apply never overwrites a newer commit.
 *
 * The head outlives a group's destroy, so `last_seq` never goes back: a seq is never reused.
 */
import type { GroupCommit, GroupRef } from '../GroupStore.js'
import { decodeBlob, encodeBlob } from './codec.js'
import type { CassandraHandle } from './connect.js'
import { toNumber } from './rows.js'

export interface GroupHead {
  /** Commits decided so far; 0 when none (no row). */
  readonly version: number
  /** Highest message seq decided. */
  readonly lastSeq: number
  /** Write timestamp (µs) of the latest decided commit: deletions at `ts`, upserts at `ts + 1`. */
  readonly ts: number
  readonly pending?: GroupCommit
}

export const NO_GROUP_HEAD: GroupHead = { version: 0, lastSeq: 0, ts: 0 }

export function nextGroupHead(h: GroupHead, c: GroupCommit, nowMs: number): GroupHead {
  return { version: h.version + 1, lastSeq: h.lastSeq + (c.messages?.length ?? 0), ts: Math.max(nowMs * 1000, h.ts + 2) }
}

export class GroupHeadTable {
  private readonly q: { read: string; insert: string; update: string }

  constructor(private readonly handle: CassandraHandle) {
    const ks = handle.keyspace
    this.q = {
      read: `SELECT version, last_seq, last_ts, pending FROM ${ks}.group_heads WHERE app = ? AND group_id = ?`,
      insert: `INSERT INTO ${ks}.group_heads (app, group_id, version, last_seq, last_ts, pending)
        VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
      update: `UPDATE ${ks}.group_heads SET version = ?, last_seq = ?, last_ts = ?, pending = ?
        WHERE app = ? AND group_id = ? IF version = ?`,
    }
  }

  /** Reads at the serial consistency (completing any Paxos round a failed writer left). */
  async read(g: GroupRef): Promise<GroupHead> {
    const rs = await this.handle.client.execute(this.q.read, [g.app, g.groupId],
      { prepare: true, consistency: this.handle.consistency.serial })
    const row = rs.first()
    if (!row) return NO_GROUP_HEAD
    const pending = row['pending'] as Buffer | null
    return {
      version: toNumber(row['version']),
      lastSeq: toNumber(row['last_seq']),
      ts: toNumber(row['last_ts']),
      ...(pending ? { pending: decodeBlob<GroupCommit>(pending) } : {}),
    }
  }

  /** True when decided; false when another writer moved the head first; rejects when unknown. */
  async decide(g: GroupRef, from: GroupHead, to: GroupHead, c: GroupCommit): Promise<boolean> {
    const pending = encodeBlob(c)
    const opts = { prepare: true, consistency: this.handle.consistency.write, serialConsistency: this.handle.consistency.serial }
    const rs = from.version === 0
      ? await this.handle.client.execute(this.q.insert, [g.app, g.groupId, to.version, to.lastSeq, to.ts, pending], opts)
      : await this.handle.client.execute(this.q.update, [to.version, to.lastSeq, to.ts, pending, g.app, g.groupId, from.version], opts)
    return rs.wasApplied()
  }
}
