/**
 * The delivery rules of group messages on the client, as a pure state machine: no sockets,
 * no timers, no I/O (the client's GroupChannel feeds it `gev` pushes and `groupHistory`
 * pages and makes the requests it asks for). Wire protocol: docs/protocol.md, "Groups".
 *
 * Guarantees, given the server's contract (the stored messages of a group have seq 1, 2, 3,
 * … with no gaps in storage, and `groupHistory` returns every stored message below `before`
 * that the reader may read, newest first, `complete` once nothing older remains for it):
 * - Per group, stored messages (seq ≥ 1) surface in strictly ascending seq order, each seq at
 *   most once: the cursor is the highest seq surfaced or passed over, and a message at or
 *   below it, or already held, is a duplicate.
 * - A message above cursor + 1 is held, never surfaced early. `next()` then asks for the
 *   missing range newest first, below the lowest held seq, each page asking for exactly the
 *   seqs still missing (at most `pageSize`); when the pages reach the cursor (or say nothing
 *   older remains) the range surfaces in ascending order, seqs the reader may not read (from
 *   before its join) passed over.
 * - After a (re)login, `joined()` owes each joined group one probe (its newest message); a
 *   probe above the cursor opens the range in between like a gap. Catching up costs one
 *   request per joined group plus pages of exactly what was missed.
 * - A group without a cursor starts at the newest message seen: the probe's head (history,
 *   not surfaced) or the first live message (surfaced) — if live messages arrive while the
 *   probe is out, just below the lowest of them. No history is replayed.
 * - Online-only messages and rooms without history (seq 0) surface at once, as pushed.
 * - This device's own sends (`expectEcho` … `echoSettled` / `echoAbandoned`) move the cursor
 *   but do not surface: the send's promise is the confirmation. A message from this user that
 *   matches no pending send (another device's) surfaces like any other.
 */
import type { GroupEvent } from '../protocol/events.js'
import type { GroupMessage } from '../model/group.js'
import type { GroupMessageEvent } from './types.js'

/** One `groupHistory` request the tracker wants: a probe (the newest message) or a page of a gap. */
export interface GroupQuery {
  readonly groupId: string
  /** Exclusive upper seq bound; absent for a probe. */
  readonly before?: number
  readonly limit: number
  readonly probe: boolean
}

/** The data of a `groupHistory` response. */
export interface GroupHistoryPage {
  messages: GroupMessage[]
  complete: boolean
}

export interface GroupStep {
  /** Messages to surface, in this order. */
  readonly events: GroupMessageEvent[]
  /** Groups whose state changed: the caller asks `next()` of each (a request may be owed). */
  readonly groups: string[]
}

export interface GroupTrackerOptions {
  /** This client's user: its own sends are recognised by `msg.from`. */
  userId: string
  /** Messages per gap page (1..100, the server's maximum). Default 100. */
  pageSize?: number
  /** Live messages held per group while a gap is open; beyond it they are dropped and fetched with the gap. Default 1,000. */
  maxHeld?: number
}

interface Held {
  readonly msg: GroupMessage
  /** This device's own send: moves the cursor, not surfaced. */
  readonly silent: boolean
}

interface GroupState {
  /** Highest seq surfaced or passed over; undefined until the group's start is known (a probe is owed). */
  cursor: number | undefined
  /** Messages above cursor + 1, by seq. */
  readonly held: Map<number, Held>
  /** Highest seq known to exist (held, surfaced, or dropped from a full buffer). */
  maxSeen: number
  /** A probe is owed (after a login). */
  probe: boolean
  /** A gap being fetched: every readable seq in [below, top] is held or surfaced. */
  fill: { readonly top: number; below: number } | undefined
  /** The request out for this group; one at a time. */
  inFlight: GroupQuery | undefined
}

const NONE: GroupStep = Object.freeze({ events: [], groups: [] }) as GroupStep

export class GroupTracker {
  private readonly groups = new Map<string, GroupState>()
  /** Pending own sends by `groupId\nrandom`: null until their echo is seen, then the echo. */
  private readonly echoes = new Map<string, GroupMessage | null>()
  private readonly pageSize: number
  private readonly maxHeld: number

  constructor(private readonly o: GroupTrackerOptions) {
    this.pageSize = Math.min(100, Math.max(1, Math.floor(o.pageSize ?? 100)))
    this.maxHeld = Math.max(1, o.maxHeld ?? 1000)
  }

  /** Highest seq of `groupId` surfaced or passed over; undefined for a group without a cursor. */
  cursor(groupId: string): number | undefined {
    return this.groups.get(groupId)?.cursor
  }

  /** Groups the tracker keeps state for. */
  get groupIds(): string[] {
    return [...this.groups.keys()]
  }

  /** Messages of `groupId` held above a gap. */
  held(groupId: string): number {
    return this.groups.get(groupId)?.held.size ?? 0
  }

