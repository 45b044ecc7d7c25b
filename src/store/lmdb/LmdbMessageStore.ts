/**
 * MessageStore on the embedded LMDB environment (see openLmdb.ts).
 *
 * Key layout — one named sub-database per record kind, every key led by the owner
 * `[app, user]`, so each owner's records are one contiguous, ordered key range. Values are
 * plain msgpack bytes (records.ts); a message is encoded once per commit and shared by the
 * records that hold it.
 *
 * | sub-database         | key                          | value                 |
 * |----------------------|------------------------------|-----------------------|
 * | `msg2.inbox`         | `[app, user, seq]`           | InboxEvent            |
 * | `msg2.messages`      | `[app, user, conv, seq]`     | StoredMessage         |
 * | `msg2.keys`          | `[app, user, conv, msgKey]`  | `seq`                 |
 * | `msg2.dedupe`        | `[app, user, conv, random]`  | DedupeRecord          |
 * | `msg2.conversations` | `[app, user, conv]`          | ConversationRecord    |
 *
 * (`msg2.*` replaced the `msg.*` layout, whose values used lmdb-js's shared-structure
 * encoding; a data directory written by that layout is not read.)
 *
 * The msgKey index is maintained lazily, as in the Cassandra store: an upsert that changes
 * the message at (conv, seq) leaves the old key's entry, and `findByKey` checks that the
 * message it finds still has the key, so a stale entry is a miss.
 *
 * Costs: `readInbox` is one forward range scan of at most `limit` entries; `lastInboxSeq` one
 * reverse seek; `readHistory` a reverse scan from `beforeSeq` that stops at `limit` matches
 * (time bounds are filters on that scan, because a message's time is not part of its key and
 * need not grow with seq, so a narrow old time window may scan far); `findByKey` two point
 * reads; `listConversations` one prefix scan; `clearHistory` is linear in the conversation.
 */
import { asBinary, type Database, IF_EXISTS, type Key } from 'lmdb'
import { ParleyError } from '../../core/errors.js'
import { eventBytes } from '../../protocol/eventBytes.js'
import { encodeWith } from '../../protocol/splice.js'
import type { ConvId, InboxEvent } from '../../protocol/events.js'
import type { StoredMessage } from '../../model/message.js'
import type {
  ConversationRecord, DedupeRecord, HistoryQuery, MessageStore, UserCommit, UserRef,
} from '../MessageStore.js'
import { KEY_MAX, keyText } from './keys.js'
import type { LmdbHandle } from './openLmdb.js'
import { decodeValue, encodeUint, encodeValue, SharedEncodings } from './records.js'

type Raw = Database<Uint8Array, Key>
type OwnerKey = [app: number, user: string]

/** One write of a planned commit: a put of encoded bytes, or a removal. */
interface Write { db: Raw; key: Key; value?: Uint8Array }

export class LmdbMessageStore implements MessageStore {
  private readonly inbox: Raw
  private readonly messages: Raw
  private readonly msgKeys: Raw
  private readonly dedupe: Raw
  private readonly conversations: Raw

  /** Takes ownership of `lmdb` (from `openLmdb`): `close()` closes it. */
  constructor(private readonly lmdb: LmdbHandle) {
    this.inbox = lmdb.rawDb('msg2.inbox')
    this.messages = lmdb.rawDb('msg2.messages')
    this.msgKeys = lmdb.rawDb('msg2.keys')
    this.dedupe = lmdb.rawDb('msg2.dedupe')
    this.conversations = lmdb.rawDb('msg2.conversations')
  }

