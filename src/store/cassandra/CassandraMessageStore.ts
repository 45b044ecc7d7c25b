/**
 * MessageStore on Cassandra (tables in schema.ts, consistency levels in consistency.ts).
 *
 * Commit protocol — decide, then apply:
 * 1. Decide (heads.ts): check the inbox seqs against the owner's head, then one lightweight
 *    transaction moves the head from version v to v+1 and stores the commit as `pending`.
 *    A gap or duplicate seq is rejected before this step, and a lost race (another writer
 *    moved the head) is re-checked against the new head and rejected: nothing is written.
 * 2. Apply (applyCommit.ts): the commit's rows, written with the decided timestamp as
 *    parallel UNLOGGED batches. `commit` resolves once they are written at the `write` level.
 * A commit whose apply fails after step 1 rejects (INTERNAL), but it is decided: the next
 * `lastInboxSeq` or `commit` for the owner re-applies it before anything else (roll-forward),
 * so every commit is all-or-nothing as seen through the owner's head. Readers that bypass
 * the head (`readInbox`, `readHistory`, …) may briefly see part of a commit that is still
 * being applied, never a part of a rejected one; `readInbox` stops at the first gap, so a
 * device cursor never skips an event.
 *
 * Costs: `readInbox` reads only the inbox buckets its range covers (one or two for a page
 * under 1,000 events) and stops at `limit` rows: O(limit). `lastInboxSeq` is one serial read
 * of the head. `readHistory` reads the conversation's bucket set, then walks buckets newest
 * first from `beforeSeq`, stopping at `limit` matches (time bounds filter that walk, as in
 * LMDB). `findByKey` is two point reads; `listConversations` one partition; `clearHistory`
 * one read plus one partition tombstone per message bucket of the conversation. A commit is
 * one serial head read when the head is not cached, one LWT and the batches — shared by all
 * the owner's commits that queued meanwhile (group commit, commitQueue.ts).
 */
import { ParleyError } from '../../core/errors.js'
import type { ConvId, InboxEvent } from '../../protocol/events.js'
import type { StoredMessage } from '../../model/message.js'
import type {
  ConversationRecord, DedupeRecord, HistoryQuery, MessageStore, UserCommit, UserRef,
} from '../MessageStore.js'
import { CommitApplier } from './applyCommit.js'
import { decodeBlob } from './codec.js'
import { CommitQueue } from './commitQueue.js'
import type { CassandraHandle } from './connect.js'
import { Lru } from '../../core/lru.js'
import { HeadTable, nextHead, type Head } from './heads.js'
import { bucketOf, toNumber } from './rows.js'
import { INBOX_BUCKET, MESSAGE_BUCKET } from './schema.js'

/** Decide attempts per commit when other writers keep moving the head without a seq conflict. */
const MAX_DECIDE_ATTEMPTS = 5
/** Rows per page when a time-bounded history scan pages through a bucket. */
const HISTORY_PAGE = 200

type Queries = Record<'inbox' | 'history' | 'historyLimit' | 'historyBefore' | 'historyBeforeLimit' | 'message' |
  'msgKey' | 'dedupe' | 'conversation' | 'conversations', string>

export class CassandraMessageStore implements MessageStore {
  private readonly release: () => Promise<void>
  private readonly heads: HeadTable
  /** The most recently used heads (`headCacheSize` owners). */
  private readonly cache: Lru<Head>
  private readonly queue = new CommitQueue()
  private readonly applier: CommitApplier
  private readonly q: Queries

