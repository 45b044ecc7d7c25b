/**
 * TopicTable's shedding against a fake uWS app and fake sockets that record every call: how
 * a socket moves between tiers (join before leave, counts and room sets untouched), what a
 * flush publishes to each tier (and that it asks nothing more when no socket is on a lower
 * tier), leaves and closes of tiered sockets, the over-limit close and the counters.
 */
import { setImmediate as turn } from 'node:timers/promises'
import t from 'tap'
import type { TemplatedApp } from 'uWebSockets.js'
import type { ActorMessage } from '../../actors/runtime/protocol.js'
import type { Router } from '../../actors/runtime/types.js'
import { type Socket, type SocketState, SocketTable } from '../../src/edge/gateway/SocketTable.js'
import { TopicTable } from '../../src/edge/gateway/TopicTable.js'
import { decode } from '../../src/core/codec.js'
import type { GroupEvent } from '../../src/protocol/events.js'
import type { ServerFrame } from '../../src/protocol/frames.js'

const ROOM = 'group/1400000000/room'
const LIMIT = 800

/** What the fakes saw, in order: `sub <id> <topic>`, `unsub …`, `publish <topic>`, `end <id> <code>`, `send <id>`. */
type Calls = string[]

class FakeApp {
  readonly subs = new Map<string, Set<FakeSocket>>()
  readonly asked: string[] = []
  readonly published: { topic: string; data: Buffer | string }[] = []
  constructor(private readonly calls: Calls) {}
  numSubscribers(topic: string): number {
    this.asked.push(topic)
    return this.subs.get(topic)?.size ?? 0
  }
  publish(topic: string, data: Buffer | string): boolean {
    this.calls.push(`publish ${topic}`)
    this.published.push({ topic, data })
    return true
  }
  /** The events of the frame published to `topic` in this flush (undefined: none). */
  evs(topic: string): GroupEvent[] | undefined {
    const p = this.published.find((x) => x.topic === topic)
    if (!p) return undefined
    const f = (typeof p.data === 'string' ? JSON.parse(p.data) : decode(p.data)) as { evs: GroupEvent[] }
    return f.evs
  }
}

class FakeSocket {
  buffered = 0
  constructor(private readonly app: FakeApp, private readonly calls: Calls, private readonly state: SocketState) {}
  getUserData() { return this.state }
  getBufferedAmount() { return this.buffered }
  subscribe(topic: string) {
    this.calls.push(`sub ${this.state.id} ${topic}`)
    const set = this.app.subs.get(topic) ?? new Set()
    set.add(this)
    this.app.subs.set(topic, set)
    return true
  }
  unsubscribe(topic: string) {
    this.calls.push(`unsub ${this.state.id} ${topic}`)
    this.app.subs.get(topic)?.delete(this)
    return true
  }
}

function harness() {
  const calls: Calls = []
  const app = new FakeApp(calls)
  const table = new SocketTable(LIMIT)
  const tells: ActorMessage[] = []
  const sent: { id: number; frame: ServerFrame }[] = []
  const router = { tell: (_to: unknown, msg: ActorMessage) => { tells.push(msg) } } as unknown as Router
  const logged: Record<string, unknown>[] = []
  const byUser = new Map<string, Socket[]>()
  const topics = new TopicTable({
    app: app as unknown as TemplatedApp, router, where: { node: 'n', thread: 0 }, coalesceMs: 0, shedLimitBytes: LIMIT,
    log: { info: (msg, f) => logged.push({ msg, ...f }), warn: () => {}, error: () => {}, debug: () => {} },
    sockets: {
      ofUser: (_app, user) => byUser.get(user) ?? [],
      send: (ws, frame) => { calls.push(`send ${ws.getUserData().id}`); sent.push({ id: ws.getUserData().id, frame }) },
      end: (ws, code) => { calls.push(`end ${ws.getUserData().id} ${code}`); ws.getUserData().phase = 'closed' },
      endSlow: (ws) => { calls.push(`end ${ws.getUserData().id} 4100`); ws.getUserData().phase = 'closed' },
    },
  })
  /** A live socket of `user` in the room; `json`: it speaks JSON text. */
  const join = (user: string, json = false) => {
    const state: SocketState = { ...table.newState(0), phase: 'live', app: 1400000000, userId: user, json }
    const fake = new FakeSocket(app, calls, state)
    const ws = fake as unknown as Socket
    byUser.set(user, [...(byUser.get(user) ?? []), ws])
    topics.subscribe(ws, [ROOM], true)
    return { ws, fake, state }
  }
  /** Queues `evs` and lets the flush run; returns what it published. */
  const flush = async (evs: GroupEvent[]) => {
    app.published.length = 0
    app.asked.length = 0
    for (const ev of evs) topics.publish(ROOM, ev)
    await turn()
  }
  return { calls, app, topics, tells, sent, logged, join, flush }
}