  /**
   * Applies the commit atomically in lmdb-js's next write batch and resolves once the batch
   * is committed and synced to disk (its write promise; see openLmdb.ts, "Durability").
   * Every key and value is built before anything is queued,
   * so a bad key (INVALID_PARAMS) or a seq gap in the commit itself writes nothing.
   *
   * Inbox guard: the first event's seq must be one above the owner's stored last seq,
   * checked by LMDB inside the write transaction (the previous seq exists, this one does not;
   * inbox seqs are dense, so that is exactly "last + 1"). A commit failing it writes nothing
   * and rejects with INTERNAL; other commits of the batch proceed.
   *
   * A commit without `clearHistory` runs natively in lmdb-js's write thread (no JS callback
   * holds the write lock). With `clearHistory`, the conversation must be read inside the
   * transaction, so it runs as a child transaction callback; the environment keeps async
   * writes and callbacks in call order (openLmdb.ts), so one owner's commits apply in order.
   * Order inside a commit: clearHistory, then inbox, messages, conversations, dedupe.
   */
  async commit(owner: UserRef, c: UserCommit): Promise<void> {
    if (!hasWrites(c)) return
    const o = ownerKey(owner)
    const events = c.inbox ?? []
    checkConsecutive(owner, events)
    const writes = this.plan(o, c)
    const first = events[0]?.seq
    let applied: boolean
    if (c.clearHistory?.length) {
      const clears = c.clearHistory.map((conv) => keyText(conv, 'conv'))
      applied = await this.inbox.childTransaction(() => {
        if (first !== undefined && !this.inboxAccepts(o, first)) return false
        for (const conv of clears) this.clearConversation(o, conv)
        queue(writes)
        return true
      })
    } else if (first === undefined) {
      applied = await this.inbox.batch(() => queue(writes))
    } else {
      applied = await this.guarded(o, first, writes)
    }
    if (!applied) {
      throw new ParleyError('INTERNAL',
        `inbox seq ${first} for ${owner.app}/${owner.user} is not the next one; commit rejected`)
    }
  }

  async lastInboxSeq(owner: UserRef): Promise<number> {
    const [app, user] = ownerKey(owner)
    for (const key of this.inbox.getKeys({ start: [app, user, KEY_MAX], end: [app, user], reverse: true, limit: 1 })) {
      return (key as [number, string, number])[2]
    }
    return 0
  }

  async readInbox(owner: UserRef, afterSeq: number, limit: number): Promise<InboxEvent[]> {
    if (limit <= 0) return []
    const [app, user] = ownerKey(owner)
    const out: InboxEvent[] = []
    const range = this.inbox.getRange({
      start: [app, user, afterSeq], exclusiveStart: true, end: [app, user, KEY_MAX], limit,
    })
    for (const { value } of range) out.push(decodeValue<InboxEvent>(value))
    return out
  }

  async readHistory(owner: UserRef, conv: ConvId, q: HistoryQuery): Promise<StoredMessage[]> {
    if (q.limit <= 0) return []
    const [app, user] = ownerKey(owner)
    const c = keyText(conv, 'conv')
    const out: StoredMessage[] = []
    const range = this.messages.getRange({
      start: [app, user, c, q.beforeSeq ?? KEY_MAX],
      exclusiveStart: q.beforeSeq !== undefined,
      end: [app, user, c],
      reverse: true,
    })
    for (const { value: bytes } of range) {
      const value = decodeValue<StoredMessage>(bytes)
      if (q.maxTime !== undefined && value.time > q.maxTime) continue
      if (q.minTime !== undefined && value.time < q.minTime) continue
      out.push(value)
      if (out.length >= q.limit) break
    }
    return out
  }

  async getMessage(owner: UserRef, conv: ConvId, seq: number): Promise<StoredMessage | undefined> {
    const [app, user] = ownerKey(owner)
    return this.read<StoredMessage>(this.messages, [app, user, keyText(conv, 'conv'), seq])
  }

  async findByKey(owner: UserRef, conv: ConvId, msgKey: string): Promise<StoredMessage | undefined> {
    const [app, user] = ownerKey(owner)
    const c = keyText(conv, 'conv')
    const seq = this.read<number>(this.msgKeys, [app, user, c, keyText(msgKey, 'msgKey')])
    if (seq === undefined) return undefined
    const msg = this.read<StoredMessage>(this.messages, [app, user, c, seq])
    return msg && msg.msgKey === msgKey ? msg : undefined
  }

  async getDedupe(owner: UserRef, conv: ConvId, random: number): Promise<DedupeRecord | undefined> {
    const [app, user] = ownerKey(owner)
    return this.read<DedupeRecord>(this.dedupe, [app, user, keyText(conv, 'conv'), random])
  }

  async getConversation(owner: UserRef, conv: ConvId): Promise<ConversationRecord | undefined> {
    const [app, user] = ownerKey(owner)
    return this.read<ConversationRecord>(this.conversations, [app, user, keyText(conv, 'conv')])
  }

  async listConversations(owner: UserRef): Promise<ConversationRecord[]> {
    const [app, user] = ownerKey(owner)
    const out: ConversationRecord[] = []
    for (const { value } of this.conversations.getRange({ start: [app, user], end: [app, user, KEY_MAX] })) {
      out.push(decodeValue<ConversationRecord>(value))
    }
    return out
  }

  close(): Promise<void> {
    return this.lmdb.close()
  }

