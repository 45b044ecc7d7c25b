/**
 * Group commit per owner. A session pipelines its commits (it issues the next before the
 * previous resolves); every Cassandra commit costs one lightweight transaction (four Paxos
 * round trips), so commits of one owner that queue up while one is in flight are merged and
 * decided together: one LWT for the lot. Order is kept: commits run one batch at a time, in
 * call order, and a merged commit means exactly what the separate ones would have meant
 * applied in turn (see `mergeCommits`). Every caller of a batch gets the batch's outcome.
 */
import type { UserCommit } from '../MessageStore.js'

/** At most this many commits are merged into one (bounds the decided commit's size). */
export const MAX_MERGED = 64

interface Waiting { c: UserCommit; resolve: () => void; reject: (e: unknown) => void }

export class CommitQueue {
  private readonly queues = new Map<string, Waiting[]>()

  /** Queues `c` for `key`; `run` decides and applies one (merged) commit at a time per key. */
  submit(key: string, c: UserCommit, run: (merged: UserCommit) => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const q = this.queues.get(key)
      if (q) {
        q.push({ c, resolve, reject })
        return
      }
      const fresh: Waiting[] = [{ c, resolve, reject }]
      this.queues.set(key, fresh)
      void this.drain(key, fresh, run)
    })
  }

  private async drain(key: string, q: Waiting[], run: (merged: UserCommit) => Promise<void>): Promise<void> {
    while (q.length > 0) {
      const batch = takeBatch(q)
      try {
        await run(batch.length === 1 ? batch[0].c : mergeCommits(batch.map((w) => w.c)))
        for (const w of batch) w.resolve()
      } catch (e) {
        for (const w of batch) w.reject(e)
      }
    }
    this.queues.delete(key)
  }
}

/** Removes and returns the next batch: up to MAX_MERGED commits, a history clear only first. */
function takeBatch(q: Waiting[]): Waiting[] {
  let n = 1
  while (n < q.length && n < MAX_MERGED && !(q[n].c.clearHistory?.length)) n++
  return q.splice(0, n)
}

/**
 * One commit equivalent to applying `cs` in order: their writes concatenated, in order. A
 * record written by several of them appears several times; the applier writes each record
 * once, the last occurrence (applyCommit.ts `lastWins`), because Cassandra breaks a tie
 * between writes with one timestamp by value, not by order. A history clear may only be in
 * the first commit (its clears are written before the rest).
 */
export function mergeCommits(cs: readonly UserCommit[]): UserCommit {
  if (cs.slice(1).some((c) => c.clearHistory?.length)) throw new Error('mergeCommits: a history clear must come first')
  const all = <K extends keyof UserCommit>(k: K) => cs.flatMap((c) => (c[k] ?? []) as NonNullable<UserCommit[K]>[number][])
  const merged: UserCommit = {
    inbox: all('inbox'), messages: all('messages'), conversations: all('conversations'), dedupe: all('dedupe'),
  }
  if (cs[0]?.clearHistory?.length) merged.clearHistory = cs[0].clearHistory
  return merged
}