  /** Acquires `handle` (from `connectCassandra`); `close()` releases it. */
  constructor(private readonly handle: CassandraHandle, private readonly now: () => number = Date.now) {
    this.release = handle.acquire()
    this.heads = new HeadTable(handle)
    this.cache = new Lru<Head>(handle.headCacheSize)
    this.applier = new CommitApplier(handle)
    const ks = handle.keyspace
    const hist = `SELECT msg FROM ${ks}.messages WHERE app = ? AND user_id = ? AND conv = ? AND bucket = ?`
    this.q = {
      inbox: `SELECT event FROM ${ks}.inbox WHERE app = ? AND user_id = ? AND bucket = ? AND seq >= ? LIMIT ?`,
      history: hist,
      historyLimit: `${hist} LIMIT ?`,
      historyBefore: `${hist} AND seq < ?`,
      historyBeforeLimit: `${hist} AND seq < ? LIMIT ?`,
      message: `${hist} AND seq = ?`,
      msgKey: `SELECT seq FROM ${ks}.message_keys WHERE app = ? AND user_id = ? AND conv = ? AND msg_key = ?`,
      dedupe: `SELECT rec FROM ${ks}.dedupe WHERE app = ? AND user_id = ? AND conv = ? AND random = ?`,
      conversation: `SELECT rec FROM ${ks}.conversations WHERE app = ? AND user_id = ? AND conv = ?`,
      conversations: `SELECT rec FROM ${ks}.conversations WHERE app = ? AND user_id = ?`,
    }
  }

  /**
   * See the file comment. Rejections before the decision write nothing. One owner's commits
   * run in call order, and those that queue while one is in flight are merged and decided as
   * one (commitQueue.ts: group commit); each caller gets its batch's outcome.
   */
  commit(owner: UserRef, c: UserCommit): Promise<void> {
    if (!hasWrites(c)) return Promise.resolve()
    return this.queue.submit(cacheKey(owner), c, (merged) => this.commitNow(owner, merged))
  }

  private async commitNow(owner: UserRef, c: UserCommit): Promise<void> {
    const key = cacheKey(owner)
    let head = this.cache.get(key) ?? await this.heads.read(owner)
    let next: Head
    for (let attempt = 1; ; attempt++) {
      head = await this.settle(owner, head)
      this.cache.set(key, head)
      checkInboxSeqs(owner, c, head.lastSeq)
      next = nextHead(head, c, this.now())
      let decided: boolean
      try {
        decided = await this.heads.decide(owner, head, next, c)
      } catch (err) {
        this.cache.delete(key)
        throw storeError(`commit of ${describe(owner)} has an unknown outcome`, err)
      }
      if (decided) break
      if (attempt >= MAX_DECIDE_ATTEMPTS) {
        this.cache.delete(key)
        throw new ParleyError('INTERNAL', `commit of ${describe(owner)} lost ${attempt} races for its head; rejected`)
      }
      head = await this.heads.read(owner)
    }
    try {
      await this.applier.apply(owner, next.ts, c)
    } catch (err) {
      this.cache.delete(key)
      throw storeError(`commit ${next.version} of ${describe(owner)} is decided but not fully written; ` +
        'the next head read applies it', err)
    }
    this.cache.set(key, next)
  }

  /** The head's last seq, after applying a decided commit left pending by a failed writer. */
  async lastInboxSeq(owner: UserRef): Promise<number> {
    const head = await this.settle(owner, await this.heads.read(owner))
    this.cache.set(cacheKey(owner), head)
    return head.lastSeq
  }

  async readInbox(owner: UserRef, afterSeq: number, limit: number): Promise<InboxEvent[]> {
    const out: InboxEvent[] = []
    let next = afterSeq + 1
    while (out.length < limit) {
      const bucket = bucketOf(next, INBOX_BUCKET)
      const rs = await this.read(this.q.inbox, [owner.app, owner.user, bucket, next, limit - out.length])
      for (const row of rs.rows) {
        const ev = decodeBlob<InboxEvent>(row['event'] as Buffer)
        // Seqs are gapless once a commit is applied; a gap is a commit still being applied.
        if (ev.seq !== next) return out
        out.push(ev)
        next++
      }
      if (bucketOf(next, INBOX_BUCKET) === bucket) break
    }
    return out
  }

