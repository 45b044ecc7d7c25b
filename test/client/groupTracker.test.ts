/**
 * The GroupTracker (src/client/groups.ts): table tests of each delivery rule, then a seeded
 * simulation — several groups, live pushes dropped, duplicated, reordered and coalesced,
 * own sends whose answers are lost, history pages answered late from the log as it is then,
 * a member that cannot read below its join, reconnects — after which every device must have
 * seen exactly each group's readable messages, in seq order, each once.
 */
import t from 'tap'
import { type GroupQuery, type GroupStep, GroupTracker } from '../../src/client/groups.js'
import type { GroupEvent } from '../../src/protocol/events.js'
import type { GroupMessage } from '../../src/model/group.js'
import { prng } from './fixtures/events.js'

const ME = 'me'
const G = 'g1'

/** A group message at `seq`; by default from bob, random 1000 + seq. */
function gm(seq: number, o: { from?: string; random?: number } = {}): GroupMessage {
  return {
    seq, from: o.from ?? 'bob', random: o.random ?? 1000 + seq, time: 1_700_000_000 + seq,
    body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: `m${seq}` } }], flags: 0,
  }
}

function gev(msg: GroupMessage, groupId = G): GroupEvent {
  return { type: 'groupMsg', groupId, msg }
}

const seqs = (step: GroupStep) => step.events.map((e) => e.message.seq)

/** A tracker whose group `G` is at `cursor` (learned from a probe). */
function at(cursor: number, o: { pageSize?: number; maxHeld?: number } = {}): GroupTracker {
  const tr = new GroupTracker({ userId: ME, ...o })
  tr.joined([G])
  const probe = tr.next(G)!
  tr.page(G, probe, { messages: cursor > 0 ? [gm(cursor)] : [], complete: cursor <= 1 })
  return tr
}

/** The server's answer to `q` from `log` (seqs 1..n), for a reader that cannot read at or below `floor`. */
function answer(log: GroupMessage[], q: Pick<GroupQuery, 'before' | 'limit'>, floor = 0): { messages: GroupMessage[]; complete: boolean } {
  const before = q.before ?? log.length + 1
  const list = log.filter((m) => m.seq < before).slice(-q.limit).reverse()
  const messages = list.filter((m) => m.seq > floor)
  const oldest = list.length ? list[list.length - 1].seq : 0
  return { messages, complete: list.length < q.limit || messages.length < list.length || oldest <= floor + 1 }
}

const logOf = (n: number) => Array.from({ length: n }, (_, i) => gm(i + 1))

t.test('in order: surfaced at once; duplicates dropped; seq 0 passes through', async (t) => {
  const tr = at(0)
  t.same(seqs(tr.live([gev(gm(1)), gev(gm(2))])), [1, 2])
  t.same(seqs(tr.live([gev(gm(2)), gev(gm(1))])), [], 'resends at or below the cursor')
  t.same(seqs(tr.live([gev(gm(0)), gev(gm(3)), gev(gm(0))])), [0, 3, 0], 'online-only messages as pushed, in frame order')
  t.equal(tr.cursor(G), 3)
  t.equal(tr.next(G), undefined, 'nothing owed')
  const other = tr.live([{ type: 'groupMsg', groupId: 'g2', msg: gm(1) }, { type: 'unknown' } as unknown as GroupEvent])
  t.same(other.events.map((e) => e.groupId), ['g2'], 'groups are independent; unknown event types are skipped')
})

t.test('a group without a cursor starts at the first live message, replaying nothing', async (t) => {
  const tr = new GroupTracker({ userId: ME })
  t.same(seqs(tr.live([gev(gm(41))])), [41], 'the first message seen surfaces')
  t.equal(tr.cursor(G), 41)
  t.same(seqs(tr.live([gev(gm(40)), gev(gm(42))])), [42], 'older ones are history')
  t.equal(tr.next(G), undefined, 'and are not fetched')
})