const msg = (n: number, priority?: string): GroupEvent => ({
  type: 'groupMsg', groupId: 'room',
  msg: { seq: n, from: 'owner', random: n, time: 0, body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: `m${n}` } }], flags: 0, ...(priority ? { priority } : {}) },
})
const seqs = (evs: GroupEvent[] | undefined) => evs?.map((e) => (e.type === 'groupMsg' ? e.msg.seq : e.type))

t.test('with no socket on a lower tier, a flush asks and publishes exactly what it did before tiers', async (t) => {
  const h = harness()
  h.join('a')
  h.join('b', true)
  await h.flush([msg(1, 'Lowest'), msg(2, 'High')])
  t.same(h.app.asked, [ROOM, `json:${ROOM}`], 'two subscriber counts: the room topic and its JSON twin')
  t.same(h.app.published.map((p) => p.topic), [ROOM, `json:${ROOM}`])
  t.same(seqs(h.app.evs(ROOM)), [1, 2])
  t.same(h.topics.stats(), { shedEvents: 0, tierDowns: 0, tierUps: 0, onTier: [0, 0, 0] })
})

t.test('a move joins the tier topic before leaving the old one; the room set and the interest count stay', async (t) => {
  const h = harness()
  const a = h.join('a')
  const b = h.join('b', true)
  await turn()
  const tellsBefore = h.tells.length
  t.equal(h.topics.count(ROOM), 2)
  h.calls.length = 0
  a.fake.buffered = 201
  h.topics.shedCheck(a.ws)
  b.fake.buffered = 601
  h.topics.shedCheck(b.ws)
  t.same(h.calls, [
    `sub ${a.state.id} shed1:${ROOM}`, `unsub ${a.state.id} ${ROOM}`,
    `sub ${b.state.id} json:shed3:${ROOM}`, `unsub ${b.state.id} json:${ROOM}`,
  ], 'joins first (uWS then hands over what was already published to it), JSON sockets on json: tier topics')
  t.same([a.state.tier, b.state.tier], [1, 3])
  t.same([...a.state.topics!], [ROOM], 's.topics keeps the room topic')
  await turn()
  t.equal(h.topics.count(ROOM), 2, 'each socket still counts once for its room')
  t.equal(h.tells.length, tellsBefore, 'and the group actor is told nothing')
  t.match(h.logged, [{ msg: 'slow socket: lower priorities shed', conn: a.state.id, user: 'a', tier: 1, was: 0, buffered: 201 }, { tier: 3, was: 0 }])
  t.same(h.topics.stats().onTier, [1, 0, 1])
})

