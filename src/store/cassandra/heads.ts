/**
 * Commit heads: the per-owner row `heads(app, user_id)` through which every commit of
 * CassandraMessageStore is decided (the store remembers recent heads in an `Lru`, src/core/lru.ts).
 *
 * A commit is decided by one lightweight transaction on the owner's head,
 * `UPDATE heads SET version = v+1, last_seq = …, last_ts = …, pending = <commit> IF version = v`
 * (`INSERT … IF NOT EXISTS` for an owner's first commit). Paxos makes that compare-and-set
 * linearizable, so of several writers that read the same head — two nodes that both believe
 * they host the owner's session actor during a failover — exactly one decides the next
 * version; the others see a newer head, re-check their inbox seqs against it and are
 * rejected. No inbox seq is ever assigned twice, and the loser has written nothing.
 *
 * The decided commit is kept in `pending` until the next commit replaces it, so a writer
 * that dies after deciding but before applying its writes loses nothing: whoever reads the
 * head next (the owner's next activation via `lastInboxSeq`, or the next commit) re-applies
 * it. Re-applying is harmless because every write of a commit carries its decided timestamp
 * (`last_ts`, microseconds, strictly increasing per owner), so a late or repeated apply of an
 * older commit never overwrites a newer one.
 */
import type { UserCommit, UserRef } from '../MessageStore.js'
import { decodeBlob, encodeBlob } from './codec.js'
import type { CassandraHandle } from './connect.js'
import { toNumber } from './rows.js'

export interface Head {
  /** Commits decided so far for the owner; 0 when it has none (no row). */
  readonly version: number
  /** Highest inbox seq decided. */
  readonly lastSeq: number
  /**
   * Write timestamp (µs) of the latest decided commit: its clears are written at `ts`, its
   * other writes at `ts + 1`; the next commit's `ts` is at least `ts + 2`.
   */
  readonly ts: number
  /** The latest decided commit when this process has not yet seen it applied. */
  readonly pending?: UserCommit
}

export const NO_HEAD: Head = { version: 0, lastSeq: 0, ts: 0 }

/** The head after deciding `c` on top of `h` (without `pending`: the decider applies it). */
export function nextHead(h: Head, c: UserCommit, nowMs: number): Head {
  return {
    version: h.version + 1,
    lastSeq: h.lastSeq + (c.inbox?.length ?? 0),
    ts: Math.max(nowMs * 1000, h.ts + 2),
  }
}

export class HeadTable {
  private readonly q: { read: string; insert: string; update: string }

  constructor(private readonly handle: CassandraHandle) {
    const ks = handle.keyspace
    this.q = {
      read: `SELECT version, last_seq, last_ts, pending FROM ${ks}.heads WHERE app = ? AND user_id = ?`,
      insert: `INSERT INTO ${ks}.heads (app, user_id, version, last_seq, last_ts, pending)
        VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
      update: `UPDATE ${ks}.heads SET version = ?, last_seq = ?, last_ts = ?, pending = ?
        WHERE app = ? AND user_id = ? IF version = ?`,
    }
  }

  /**
   * Reads the head at the serial consistency, which also completes any Paxos round left
   * in flight by a failed writer, so the result is the latest decided head.
   */
  async read(owner: UserRef): Promise<Head> {
    const rs = await this.handle.client.execute(this.q.read, [owner.app, owner.user],
      { prepare: true, consistency: this.handle.consistency.serial })
    const row = rs.first()
    if (!row) return NO_HEAD
    const pending = row['pending'] as Buffer | null
    return {
      version: toNumber(row['version']),
      lastSeq: toNumber(row['last_seq']),
      ts: toNumber(row['last_ts']),
      ...(pending ? { pending: decodeBlob<UserCommit>(pending) } : {}),
    }
  }

  /**
   * Decides `c` as the owner's next commit if the stored head is still `from`. Resolves
   * true when decided, false when another writer moved the head first. Rejects when the
   * outcome is unknown (timeout, contention): the caller must re-read the head.
   */
  async decide(owner: UserRef, from: Head, to: Head, c: UserCommit): Promise<boolean> {
    const pending = encodeBlob(c)
    const opts = { prepare: true, consistency: this.handle.consistency.write, serialConsistency: this.handle.consistency.serial }
    const rs = from.version === 0
      ? await this.handle.client.execute(this.q.insert,
        [owner.app, owner.user, to.version, to.lastSeq, to.ts, pending], opts)
      : await this.handle.client.execute(this.q.update,
        [to.version, to.lastSeq, to.ts, pending, owner.app, owner.user, from.version], opts)
    return rs.wasApplied()
  }
}