t.test('a gap is held, fetched newest first below the held message, and surfaced in order', async (t) => {
  const tr = at(2)
  t.same(seqs(tr.live([gev(gm(6))])), [], '6 is held above the gap')
  t.ok(tr.hasWork(G))
  const q = tr.next(G)!
  t.match(q, { before: 6, limit: 3, probe: false }, 'exactly the three missing seqs')
  t.equal(tr.next(G), undefined, 'one request out per group')
  t.same(seqs(tr.live([gev(gm(3))])), [3], 'a late push that continues the cursor surfaces meanwhile')
  t.same(seqs(tr.page(G, q, answer(logOf(10), q))), [4, 5, 6], 'the page fills the gap; 3 is not repeated')
  t.equal(tr.cursor(G), 6)
  t.equal(tr.next(G), undefined)
})

t.test('a long gap takes pages of exactly what is missing; nothing surfaces before the last', async (t) => {
  const tr = at(1, { pageSize: 3 })
  tr.live([gev(gm(10))])
  const asked: unknown[] = []
  const surfaced: number[][] = []
  for (let q = tr.next(G); q; q = tr.next(G)) {
    asked.push({ before: q.before, limit: q.limit })
    surfaced.push(seqs(tr.page(G, q, answer(logOf(12), q))))
  }
  t.same(asked, [{ before: 10, limit: 3 }, { before: 7, limit: 3 }, { before: 4, limit: 2 }])
  t.same(surfaced, [[], [], [2, 3, 4, 5, 6, 7, 8, 9, 10]])
})

t.test('seqs the reader may not read (before its join) are passed over', async (t) => {
  const tr = at(0)
  t.same(seqs(tr.live([gev(gm(8))])), [])
  const q = tr.next(G)!
  t.match(q, { before: 8, limit: 7 })
  t.same(seqs(tr.page(G, q, answer(logOf(8), q, 5))), [6, 7, 8], 'complete: 1..5 are unreadable')
  t.equal(tr.cursor(G), 8)
  const tr2 = at(0)
  tr2.live([gev(gm(30))])
  const q2 = tr2.next(G)!
  t.same(seqs(tr2.page(G, q2, answer(logOf(30), q2, 29))), [30], 'an empty complete page passes over the whole gap')
  t.equal(tr2.next(G), undefined)
})

t.test('after a login, a probe per joined group; what was missed is fetched, nothing else', async (t) => {
  const tr = at(3)
  tr.disconnected()
  t.same(tr.joined([G, 'g2']), [G, 'g2'])
  const q = tr.next(G)!
  t.match(q, { probe: true, limit: 1, before: undefined })
  t.same(seqs(tr.page(G, q, answer(logOf(3), q))), [], 'nothing missed: one request')
  t.equal(tr.next(G), undefined)

  tr.joined([G, 'g2'])
  const p = tr.next(G)!
  t.same(seqs(tr.page(G, p, answer(logOf(9), p))), [], 'the head (9) is held')
  const f = tr.next(G)!
  t.match(f, { before: 9, limit: 5 }, 'the missed range below it')
  t.same(seqs(tr.page(G, f, answer(logOf(9), f))), [4, 5, 6, 7, 8, 9])
  t.equal(tr.next(G), undefined)
})

t.test('a joined group without a cursor starts at its head (not surfaced), or just below a live message seen meanwhile', async (t) => {
  const tr = new GroupTracker({ userId: ME })
  tr.joined([G])
  const q = tr.next(G)!
  t.same(seqs(tr.page(G, q, answer(logOf(4), q))), [], 'the head is history')
  t.equal(tr.cursor(G), 4)
  t.same(seqs(tr.live([gev(gm(5))])), [5])

  const tr2 = new GroupTracker({ userId: ME })
  tr2.joined([G])
  const q2 = tr2.next(G)!
  t.same(seqs(tr2.live([gev(gm(6)), gev(gm(7))])), [], 'live messages wait for the probe')
  t.same(seqs(tr2.page(G, q2, answer(logOf(7), q2))), [6, 7], 'they were new: they surface')
  t.equal(tr2.cursor(G), 7)
})