  /** The events of `gev` frames, in the order received. Events of unknown types are skipped. */
  live(evs: readonly GroupEvent[]): GroupStep {
    const out: GroupMessageEvent[] = []
    const touched = new Set<string>()
    for (const ev of evs) {
      if (!isGroupMsg(ev)) continue
      const { groupId, msg } = ev
      if (msg.seq === 0) {
        const to = Array.isArray(ev.to) ? { to: ev.to } : {}
        if (!this.ownEcho(groupId, msg)) out.push({ groupId, message: msg, ...to })
        continue
      }
      let s = this.groups.get(groupId)
      if (!s) this.groups.set(groupId, (s = newState(msg.seq - 1)))
      this.accept(groupId, s, msg, true)
      this.settle(groupId, s, out)
      touched.add(groupId)
    }
    return { events: out, groups: [...touched] }
  }

  /**
   * A login's catch-up. `groupIds` are the groups the user is in now (`groupJoined`): the
   * others are forgotten, and every listed group owes a probe. Without a list (the request
   * failed) every known group is probed. Returns the groups to ask `next()` of.
   */
  joined(groupIds?: readonly string[]): string[] {
    if (groupIds) {
      const keep = new Set(groupIds)
      for (const g of [...this.groups.keys()]) if (!keep.has(g)) this.groups.delete(g)
      for (const g of keep) if (!this.groups.has(g)) this.groups.set(g, newState(undefined))
    }
    for (const s of this.groups.values()) s.probe = true
    return [...this.groups.keys()]
  }

  /** The connection is gone, and the requests out on it with it; held messages are kept. */
  disconnected(): void {
    for (const s of this.groups.values()) s.inFlight = undefined
  }

  /** This user left or destroyed the group: its state is dropped. */
  forget(groupId: string): void {
    this.groups.delete(groupId)
  }

  /** Whether `next(groupId)` would return a request. */
  hasWork(groupId: string): boolean {
    const s = this.groups.get(groupId)
    if (!s || s.inFlight) return false
    return s.probe || (s.cursor !== undefined && (s.fill !== undefined || gapTop(s) !== undefined))
  }

  /** The next request owed for `groupId` (now marked out), or undefined: nothing owed, or one is already out. */
  next(groupId: string): GroupQuery | undefined {
    const s = this.groups.get(groupId)
    if (!s || s.inFlight) return undefined
    if (s.probe) return (s.inFlight = { groupId, limit: 1, probe: true })
    if (s.cursor === undefined) return undefined
    if (!s.fill) {
      const top = gapTop(s)
      if (top === undefined) return undefined
      s.fill = { top, below: top + 1 }
    }
    // settle() ends a fill once the cursor reaches `below`, so this is at least 1.
    const limit = Math.min(this.pageSize, s.fill.below - 1 - s.cursor)
    return (s.inFlight = { groupId, before: s.fill.below, limit, probe: false })
  }

  /** The answer to `q` (ignored unless `q` is the group's request out). */
  page(groupId: string, q: GroupQuery, res: GroupHistoryPage): GroupStep {
    const s = this.groups.get(groupId)
    if (!s || s.inFlight !== q) return NONE
    s.inFlight = undefined
    const out: GroupMessageEvent[] = []
    const list = Array.isArray(res?.messages) ? res.messages : []
    const msgs = list.filter((m) => isMessage(m) && m.seq > 0 && (q.before === undefined || m.seq < q.before))
    if (q.probe) {
      s.probe = false
      const head = msgs.reduce<GroupMessage | undefined>((a, m) => (a && a.seq >= m.seq ? a : m), undefined)
      if (s.cursor === undefined) s.cursor = Math.min(head?.seq ?? 0, (lowestHeld(s) ?? Infinity) - 1)
      if (head) this.accept(groupId, s, head, false)
    } else {
      for (const m of msgs) this.accept(groupId, s, m, false)
      if (s.fill && s.cursor !== undefined) {
        const oldest = msgs.reduce((a, m) => Math.min(a, m.seq), Infinity)
        if (res.complete || msgs.length === 0 || oldest <= s.cursor + 1) this.finishFill(groupId, s, out)
        else s.fill.below = Math.min(s.fill.below, oldest)
      }
    }
    this.settle(groupId, s, out)
    return { events: out, groups: [groupId] }
  }

  /**
   * The request `q` failed. `gone` (no such group, not a member): the group is forgotten.
   * Otherwise nothing is retried now (the next push, send or login retries); a failed probe of
   * a group without a cursor starts it below its lowest held message, or forgets it.
   */
  failed(groupId: string, q: GroupQuery, gone: boolean): GroupStep {
    const s = this.groups.get(groupId)
    if (!s || s.inFlight !== q) return NONE
    s.inFlight = undefined
    if (gone) {
      this.groups.delete(groupId)
      return NONE
    }
    if (q.probe) {
      s.probe = false
      if (s.cursor === undefined) {
        const low = lowestHeld(s)
        if (low === undefined) {
          this.groups.delete(groupId)
          return NONE
        }
        s.cursor = low - 1
      }
    }
    const out: GroupMessageEvent[] = []
    this.settle(groupId, s, out)
    return { events: out, groups: [] }
  }