t.test('a flush: the full frame to tier 0, each lower tier with subscribers what it keeps, each distinct frame encoded once', async (t) => {
  const h = harness()
  const full = h.join('full')
  const one = h.join('one')
  const two = h.join('two', true)
  const three = h.join('three')
  for (const [s, bytes] of [[one, 201], [two, 401], [three, 601]] as const) {
    s.fake.buffered = bytes
    h.topics.shedCheck(s.ws)
  }
  t.same([full.state.tier, one.state.tier, two.state.tier, three.state.tier], [0, 1, 2, 3])
  await h.flush([msg(1, 'Lowest'), msg(2, 'Low'), msg(3, 'High'), msg(4), { type: 'groupRecall', groupId: 'room', seq: 9 }])
  t.same(seqs(h.app.evs(ROOM)), [1, 2, 3, 4, 'groupRecall'], 'tier 0: everything')
  t.same(seqs(h.app.evs(`shed1:${ROOM}`)), [2, 3, 4, 'groupRecall'], 'tier 1: no Lowest')
  t.same(seqs(h.app.evs(`json:shed2:${ROOM}`)), [3, 4, 'groupRecall'], 'tier 2 (JSON): no Low either')
  t.same(seqs(h.app.evs(`shed3:${ROOM}`)), [3, 'groupRecall'], 'tier 3: High and the recall')
  t.same(h.app.published.map((p) => p.topic), [ROOM, `shed1:${ROOM}`, `json:shed2:${ROOM}`, `shed3:${ROOM}`], 'nothing to topics without subscribers')
  t.equal(new Set(h.app.asked).size, h.app.asked.length, 'each topic asked for its subscribers once')
  t.equal(h.topics.stats().shedEvents, 1 + 2 + 3, 'one Lowest left out for tier 1, two for tier 2, three for tier 3')

  await h.flush([msg(5, 'High'), msg(6)])
  const data = (topic: string) => h.app.published.find((p) => p.topic === topic)?.data
  t.equal(data(`shed1:${ROOM}`), data(ROOM), 'a tier that keeps everything reuses the full frame')
  t.not(data(`shed3:${ROOM}`), data(ROOM))

  await h.flush([msg(7, 'Lowest')])
  t.same(h.app.published.map((p) => p.topic), [ROOM], 'a tier that keeps nothing gets no frame')
  t.equal(h.topics.stats().shedEvents, 6 + 1 + (1 + 1 + 1), 'and what it left out is counted')
})

t.test('watched sockets are re-checked before each flush: a move never splits a flush', async (t) => {
  const h = harness()
  const a = h.join('a')
  a.fake.buffered = 100
  h.topics.shedCheck(a.ws)
  t.equal(a.state.tier, 0, 'behind, but not past L/4')
  a.fake.buffered = 450
  h.calls.length = 0
  await h.flush([msg(1, 'Low'), msg(2, 'Normal')])
  t.same(h.calls, [`sub ${a.state.id} shed2:${ROOM}`, `unsub ${a.state.id} ${ROOM}`, `publish shed2:${ROOM}`], 'moved, then the flush')
  t.same(seqs(h.app.evs(`shed2:${ROOM}`)), [2])

  a.fake.buffered = 150
  await h.flush([msg(3)])
  t.equal(a.state.tier, 2, 'over L/8 it stays down')
  a.fake.buffered = 99
  h.calls.length = 0
  await h.flush([msg(4, 'Lowest')])
  t.same(h.calls, [`sub ${a.state.id} ${ROOM}`, `unsub ${a.state.id} shed2:${ROOM}`, `publish ${ROOM}`], 'under L/8: back to the full tier')
  t.match(h.topics.stats(), { tierDowns: 1, tierUps: 1, onTier: [0, 0, 0] })
  t.match(h.logged.at(-1), { msg: 'slow socket caught up: nothing shed', tier: 0, was: 2 })

  a.fake.buffered = 0
  await h.flush([msg(5)])
  h.app.asked.length = 0
  await h.flush([msg(6)])
  t.same(h.app.asked, [ROOM, `json:${ROOM}`], 'drained and on tier 0: no longer watched, flushes as before')

  a.fake.buffered = 40
  h.topics.shedCheck(a.ws)
  a.fake.buffered = 450
  h.calls.length = 0
  await h.flush([msg(7)])
  t.same(h.calls, [`publish ${ROOM}`], 'under L/16 a socket is not watched: the flush checks no socket (the sweep or drain will)')
})