  private read<V>(db: Raw, key: Key): V | undefined {
    const bytes = db.getBinary(key)
    return bytes === undefined ? undefined : decodeValue<V>(bytes)
  }

  /** Every write of the commit except clearHistory, keys and values built (and checked) now. */
  private plan(o: OwnerKey, c: UserCommit): Write[] {
    const [app, user] = o
    const shared = new SharedEncodings()
    const writes: Write[] = []
    for (const ev of c.inbox ?? []) {
      const value = eventBytes(ev, ev.type === 'msg' ? shared.of(ev.msg) : undefined)
      writes.push({ db: this.inbox, key: [app, user, ev.seq], value })
    }
    for (const { conv, msg } of c.messages ?? []) {
      const cv = keyText(conv, 'conv')
      writes.push({ db: this.messages, key: [app, user, cv, msg.seq], value: shared.of(msg) })
      writes.push({ db: this.msgKeys, key: [app, user, cv, keyText(msg.msgKey, 'msgKey')], value: encodeUint(msg.seq) })
    }
    for (const rec of c.conversations ?? []) {
      const value = encodeWith(rec, 'lastMsg', rec.lastMsg && shared.of(rec.lastMsg))
      writes.push({ db: this.conversations, key: [app, user, keyText(rec.conv, 'conv')], value })
    }
    for (const d of c.dedupe ?? []) {
      writes.push({ db: this.dedupe, key: [app, user, keyText(d.conv, 'conv'), d.random], value: encodeValue(d.record) })
    }
    return writes
  }

  /** Queues `writes` under the inbox guard for `first`; resolves whether they were applied. */
  private async guarded(o: OwnerKey, first: number, writes: Write[]): Promise<boolean> {
    const [app, user] = o
    let fresh: Promise<boolean> = Promise.resolve(true)
    const apply = () => {
      fresh = this.inbox.ifNoExists([app, user, first], () => queue(writes))
    }
    const previous = first === 1 ? this.inbox.batch(apply) : this.inbox.ifVersion([app, user, first - 1], IF_EXISTS, apply)
    const [a, b] = await Promise.all([previous, fresh])
    return a && b
  }

  /** Inside a write transaction: whether `first` is one above the stored last inbox seq. */
  private inboxAccepts(o: OwnerKey, first: number): boolean {
    const [app, user] = o
    return (first === 1 || this.inbox.doesExist([app, user, first - 1])) && !this.inbox.doesExist([app, user, first])
  }

  /** Inside a write transaction: removes every message of `conv` and its key index entries. */
  private clearConversation(o: OwnerKey, conv: ConvId): void {
    const [app, user] = o
    const doomed: { key: Key; msgKey: string }[] = []
    for (const { key, value } of this.messages.getRange({ start: [app, user, conv], end: [app, user, conv, KEY_MAX] })) {
      doomed.push({ key, msgKey: decodeValue<StoredMessage>(value).msgKey })
    }
    for (const d of doomed) {
      void this.msgKeys.remove([app, user, conv, d.msgKey])
      void this.messages.remove(d.key)
    }
  }
}

/** Queues (or, inside a transaction callback, performs) the planned writes in order. */
function queue(writes: readonly Write[]): void {
  for (const w of writes) {
    if (w.value === undefined) void w.db.remove(w.key)
    // asBinary: store the bytes as they are (the db's typings only know plain Uint8Array values).
    else void w.db.put(w.key, asBinary(w.value) as unknown as Uint8Array)
  }
}

function ownerKey(owner: UserRef): OwnerKey {
  return [owner.app, keyText(owner.user, 'user')]
}

/** The commit's own events must be consecutive; the store checks the first against the head. */
function checkConsecutive(owner: UserRef, events: readonly InboxEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.seq !== events[0]!.seq + i) {
      throw new ParleyError('INTERNAL',
        `inbox seqs ${events.map((e) => e.seq).join(',')} for ${owner.app}/${owner.user} are not consecutive; commit rejected`)
    }
  }
  if (events.length > 0 && !(Number.isInteger(events[0]!.seq) && events[0]!.seq >= 1)) {
    throw new ParleyError('INTERNAL', `inbox seq ${events[0]!.seq} for ${owner.app}/${owner.user} is not valid; commit rejected`)
  }
}

function hasWrites(c: UserCommit): boolean {
  return Boolean(c.inbox?.length || c.messages?.length || c.conversations?.length ||
    c.dedupe?.length || c.clearHistory?.length)
}