  async readHistory(owner: UserRef, conv: ConvId, q: HistoryQuery): Promise<StoredMessage[]> {
    if (q.limit <= 0) return []
    const out: StoredMessage[] = []
    const filtered = q.minTime !== undefined || q.maxTime !== undefined
    const buckets = (await this.applier.buckets(owner, conv)).reverse()
    for (const bucket of buckets) {
      if (q.beforeSeq !== undefined && bucket * MESSAGE_BUCKET >= q.beforeSeq) continue
      const params: unknown[] = [owner.app, owner.user, conv, bucket]
      if (q.beforeSeq !== undefined) params.push(q.beforeSeq)
      if (!filtered) params.push(q.limit - out.length)
      const query = q.beforeSeq !== undefined
        ? (filtered ? this.q.historyBefore : this.q.historyBeforeLimit)
        : (filtered ? this.q.history : this.q.historyLimit)
      const rs = await this.read(query, params, filtered ? HISTORY_PAGE : undefined)
      for await (const row of rs) {
        const msg = decodeBlob<StoredMessage>(row['msg'] as Buffer)
        if (q.maxTime !== undefined && msg.time > q.maxTime) continue
        if (q.minTime !== undefined && msg.time < q.minTime) continue
        out.push(msg)
        if (out.length >= q.limit) return out
      }
    }
    return out
  }

  async getMessage(owner: UserRef, conv: ConvId, seq: number): Promise<StoredMessage | undefined> {
    const rs = await this.read(this.q.message, [owner.app, owner.user, conv, bucketOf(seq, MESSAGE_BUCKET), seq])
    const row = rs.first()
    return row ? decodeBlob<StoredMessage>(row['msg'] as Buffer) : undefined
  }

  /** The index may point at a cleared or replaced message (applyCommit.ts); those are misses. */
  async findByKey(owner: UserRef, conv: ConvId, msgKey: string): Promise<StoredMessage | undefined> {
    const at = (await this.read(this.q.msgKey, [owner.app, owner.user, conv, msgKey])).first()
    if (!at) return undefined
    const msg = await this.getMessage(owner, conv, toNumber(at['seq']))
    return msg && msg.msgKey === msgKey ? msg : undefined
  }

  async getDedupe(owner: UserRef, conv: ConvId, random: number): Promise<DedupeRecord | undefined> {
    const row = (await this.read(this.q.dedupe, [owner.app, owner.user, conv, random])).first()
    return row ? decodeBlob<DedupeRecord>(row['rec'] as Buffer) : undefined
  }

  async getConversation(owner: UserRef, conv: ConvId): Promise<ConversationRecord | undefined> {
    const row = (await this.read(this.q.conversation, [owner.app, owner.user, conv])).first()
    return row ? decodeBlob<ConversationRecord>(row['rec'] as Buffer) : undefined
  }

  async listConversations(owner: UserRef): Promise<ConversationRecord[]> {
    const out: ConversationRecord[] = []
    for await (const row of await this.read(this.q.conversations, [owner.app, owner.user])) {
      out.push(decodeBlob<ConversationRecord>(row['rec'] as Buffer))
    }
    return out
  }

  close(): Promise<void> {
    return this.release()
  }

  /** Applies the head's pending commit (idempotent) and returns the head without it. */
  private async settle(owner: UserRef, head: Head): Promise<Head> {
    if (!head.pending) return head
    try {
      await this.applier.apply(owner, head.ts, head.pending)
    } catch (err) {
      throw storeError(`cannot apply the pending commit ${head.version} of ${describe(owner)}`, err)
    }
    const { pending: _applied, ...settled } = head
    return settled
  }

  private read(query: string, params: unknown[], fetchSize?: number) {
    return this.handle.client.execute(query, params, {
      prepare: true, consistency: this.handle.consistency.read, ...(fetchSize ? { fetchSize } : {}),
    })
  }
}

function checkInboxSeqs(owner: UserRef, c: UserCommit, lastSeq: number): void {
  let expected = lastSeq + 1
  for (const ev of c.inbox ?? []) {
    if (ev.seq !== expected) {
      throw new ParleyError('INTERNAL',
        `inbox seq ${ev.seq} for ${describe(owner)} is not the next one (expected ${expected}); commit rejected`)
    }
    expected++
  }
}

function storeError(what: string, cause: unknown): ParleyError {
  const e = new ParleyError('INTERNAL', `${what}: ${cause instanceof Error ? cause.message : String(cause)}`)
  e.cause = cause
  return e
}

function cacheKey(owner: UserRef): string {
  return `${owner.app}/${owner.user}`
}

function describe(owner: UserRef): string {
  return `${owner.app}/${owner.user}`
}

function hasWrites(c: UserCommit): boolean {
  return Boolean(c.inbox?.length || c.messages?.length || c.conversations?.length ||
    c.dedupe?.length || c.clearHistory?.length)
}