  /** A send to `groupId` with `random` is going out: its echo is not a new message. */
  expectEcho(groupId: string, random: number): void {
    const k = echoKey(groupId, random)
    if (!this.echoes.has(k)) this.echoes.set(k, null)
  }

  /** The send was answered with `message` (its seq; 0 if not stored): it moves the cursor, silently. */
  echoSettled(groupId: string, message: GroupMessage): GroupStep {
    this.echoes.delete(echoKey(groupId, message.random))
    if (!isMessage(message) || message.seq === 0) return NONE
    let s = this.groups.get(groupId)
    if (!s) this.groups.set(groupId, (s = newState(message.seq - 1)))
    if ((s.cursor !== undefined && message.seq <= s.cursor) || s.held.has(message.seq)) return NONE
    s.held.set(message.seq, { msg: message, silent: true })
    if (message.seq > s.maxSeen) s.maxSeen = message.seq
    const out: GroupMessageEvent[] = []
    this.settle(groupId, s, out)
    return { events: out, groups: [groupId] }
  }

  /**
   * The send failed or timed out. Returns its echo if one was seen (the message was stored or
   * pushed: the echo is proof), else undefined; either way it is no longer pending, so a copy
   * arriving later surfaces as a message from this user.
   */
  echoAbandoned(groupId: string, random: number): GroupMessage | undefined {
    const k = echoKey(groupId, random)
    const echo = this.echoes.get(k) ?? undefined
    this.echoes.delete(k)
    return echo
  }

  /** Holds a stored message above the cursor (live ones only while the buffer has room). */
  private accept(groupId: string, s: GroupState, m: GroupMessage, live: boolean): void {
    if ((s.cursor !== undefined && m.seq <= s.cursor) || s.held.has(m.seq)) return
    if (m.seq > s.maxSeen) s.maxSeen = m.seq
    if (live && s.held.size >= this.maxHeld) return
    s.held.set(m.seq, { msg: m, silent: this.ownEcho(groupId, m) })
  }

  /** Surfaces held messages that continue the cursor; ends a fill the cursor has reached. */
  private settle(groupId: string, s: GroupState, out: GroupMessageEvent[]): void {
    if (s.cursor === undefined) return
    for (;;) {
      for (let h = s.held.get(s.cursor + 1); h; h = s.held.get(s.cursor + 1)) {
        s.held.delete(++s.cursor)
        if (!h.silent) out.push({ groupId, message: h.msg })
      }
      if (!s.fill || (s.cursor < s.fill.top && s.cursor + 1 < s.fill.below)) break
      this.finishFill(groupId, s, out)
    }
    if (s.cursor > s.maxSeen) s.maxSeen = s.cursor
  }

  /** Every readable seq up to the fill's top is held: surfaces them in order and passes over the rest. */
  private finishFill(groupId: string, s: GroupState, out: GroupMessageEvent[]): void {
    const top = s.fill!.top
    s.fill = undefined
    for (const seq of [...s.held.keys()].filter((k) => k <= top).sort((a, b) => a - b)) {
      const h = s.held.get(seq)!
      s.held.delete(seq)
      if (!h.silent) out.push({ groupId, message: h.msg })
    }
    if (top > s.cursor!) s.cursor = top
  }

  /** Whether `m` is the echo of a pending own send (recorded as the proof of that send). */
  private ownEcho(groupId: string, m: GroupMessage): boolean {
    if (m.from !== this.o.userId) return false
    const k = echoKey(groupId, m.random)
    if (!this.echoes.has(k)) return false
    if (this.echoes.get(k) === null) this.echoes.set(k, m)
    return true
  }
}

function newState(cursor: number | undefined): GroupState {
  return { cursor, held: new Map(), maxSeen: cursor ?? 0, probe: cursor === undefined, fill: undefined, inFlight: undefined }
}

function lowestHeld(s: GroupState): number | undefined {
  let low: number | undefined
  for (const k of s.held.keys()) if (low === undefined || k < low) low = k
  return low
}

/** The top of the gap above the cursor (below the lowest held message, or up to the highest seen), if any. */
function gapTop(s: GroupState): number | undefined {
  const low = lowestHeld(s)
  const top = low !== undefined ? low - 1 : s.maxSeen
  return top > s.cursor! ? top : undefined
}

function echoKey(groupId: string, random: number): string {
  return `${groupId}\n${random}`
}

function isMessage(m: unknown): m is GroupMessage {
  const x = m as GroupMessage | null
  return typeof x === 'object' && x !== null && Number.isSafeInteger(x.seq) && x.seq >= 0 && typeof x.from === 'string'
}

/** Whether `ev` is a well-formed `groupMsg` event (anything else in a `gev` frame is skipped). */
export function isGroupMsg(ev: unknown): ev is Extract<GroupEvent, { type: 'groupMsg' }> {
  const e = ev as GroupEvent | null
  return typeof e === 'object' && e !== null && e.type === 'groupMsg' && typeof e.groupId === 'string' && e.groupId !== '' && isMessage(e.msg)
}
