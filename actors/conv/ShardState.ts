/**
 * ShardState: the in-memory state of one conversation shard and its one decision step for a
 * one-to-one send (docs/one-writer.md). Pure apart from the index reads that load a pair or
 * a user the first time the shard touches them; the caller (the shard actor) appends the
 * record it returns, and only then pushes and answers.
 *
 * What it holds:
 * - per pair: the conversation's last seq, and the MsgRandom and MsgKey window of the last
 *   `Limits.dedupeWindowSeconds` (both directions; at most WINDOW_CAP entries, the oldest
 *   forgotten first), rebuilt on first touch from the pair's newest history;
 * - per user: the head of the user's stream in this shard.
 *
 * Nothing is evicted yet: a pair stays loaded for the shard's activation. (An eviction must
 * only drop a pair whose records are all checkpointed, since loading reads the index.)
 *
 * Numbering: `send` assigns the conversation seq and both stream seqs synchronously, so the
 * shard's records are numbered in the order it decides them, with no gap. If the append of a
 * record fails, the shard is broken (ShardJournal) and this state is discarded with it.
 */
import { Limits } from '../../src/core/limits.js'
import { MsgFlags, type StoredMessage } from '../../src/model/message.js'
import type { ConvIndex, MsgRecord } from '../../src/store/ConvIndex.js'
import type { ShardRef } from '../../src/store/ShardLog.js'
import { orderedPair } from './shardOfPair.js'

/** Messages remembered per pair for dedupe, at most. */
export const WINDOW_CAP = 2000
const LOAD_PAGE = 250

/** The first copy of a message, as a retry is answered. */
export interface FirstCopy { msgKey: string; time: number; seq: number; recalled?: boolean }

interface PairState {
  lastSeq: number
  /** `${from}\0${random}` → first copy, insertion-ordered (oldest first). */
  readonly randoms: Map<string, FirstCopy & { seenAt: number }>
  readonly keys: Map<string, number>
}

/** A send as the shard gets it: the draft as the sender's door built it. */
export interface SendDraft {
  readonly from: string
  readonly to: string
  readonly msg: Omit<StoredMessage, 'seq' | 'flags' | 'peerRead'>
  /** The sender keeps no copy (SyncOtherMachine 2). */
  readonly noSenderCopy: boolean
  readonly noUnread: boolean
  readonly noLastMsg: boolean
  readonly expireAt?: number
}

export type SendDecision =
  | { readonly kind: 'duplicate'; readonly first: FirstCopy }
  | { readonly kind: 'append'; readonly record: MsgRecord; readonly senderSeq: number; readonly receiverSeq: number }

export class ShardState {
  private readonly pairs = new Map<string, PairState>()
  private readonly heads = new Map<string, number>()
  private readonly loading = new Map<string, Promise<void>>()
  private readonly fresh: string[] = []

  constructor(private readonly s: ShardRef, private readonly index: ConvIndex) {}

  /** Loads what a send between `from` and `to` needs (once per pair and user); call before `send`. */
  prepare(from: string, to: string, nowSec: number): Promise<void> | undefined {
    const [a, b] = orderedPair(from, to)
    const id = pairId(a, b)
    if (this.pairs.has(id) && this.heads.has(a) && this.heads.has(b)) return undefined
    let p = this.loading.get(id)
    if (!p) {
      p = this.load(a, b, nowSec).finally(() => this.loading.delete(id))
      this.loading.set(id, p)
    }
    return p
  }

  /**
   * Decides a send: a duplicate (same MsgRandom from the same sender within the window, or the
   * same MsgKey in the conversation) is answered with its first copy; otherwise the next seq
   * and stream seqs are taken and the record to append is returned. `prepare` must have resolved.
   */
  send(d: SendDraft, nowSec: number): SendDecision {
    const [a, b] = orderedPair(d.from, d.to)
    const pair = this.pairs.get(pairId(a, b))
    if (!pair || !this.heads.has(a) || !this.heads.has(b)) throw new Error(`shard ${this.s.shard}: pair ${a}|${b} not prepared`)
    const rkey = `${d.from}\0${d.msg.random}`
    const seen = pair.randoms.get(rkey)
    if (seen && nowSec - seen.seenAt <= Limits.dedupeWindowSeconds) return { kind: 'duplicate', first: firstOf(seen) }
    const keySeq = pair.keys.get(d.msg.msgKey)
    if (keySeq !== undefined) {
      for (const f of pair.randoms.values()) if (f.seq === keySeq) return { kind: 'duplicate', first: firstOf(f) }
    }
    const seq = ++pair.lastSeq
    const msg: StoredMessage = { ...d.msg, seq, flags: 0 }
    const self = a === b
    const senderSeq = d.noSenderCopy && !self ? 0 : this.next(d.from)
    const receiverSeq = self ? senderSeq : this.next(d.to)
    const [sa, sb] = self ? [senderSeq, 0] : d.from === a ? [senderSeq, receiverSeq] : [receiverSeq, senderSeq]
    remember(pair, rkey, { msgKey: msg.msgKey, time: msg.time, seq, seenAt: nowSec })
    const record: MsgRecord = {
      t: 'msg', a, b, msg, sa, sb,
      ...(d.expireAt !== undefined ? { expireAt: d.expireAt } : {}),
      ...(d.noUnread ? { noUnread: true } : {}),
      ...(d.noLastMsg ? { noLastMsg: true } : {}),
    }
    return { kind: 'append', record, senderSeq, receiverSeq }
  }