t.test('joined() forgets the groups left; forget() and gone failures drop a group', async (t) => {
  const tr = at(2)
  tr.live([{ type: 'groupMsg', groupId: 'g2', msg: gm(1) }])
  t.same(tr.joined(['g2']).sort(), ['g2'])
  t.equal(tr.cursor(G), undefined, 'g1 was left')
  tr.forget('g2')
  t.same(tr.groupIds, [])
  const tr2 = at(2)
  tr2.live([gev(gm(5))])
  const q = tr2.next(G)!
  tr2.failed(G, q, true)
  t.same(tr2.groupIds, [], 'not a member any more')
  const tr3 = at(2)
  tr3.live([gev(gm(5))])
  tr3.failed(G, tr3.next(G)!, false)
  t.ok(tr3.hasWork(G), 'a transient failure leaves the gap owed for the next trigger')
})

t.test('own sends move the cursor silently; an echo proves a send whose answer was lost', async (t) => {
  const tr = at(3)
  tr.expectEcho(G, 77)
  t.same(seqs(tr.live([gev(gm(4, { from: ME, random: 77 }))])), [], 'the echo before the answer')
  t.same(seqs(tr.echoSettled(G, gm(4, { from: ME, random: 77 }))), [])
  t.equal(tr.cursor(G), 4)

  tr.expectEcho(G, 88)
  t.same(seqs(tr.live([gev(gm(6))])), [], 'a later message overtakes the answer')
  const q = tr.next(G)!
  t.same(seqs(tr.echoSettled(G, gm(5, { from: ME, random: 88 }))), [6], 'the answer closes the gap')
  t.same(seqs(tr.page(G, q, { messages: [gm(5, { from: ME, random: 88 })], complete: false })), [], 'the page brings nothing new')

  tr.expectEcho(G, 99)
  tr.live([gev(gm(7, { from: ME, random: 99 }))])
  t.match(tr.echoAbandoned(G, 99), { seq: 7, random: 99 }, 'the echo resolves the send')
  tr.expectEcho(G, 55)
  t.equal(tr.echoAbandoned(G, 55), undefined, 'no echo: the send fails')
  t.same(seqs(tr.live([gev(gm(8, { from: ME, random: 55 }))])), [8], 'and its message, arriving later, surfaces')
  t.same(seqs(tr.live([gev(gm(9, { from: ME, random: 1 }))])), [9], 'so does a message from another device of this user')
  tr.expectEcho(G, 5)
  t.same(seqs(tr.live([gev(gm(0, { from: ME, random: 5 }))])), [], 'an online-only echo too is silent')
})

t.test('a full buffer drops the highest live messages; the gap fetch brings them back', async (t) => {
  const tr = at(1, { maxHeld: 2 })
  t.same(seqs(tr.live([gev(gm(5)), gev(gm(6)), gev(gm(7))])), [])
  t.equal(tr.held(G), 2)
  const q = tr.next(G)!
  t.match(q, { before: 5, limit: 3 })
  t.same(seqs(tr.page(G, q, answer(logOf(7), q))), [2, 3, 4, 5, 6])
  const q2 = tr.next(G)!
  t.match(q2, { before: 8, limit: 1 }, 'up to the highest seen')
  t.same(seqs(tr.page(G, q2, answer(logOf(7), q2))), [7])
})

t.test('an answer to a request lost with its connection is ignored', async (t) => {
  const tr = at(1)
  tr.live([gev(gm(4))])
  const q = tr.next(G)!
  tr.disconnected()
  t.same(seqs(tr.page(G, q, answer(logOf(4), q))), [], 'stale')
  const q2 = tr.next(G)!
  t.match(q2, { before: 4, limit: 2 }, 'asked again on the next connection')
  t.same(seqs(tr.page(G, q2, answer(logOf(4), q2))), [2, 3, 4])
})

// ---- seeded simulation ----

const GROUPS = ['g1', 'g2', 'g3']
/** g3's reader joined after its first FLOOR messages, without access to earlier history. */
const FLOOR = 23
const MESSAGES = 120

interface OwnSend { groupId: string; msg: GroupMessage; outcome?: 'resolved' | 'failed' }