t.test('over the limit a room member is closed with 4100, whatever its tier', async (t) => {
  const h = harness()
  const a = h.join('a')
  a.fake.buffered = 700
  h.topics.shedCheck(a.ws)
  t.equal(a.state.tier, 3)
  a.fake.buffered = LIMIT + 1
  h.calls.length = 0
  await h.flush([msg(1, 'High')])
  t.same(h.calls.slice(0, 1), [`end ${a.state.id} 4100`], 'ended before the flush publishes')
})

t.test('a tiered leaver leaves its tier topic and gets the leave (and what its tier keeps) directly', async (t) => {
  const h = harness()
  h.join('stay')
  const gone = h.join('gone')
  gone.fake.buffered = 300
  h.topics.shedCheck(gone.ws)
  h.calls.length = 0
  h.topics.publish(ROOM, msg(1, 'Lowest'))
  h.topics.publish(ROOM, msg(2, 'High'))
  h.topics.publish(ROOM, { type: 'groupLeave', groupId: 'room', accounts: ['gone'] })
  t.same(h.calls, [`unsub ${gone.state.id} shed1:${ROOM}`, `publish ${ROOM}`, `send ${gone.state.id}`], 'unsubscribed from its tier, then the frame, then its own copy')
  t.same(seqs((h.sent[0].frame as { evs: GroupEvent[] }).evs), [2, 'groupLeave'], 'its copy leaves out what its tier sheds')
  t.same(gone.state.topics?.size, 0)
  await turn()
  t.equal(h.topics.count(ROOM), 1)
  h.app.asked.length = 0
  await h.flush([msg(3)])
  t.same(h.app.asked, [ROOM, `json:${ROOM}`], 'no socket on a lower tier of the room any more')
})

t.test('a tiered socket that closes takes its tier counts with it', async (t) => {
  const h = harness()
  h.join('a')
  const b = h.join('b')
  b.fake.buffered = 500
  h.topics.shedCheck(b.ws)
  t.same(h.topics.stats().onTier, [0, 1, 0])
  b.state.phase = 'closed'
  h.topics.forget(b.state)
  await turn()
  t.equal(h.topics.count(ROOM), 1, 'the room counts one socket')
  t.same(h.topics.stats().onTier, [0, 0, 0])
  await h.flush([msg(1)])
  t.same(h.app.asked, [ROOM, `json:${ROOM}`], 'flushes as before tiers')
  h.topics.shedCheck(b.ws)
  t.equal(b.state.tier, 2, 'a closed socket is never touched again')
})

t.test('a socket unsubscribed before the group\'s leave arrives still gets what was queued for the room', async (t) => {
  const h = harness()
  const stay = h.join('stay')
  const gone = h.join('gone')
  h.calls.length = 0
  h.topics.publish(ROOM, msg(1))
  h.topics.publish(ROOM, msg(2))
  // The leaver's session told this thread first; the group's groupLeave is still on its way.
  h.topics.subscribe(gone.ws, [ROOM], false)
  t.same(h.calls, [`unsub ${gone.state.id} ${ROOM}`, `send ${gone.state.id}`], 'unsubscribed, then sent the queued events directly')
  t.same(seqs((h.sent[0]!.frame as { evs: GroupEvent[] }).evs), [1, 2])
  await turn()
  t.same(seqs(h.app.evs(ROOM)), [1, 2], 'the flush still publishes them to the members who stay')
  t.same(h.app.subs.get(ROOM)?.has(stay.fake), true)
  h.calls.length = 0
  h.sent.length = 0
  h.topics.subscribe(stay.ws, [ROOM], false)
  t.same(h.calls, [`unsub ${stay.state.id} ${ROOM}`], 'nothing queued: nothing sent')
})