  /** The head of `user`'s stream in this shard (loaded from the index on first use). */
  async headOf(user: string): Promise<number> {
    const known = this.heads.get(user)
    if (known !== undefined) return known
    const h = (await this.index.userShards(this.s.app, user))[this.s.shard] ?? 0
    if (!this.heads.has(user)) this.heads.set(user, h)
    return this.heads.get(user)!
  }

  /** Marks a message recalled in the window, so a retry of it answers `recalled`. */
  markRecalled(x: string, y: string, seq: number): void {
    const pair = this.pairs.get(pairId(...orderedPair(x, y)))
    if (!pair) return
    for (const f of pair.randoms.values()) if (f.seq === seq) f.recalled = true
  }

  /** Takes the next seq of `user`'s stream for a record other than a message (`prepare` must have resolved for a pair of theirs). */
  takeStreamSeq(user: string): number {
    if (!this.heads.has(user)) throw new Error(`shard ${this.s.shard}: user ${user} not prepared`)
    return this.next(user)
  }

  private next(user: string): number {
    const n = this.heads.get(user)! + 1
    this.heads.set(user, n)
    if (n === 1) this.fresh.push(user)
    return n
  }

  /**
   * The users whose stream in this shard began with the seqs taken since the last call: the
   * record being built must list them (ShardLog `firstFor`), so the shard is in their
   * `shardsOf` before their first event is acknowledged.
   */
  takeFresh(): string[] {
    return this.fresh.splice(0)
  }

  private async load(a: string, b: string, nowSec: number): Promise<void> {
    const { app } = this.s
    const id = pairId(a, b)
    const jobs: Promise<void>[] = []
    for (const u of a === b ? [a] : [a, b]) {
      if (!this.heads.has(u)) {
        jobs.push(this.index.userShards(app, u).then((h) => {
          if (!this.heads.has(u)) this.heads.set(u, h[this.s.shard] ?? 0)
        }))
      }
    }
    if (!this.pairs.has(id)) {
      jobs.push(this.loadPair(a, b, nowSec).then((p) => {
        if (!this.pairs.has(id)) this.pairs.set(id, p)
      }))
    }
    await Promise.all(jobs)
  }

  /** The pair's last seq and its dedupe window, from its newest history (newest first). */
  private async loadPair(a: string, b: string, nowSec: number): Promise<PairState> {
    const pair: PairState = { lastSeq: 0, randoms: new Map(), keys: new Map() }
    const recent: StoredMessage[] = []
    let before: number | undefined
    for (;;) {
      const page = await this.index.history(this.s.app, a, b, { beforeSeq: before, limit: LOAD_PAGE })
      if (page.length === 0) break
      if (before === undefined) pair.lastSeq = page[0]!.seq
      let old = false
      for (const m of page) {
        if (nowSec - m.time > Limits.dedupeWindowSeconds || recent.length >= WINDOW_CAP) {
          old = true
          break
        }
        recent.push(m)
      }
      if (old || page.length < LOAD_PAGE) break
      before = page[page.length - 1]!.seq
    }
    // Oldest first, so the window forgets the oldest first.
    for (let i = recent.length - 1; i >= 0; i--) {
      const m = recent[i]!
      remember(pair, `${m.from}\0${m.random}`, {
        msgKey: m.msgKey, time: m.time, seq: m.seq, seenAt: m.time,
        ...(m.flags === MsgFlags.recalled ? { recalled: true } : {}),
      })
    }
    return pair
  }
}

function pairId(a: string, b: string): string {
  return `${a}\0${b}`
}

function firstOf(f: FirstCopy): FirstCopy {
  return f.recalled ? { msgKey: f.msgKey, time: f.time, seq: f.seq, recalled: true } : { msgKey: f.msgKey, time: f.time, seq: f.seq }
}

function remember(pair: PairState, rkey: string, f: FirstCopy & { seenAt: number }): void {
  pair.randoms.delete(rkey)
  pair.randoms.set(rkey, f)
  pair.keys.set(f.msgKey, f.seq)
  while (pair.randoms.size > WINDOW_CAP) {
    const [oldest, v] = pair.randoms.entries().next().value as [string, FirstCopy]
    pair.randoms.delete(oldest)
    if (pair.keys.get(v.msgKey) === v.seq) pair.keys.delete(v.msgKey)
  }
}