class Scenario {
  readonly logs = new Map<string, GroupMessage[]>(GROUPS.map((g) => [g, []]))
  readonly seen = new Map<string, number[]>(GROUPS.map((g) => [g, []]))
  readonly tracker: GroupTracker
  readonly own: OwnSend[] = []
  readonly stats = { requests: 0, reconnects: 0, onlineOnlyPushed: 0, onlineOnlySeen: 0 }
  private net: GroupEvent[][] = []
  private queries: GroupQuery[] = []
  private pendingSends: OwnSend[] = []
  private connected = false
  private random = 1

  constructor(private readonly rnd: () => number) {
    this.tracker = new GroupTracker({ userId: ME, pageSize: 1 + Math.floor(rnd() * 8), maxHeld: rnd() < 0.3 ? 3 : 1000 })
    for (let i = 1; i <= FLOOR; i++) this.logs.get('g3')!.push(gm(i, { from: 'carol' }))
  }

  run(steps: number): void {
    this.reconnect()
    while (this.queries.length) this.answer(0)
    for (const g of GROUPS) if (this.tracker.cursor(g) !== 0) throw new Error(`${g} did not start at 0`)
    for (let i = 0; i < steps; i++) this.step()
    this.settle()
  }

  private step(): void {
    const r = this.rnd()
    if (r < 0.25) this.commit(this.pick(GROUPS))
    else if (r < 0.3) this.onlineOnly(this.pick(GROUPS))
    else if (r < 0.36) this.sendOwn(this.pick(GROUPS))
    else if (r < 0.42) this.answerSend()
    else if (r < 0.66) this.deliver()
    else if (r < 0.8) this.answer(Math.floor(this.rnd() * this.queries.length))
    else if (r < 0.82) this.failQuery()
    else if (r < 0.85) this.disconnect()
    else if (r < 0.92) this.reconnect()
    else this.resendOld()
  }

