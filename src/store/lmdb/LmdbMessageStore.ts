/**
 * MessageStore on the embedded LMDB environment (see openLmdb.ts).
 *
 * Key layout — one named sub-database per record kind, every key led by the owner
 * `[app, user]`, so each owner's records are one contiguous, ordered key range:
 *
 * | sub-database        | key                          | value                 |
 * |---------------------|------------------------------|-----------------------|
 * | `msg.inbox`         | `[app, user, seq]`           | InboxEvent            |
 * | `msg.messages`      | `[app, user, conv, seq]`     | StoredMessage         |
 * | `msg.keys`          | `[app, user, conv, msgKey]`  | `seq`                 |
 * | `msg.dedupe`        | `[app, user, conv, random]`  | DedupeRecord          |
 * | `msg.conversations` | `[app, user, conv]`          | ConversationRecord    |
 *
 * Costs: `readInbox` is one forward range scan of at most `limit` entries; `lastInboxSeq` one
 * reverse seek; `readHistory` a reverse scan from `beforeSeq` that stops at `limit` matches
 * (time bounds are filters on that scan, because a message's time is not part of its key and
 * need not grow with seq, so a narrow old time window may scan far); `findByKey` two point
 * reads; `listConversations` one prefix scan; `clearHistory` is linear in the conversation.
 */
import type { Database, Key } from 'lmdb'
import { ParleyError } from '../../errors.js'
import type { ConvId, InboxEvent } from '../../protocol/events.js'
import type { StoredMessage } from '../../protocol/message.js'
import type {
  ConversationRecord, DedupeRecord, HistoryQuery, MessageStore, UserCommit, UserRef,
} from '../MessageStore.js'
import { KEY_MAX, keyText } from './keys.js'
import type { LmdbHandle } from './openLmdb.js'

export class LmdbMessageStore implements MessageStore {
  private readonly inbox: Database<InboxEvent, Key>
  private readonly messages: Database<StoredMessage, Key>
  private readonly msgKeys: Database<number, Key>
  private readonly dedupe: Database<DedupeRecord, Key>
  private readonly conversations: Database<ConversationRecord, Key>

  /** Takes ownership of `lmdb` (from `openLmdb`): `close()` closes it. */
  constructor(private readonly lmdb: LmdbHandle) {
    this.inbox = lmdb.db('msg.inbox')
    this.messages = lmdb.db('msg.messages')
    this.msgKeys = lmdb.db('msg.keys')
    this.dedupe = lmdb.db('msg.dedupe')
    this.conversations = lmdb.db('msg.conversations')
  }

  /**
   * Applies the commit in one child transaction of lmdb-js's next write batch: a throw
   * (seq guard, bad key) rolls the whole commit back while other commits in the batch proceed.
   * Order inside: clearHistory, then inbox, messages, conversations, dedupe — so a commit
   * that clears a conversation and stores a new message in it keeps the new message.
   * Resolves after the batch is committed and synced to disk.
   */
  async commit(owner: UserRef, c: UserCommit): Promise<void> {
    if (!hasWrites(c)) return
    await this.inbox.childTransaction(() => this.apply(owner, c))
    await this.lmdb.flushed()
  }

  async lastInboxSeq(owner: UserRef): Promise<number> {
    return this.lastInboxSeqNow(owner)
  }

  async readInbox(owner: UserRef, afterSeq: number, limit: number): Promise<InboxEvent[]> {
    if (limit <= 0) return []
    const [app, user] = ownerKey(owner)
    const out: InboxEvent[] = []
    const range = this.inbox.getRange({
      start: [app, user, afterSeq], exclusiveStart: true, end: [app, user, KEY_MAX], limit,
    })
    for (const { value } of range) out.push(value)
    return out
  }

  async readHistory(owner: UserRef, conv: ConvId, q: HistoryQuery): Promise<StoredMessage[]> {
    if (q.limit <= 0) return []
    const prefix = [...ownerKey(owner), keyText(conv, 'conv')]
    const out: StoredMessage[] = []
    const range = this.messages.getRange({
      start: [...prefix, q.beforeSeq ?? KEY_MAX],
      exclusiveStart: q.beforeSeq !== undefined,
      end: prefix,
      reverse: true,
    })
    for (const { value } of range) {
      if (q.maxTime !== undefined && value.time > q.maxTime) continue
      if (q.minTime !== undefined && value.time < q.minTime) continue
      out.push(value)
      if (out.length >= q.limit) break
    }
    return out
  }