  private pick<T>(xs: T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)]
  }

  private total(): number {
    let n = 0
    for (const [g, log] of this.logs) n += g === 'g3' ? log.length - FLOOR : log.length
    return n
  }

  /** Stores a message from someone else (sometimes this user on another device) and pushes it. */
  private commit(groupId: string, msg?: GroupMessage): void {
    if (!msg && this.total() >= MESSAGES) return
    const log = this.logs.get(groupId)!
    const stored = msg ?? gm(log.length + 1, { from: this.rnd() < 0.1 ? ME : 'bob', random: 1e6 + log.length })
    log.push(stored)
    this.push(groupId, stored)
  }

  private onlineOnly(groupId: string): void {
    if (this.connected) this.stats.onlineOnlyPushed++
    this.push(groupId, gm(0, { random: 5e6 + this.stats.onlineOnlyPushed }), false)
  }

  /** Pushes with faults: dropped, duplicated, or coalesced into the previous frame. */
  private push(groupId: string, msg: GroupMessage, faults = true): void {
    if (!this.connected) return
    const f = this.rnd()
    if (faults && f < 0.12) return
    const ev = gev(msg, groupId)
    if (this.net.length && this.rnd() < 0.3) this.net[this.net.length - 1].push(ev)
    else this.net.push([ev])
    if (faults && f < 0.22) this.net.push([ev])
  }

  private sendOwn(groupId: string): void {
    if (this.total() >= MESSAGES) return
    const random = ++this.random
    this.tracker.expectEcho(groupId, random)
    const s: OwnSend = { groupId, msg: gm(this.logs.get(groupId)!.length + 1, { from: ME, random }) }
    this.own.push(s)
    this.pendingSends.push(s)
    this.commit(groupId, s.msg)
  }

  /** The answer to a send arrives (70%), or is lost and the send gives up. */
  private answerSend(): void {
    if (!this.pendingSends.length) return
    const [s] = this.pendingSends.splice(Math.floor(this.rnd() * this.pendingSends.length), 1)
    if (this.rnd() < 0.7) {
      s.outcome = 'resolved'
      this.apply(this.tracker.echoSettled(s.groupId, s.msg))
    } else {
      s.outcome = this.tracker.echoAbandoned(s.groupId, s.msg.random) ? 'resolved' : 'failed'
    }
  }

  private deliver(): void {
    if (!this.net.length) return
    const i = this.rnd() < 0.75 ? 0 : Math.floor(this.rnd() * this.net.length)
    const [frame] = this.net.splice(i, 1)
    this.apply(this.tracker.live(frame))
  }

  /** The server answers a pending history request from the log as it is now. */
  private answer(i: number): void {
    if (!this.queries.length) return
    const [q] = this.queries.splice(i, 1)
    this.apply(this.tracker.page(q.groupId, q, answer(this.logs.get(q.groupId)!, q, q.groupId === 'g3' ? FLOOR : 0)))
  }

  private failQuery(): void {
    if (!this.queries.length) return
    const [q] = this.queries.splice(Math.floor(this.rnd() * this.queries.length), 1)
    this.apply(this.tracker.failed(q.groupId, q, false), false)
  }

  private apply(step: GroupStep, pump = true): void {
    for (const e of step.events) {
      if (e.message.seq === 0) this.stats.onlineOnlySeen++
      else this.seen.get(e.groupId)!.push(e.message.seq)
    }
    if (pump) for (const g of step.groups) this.pump(g)
  }

  private pump(groupId: string): void {
    if (!this.connected) return
    const q = this.tracker.next(groupId)
    if (!q) return
    this.stats.requests++
    this.queries.push(q)
  }

  private disconnect(): void {
    this.connected = false
    this.net = []
    this.queries = []
    this.tracker.disconnected()
  }

  private reconnect(): void {
    if (this.connected) return
    this.connected = true
    this.stats.reconnects++
    for (const g of this.tracker.joined(GROUPS)) this.pump(g)
  }

  private resendOld(): void {
    const g = this.pick(GROUPS)
    const log = this.logs.get(g)!.filter((m) => g !== 'g3' || m.seq > FLOOR)
    if (log.length) this.push(g, this.pick(log), false)
  }

  /** No more faults: finish sending, answer everything, and reconnect until every group is caught up. */
  private settle(): void {
    this.reconnect()
    for (let guard = 0; guard < 100_000; guard++) {
      if (this.total() < MESSAGES) this.commit(this.pick(GROUPS))
      else if (this.pendingSends.length) this.answerSend()
      else if (this.net.length) this.deliver()
      else if (this.queries.length) this.answer(0)
      else if (GROUPS.some((g) => this.tracker.cursor(g) !== this.logs.get(g)!.length)) {
        this.disconnect()
        this.reconnect()
      } else return
    }
    throw new Error('did not settle')
  }

  /** What each group must have surfaced: its readable messages, minus this device's resolved sends. */
  expected(groupId: string): number[] {
    const mine = new Set(this.own.filter((s) => s.groupId === groupId && s.outcome === 'resolved').map((s) => s.msg.seq))
    return this.logs.get(groupId)!.filter((m) => (groupId !== 'g3' || m.seq > FLOOR) && !mine.has(m.seq)).map((m) => m.seq)
  }
}

t.test('simulation: exactly once, in seq order, under drops, duplicates, reordering, lost answers and reconnects', async (t) => {
  let failures = 0
  const totals = { requests: 0, reconnects: 0, failedSends: 0, onlineOnly: 0 }
  for (let seed = 1; seed <= 300; seed++) {
    const s = new Scenario(prng(seed))
    s.run(1200)
    for (const g of GROUPS) {
      const seen = s.seen.get(g)!
      const same = JSON.stringify(seen) === JSON.stringify(s.expected(g))
      if (!same && failures++ < 5) t.fail(`seed ${seed} ${g}`, { seen, expected: s.expected(g) })
    }
    if (s.stats.onlineOnlySeen > s.stats.onlineOnlyPushed) failures++
    totals.requests += s.stats.requests
    totals.reconnects += s.stats.reconnects
    totals.failedSends += s.own.filter((o) => o.outcome === 'failed').length
    totals.onlineOnly += s.stats.onlineOnlySeen
  }
  t.equal(failures, 0, 'every seed: each group\'s readable messages exactly once, in order')
  t.ok(totals.reconnects > 300 * 3, 'reconnects were exercised')
  t.ok(totals.failedSends > 0, 'sends whose answer was lost without an echo were exercised')
  t.ok(totals.onlineOnly > 0, 'online-only messages were exercised')
})