  async getMessage(owner: UserRef, conv: ConvId, seq: number): Promise<StoredMessage | undefined> {
    return this.messages.get([...ownerKey(owner), keyText(conv, 'conv'), seq])
  }

  async findByKey(owner: UserRef, conv: ConvId, msgKey: string): Promise<StoredMessage | undefined> {
    const prefix = [...ownerKey(owner), keyText(conv, 'conv')]
    const seq = this.msgKeys.get([...prefix, keyText(msgKey, 'msgKey')])
    if (seq === undefined) return undefined
    const msg = this.messages.get([...prefix, seq])
    return msg && msg.msgKey === msgKey ? msg : undefined
  }

  async getDedupe(owner: UserRef, conv: ConvId, random: number): Promise<DedupeRecord | undefined> {
    return this.dedupe.get([...ownerKey(owner), keyText(conv, 'conv'), random])
  }

  async getConversation(owner: UserRef, conv: ConvId): Promise<ConversationRecord | undefined> {
    return this.conversations.get([...ownerKey(owner), keyText(conv, 'conv')])
  }

  async listConversations(owner: UserRef): Promise<ConversationRecord[]> {
    const o = ownerKey(owner)
    const out: ConversationRecord[] = []
    for (const { value } of this.conversations.getRange({ start: o, end: [...o, KEY_MAX] })) out.push(value)
    return out
  }

  close(): Promise<void> {
    return this.lmdb.close()
  }

  /** Runs inside the write transaction: validates everything first, then writes. */
  private apply(owner: UserRef, c: UserCommit): void {
    const o = ownerKey(owner)
    const events = c.inbox ?? []
    let expected = events.length > 0 ? this.lastInboxSeqNow(owner) + 1 : 0
    for (const ev of events) {
      if (ev.seq !== expected) {
        throw new ParleyError('INTERNAL',
          `inbox seq ${ev.seq} for ${owner.app}/${owner.user} is not the next one (expected ${expected}); commit rejected`)
      }
      expected++
    }
    for (const conv of c.clearHistory ?? []) this.clearConversation(o, keyText(conv, 'conv'))
    for (const ev of events) this.inbox.put([...o, ev.seq], ev)
    for (const { conv, msg } of c.messages ?? []) this.putMessage(o, keyText(conv, 'conv'), msg)
    for (const rec of c.conversations ?? []) this.conversations.put([...o, keyText(rec.conv, 'conv')], rec)
    for (const d of c.dedupe ?? []) this.dedupe.put([...o, keyText(d.conv, 'conv'), d.random], d.record)
  }

  private lastInboxSeqNow(owner: UserRef): number {
    const [app, user] = ownerKey(owner)
    for (const key of this.inbox.getKeys({ start: [app, user, KEY_MAX], end: [app, user], reverse: true, limit: 1 })) {
      return (key as [number, string, number])[2]
    }
    return 0
  }

  private putMessage(o: OwnerKey, conv: ConvId, msg: StoredMessage): void {
    const key = [...o, conv, msg.seq]
    const previous = this.messages.get(key)
    if (previous && previous.msgKey !== msg.msgKey) this.unindex(o, previous.msgKey, conv, msg.seq)
    this.messages.put(key, msg)
    this.msgKeys.put([...o, conv, keyText(msg.msgKey, 'msgKey')], msg.seq)
  }

  private clearConversation(o: OwnerKey, conv: ConvId): void {
    const prefix = [...o, conv]
    const doomed: { key: Key; msgKey: string; seq: number }[] = []
    for (const { key, value } of this.messages.getRange({ start: prefix, end: [...prefix, KEY_MAX] })) {
      doomed.push({ key, msgKey: value.msgKey, seq: value.seq })
    }
    for (const d of doomed) {
      this.unindex(o, d.msgKey, conv, d.seq)
      this.messages.remove(d.key)
    }
  }

  /** Drops the (conv, msgKey) index entry only if it still points at `seq`. */
  private unindex(o: OwnerKey, msgKey: string, conv: ConvId, seq: number): void {
    const key = [...o, conv, msgKey]
    if (this.msgKeys.get(key) === seq) this.msgKeys.remove(key)
  }
}

type OwnerKey = [app: number, user: string]

function ownerKey(owner: UserRef): OwnerKey {
  return [owner.app, keyText(owner.user, 'user')]
}

function hasWrites(c: UserCommit): boolean {
  return Boolean(c.inbox?.length || c.messages?.length || c.conversations?.length ||
    c.dedupe?.length || c.clearHistory?.length)
}
