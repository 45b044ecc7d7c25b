/**
 * Randomised delivery scenarios for the ShardedInbox: a simulated server keeps one stream per
 * conversation shard for the user (shards appear as peers first write), its live pushes are
 * dropped, duplicated and reordered across and within shards, old events are resent, the
 * connection drops and comes back (login lists the non-empty shards), shard syncs run
 * concurrently and are answered late (reading the stream as it is then), the user's own sends
 * echo on their conversation's shard with the ack before or after the echo, and some messages
 * are stored twice, on the same shard or another. Under every seed the app must see every
 * stored event exactly once (messages once per msgKey, own sends never), in seq order per shard.
 */
import t from 'tap'
import { ShardedInbox, type ShardedEvent } from '../../src/client/ShardedInbox.js'
import type { InboxEvent } from '../../src/protocol/events.js'
import type { SyncResult } from '../../src/protocol/frames.js'
import { ME, msgEv, onShard, prng, readEv } from './fixtures/events.js'

const EVENTS = 240
const SYNC_LIMIT = 5
/** Peers and the shard of each one's conversation with ME (two share shard 17). */
const PEERS: ReadonlyArray<readonly [string, number]> = [['bob', 0], ['carol', 17], ['dave', 17], ['erin', 40], ['fay', 63], ['gus', 5]]

type Stored = InboxEvent & { sh: number }

class Scenario {
  readonly streams = new Map<number, Stored[]>()
  readonly seen: ShardedEvent[] = []
  readonly inbox = new ShardedInbox({ userId: ME })
  /** Keys of this user's own sends: never to be surfaced. */
  readonly own = new Set<string>()
  readonly stats = { gaps: 0, drains: 0, reconnects: 0, newShardsLive: 0, concurrentSyncs: 0, echoFirst: 0 }
  private stored = 0
  private net: ShardedEvent[] = []
  private acks: Array<{ to: string; random: number; msgKey: string }> = []
  private connected = false
  /** Running sync of each shard: the `after` of its next page. */
  private readonly pending = new Map<number, number>()
  /** Shards reported for a sync not started yet. */
  private readonly wanted = new Set<number>()
  private random = 1

  constructor(private readonly rnd: () => number) {}

  run(steps: number): void {
    this.reconnect()
    for (let i = 0; i < steps; i++) this.step()
    this.settle()
  }

  private step(): void {
    const r = this.rnd()
    if (r < 0.25) this.commit()
    else if (r < 0.3) this.sendOwn()
    else if (r < 0.6) this.deliver()
    else if (r < 0.64) this.ack()
    else if (r < 0.78) this.answerSync()
    else if (r < 0.83) this.startWantedSyncs()
    else if (r < 0.85) this.disconnect()
    else if (r < 0.9) this.reconnect()
    else if (r < 0.95) this.resendOld()
    else this.pushOnlineOnly()
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)]
  }

  private stream(sh: number): Stored[] {
    let s = this.streams.get(sh)
    if (!s) this.streams.set(sh, (s = []))
    return s
  }

  /** Stores an incoming event from a random peer on that conversation's shard, then pushes it. */
  private commit(): void {
    if (this.stored >= EVENTS) return
    const [peer, sh] = this.pick(PEERS)
    const seq = this.stream(sh).length + 1
    const r = this.rnd()
    const incoming = [...this.streams.values()].flat().filter((e) => e.type === 'msg' && !this.own.has(e.msg.msgKey))
    let ev: InboxEvent
    if (r < 0.15) ev = readEv(seq, peer)
    else if (r < 0.25 && incoming.length > 0) ev = msgEv(seq, { from: peer, key: (this.pick(incoming) as Extract<Stored, { type: 'msg' }>).msg.msgKey })
    else ev = msgEv(seq, { from: peer, key: `${peer}.${sh}.${seq}` })
    this.store(onShard(sh, ev))
  }

  /** This user sends to a peer: the echo is stored on the conversation's shard; the ack comes later. */
  private sendOwn(): void {
    if (this.stored >= EVENTS) return
    const [peer, sh] = this.pick(PEERS)
    const random = this.random++
    const msgKey = `own.${random}`
    this.own.add(msgKey)
    this.inbox.expectEcho(peer, random)
    this.store(onShard(sh, msgEv(this.stream(sh).length + 1, { from: ME, to: peer, random, key: msgKey })))
    this.acks.push({ to: peer, random, msgKey })
  }

  private store(ev: Stored): void {
    this.stream(ev.sh).push(ev)
    this.stored++
    this.push(ev)
  }

  /** Pushes to the socket with network faults: dropped or duplicated. */
  private push(ev: ShardedEvent): void {
    if (!this.connected) return
    const f = this.rnd()
    if (f < 0.1) return
    this.net.push(ev)
    if (f < 0.2) this.net.push(ev)
  }

  private deliver(): void {
    if (this.net.length === 0) return
    const i = this.rnd() < 0.6 ? 0 : Math.floor(this.rnd() * this.net.length)
    const [ev] = this.net.splice(i, 1)
    const sh = ev.sh ?? -1
    const known = this.inbox.shards.includes(sh)
    const wasLive = this.inbox.phaseOf(sh) === 'live'
    const before = this.inbox.cursorOf(sh)
    const step = this.inbox.live(ev)
    if (step.sync.length > 0) {
      if (wasLive) this.stats.gaps++
      else if (!known) this.stats.newShardsLive++
    }
    if (step.events.length > 1) this.stats.drains++
    const applied = ev.seq > before && this.inbox.cursorOf(sh) >= ev.seq
    if (applied && ev.type === 'msg' && this.own.has(ev.msg.msgKey) && this.acks.some((a) => a.msgKey === ev.msg.msgKey)) this.stats.echoFirst++
    this.surface(step.events)
    for (const sh of step.sync) this.wanted.add(sh)
  }

  /** The ack of one own send arrives (acks survive reconnects: the client resends until answered). */
  private ack(): void {
    if (this.acks.length === 0) return
    const [a] = this.acks.splice(Math.floor(this.rnd() * this.acks.length), 1)
    this.inbox.echoSettled(a.to, a.random, a.msgKey)
  }

  /** The client starts the syncs it owes, one per shard not already syncing (they then run concurrently). */
  private startWantedSyncs(): void {
    if (!this.connected) return
    for (const sh of this.wanted) if (!this.pending.has(sh)) this.startSync(sh)
  }

  private startSync(sh: number): void {
    if (this.pending.size > 0) this.stats.concurrentSyncs++
    this.wanted.delete(sh)
    this.pending.set(sh, this.inbox.beginSync(sh))
  }

  /** The server answers one running shard sync from the stream as it is now. */
  private answerSync(): void {
    if (this.pending.size === 0) return
    const sh = this.pick([...this.pending.keys()])
    const step = this.inbox.syncPage(sh, serverSync(this.stream(sh), this.pending.get(sh)!, SYNC_LIMIT))
    this.surface(step.events)
    if (step.more) this.pending.set(sh, step.after)
    else this.pending.delete(sh)
    for (const s of step.sync) this.wanted.add(s)
  }

  private disconnect(): void {
    this.connected = false
    this.net = []
    this.pending.clear()
    this.wanted.clear()
    this.inbox.disconnected()
  }

  /** Login lists every shard with a stream; every shard it returns is owed a sync. */
  private reconnect(): void {
    if (this.connected) return
    this.connected = true
    this.stats.reconnects++
    const listed = [...this.streams].filter(([, s]) => s.length > 0).map(([sh]) => sh)
    const step = this.inbox.login(listed)
    if (step.reset.length > 0) throw new Error(`unexpected reset of ${step.reset.join(',')}`)
    for (const sh of step.sync) this.wanted.add(sh)
  }

  private resendOld(): void {
    const all = [...this.streams.values()].flat()
    if (this.connected && all.length > 0) this.net.push(this.pick(all))
  }

  private pushOnlineOnly(): void {
    const [peer, sh] = this.pick(PEERS)
    const ev = msgEv(0, { from: peer, key: `flash.${this.random++}` })
    this.push(this.rnd() < 0.5 ? onShard(sh, ev) : ev)
  }

  private surface(evs: InboxEvent[]): void {
    this.seen.push(...evs)
  }

  /** No more faults: store the rest, deliver everything, finish every sync. */
  private settle(): void {
    this.reconnect()
    while (this.stored < EVENTS) this.commit()
    for (let guard = 0; guard < 20_000; guard++) {
      const behind = [...this.streams].find(([sh, s]) => this.inbox.cursorOf(sh) < s.length && !this.pending.has(sh))
      if (this.net.length > 0) this.deliver()
      else if (this.acks.length > 0) this.ack()
      else if (this.pending.size > 0) this.answerSync()
      else if (this.wanted.size > 0) this.startWantedSyncs()
      else if (behind) this.startSync(behind[0])
      else return
    }
    throw new Error('did not settle')
  }
}

function serverSync(stream: Stored[], after: number, limit: number): SyncResult {
  const events = stream.slice(after, after + limit)
  const upTo = events.length > 0 ? events[events.length - 1].seq : after
  return { sh: 0, events, upTo, more: events.length === limit && upTo < stream.length }
}

/** Checks one finished scenario; returns what is wrong (empty when right). */
function verify(s: Scenario): string[] {
  const wrong: string[] = []
  const stored = [...s.streams.values()].flat()
  const seenStored = s.seen.filter((e) => e.seq > 0) as Stored[]
  // Per shard, strictly ascending seqs: ordered and never twice.
  for (const sh of s.streams.keys()) {
    const seqs = seenStored.filter((e) => e.sh === sh).map((e) => e.seq)
    if (!seqs.every((q, i) => i === 0 || q > seqs[i - 1])) wrong.push(`shard ${sh} out of order: ${seqs.join(',')}`)
    if (s.inbox.cursorOf(sh) !== s.streams.get(sh)!.length) wrong.push(`shard ${sh} cursor ${s.inbox.cursorOf(sh)}`)
  }
  // Every non-message event exactly once.
  const id = (e: Stored) => `${e.sh}:${e.seq}`
  const others = (xs: Stored[]) => xs.filter((e) => e.type !== 'msg').map(id).sort()
  if (JSON.stringify(others(seenStored)) !== JSON.stringify(others(stored))) wrong.push('non-message events differ')
  // Every incoming msgKey exactly once, own sends never, online-only at most once.
  const keys = s.seen.flatMap((e) => (e.type === 'msg' ? [e.msg.msgKey] : []))
  const storedKeys = new Set(stored.flatMap((e) => (e.type === 'msg' && !s.own.has(e.msg.msgKey) ? [e.msg.msgKey] : [])))
  if (new Set(keys).size !== keys.length) wrong.push('a message key surfaced twice')
  if (keys.some((k) => s.own.has(k))) wrong.push('an own send surfaced')
  const storedSeen = keys.filter((k) => !k.startsWith('flash.'))
  if (storedSeen.length !== storedKeys.size || !storedSeen.every((k) => storedKeys.has(k))) wrong.push('stored message keys differ')
  return wrong
}

t.test('exactly once per shard, in order, under drops, duplicates, reordering, resends, reconnects and own sends', async (t) => {
  let failures = 0
  for (let seed = 1; seed <= 200; seed++) {
    const s = new Scenario(prng(seed))
    s.run(2000)
    const wrong = verify(s)
    if (wrong.length > 0) {
      failures++
      t.fail(`seed ${seed}`, { wrong })
    }
  }
  t.equal(failures, 0, '200 seeds')
})

t.test('the simulation exercises the paths it claims to', async (t) => {
  // Guards against a vacuous simulation: over 50 seeds, gaps in known shards, shards first
  // seen live, concurrent shard syncs, buffered events released by a late live one,
  // reconnects, echoes hidden before their ack, and stored duplicates (same or other shard).
  const total = { gaps: 0, drains: 0, reconnects: 0, newShardsLive: 0, concurrentSyncs: 0, echoFirst: 0, hidden: 0, crossShardDups: 0 }
  for (let seed = 1; seed <= 50; seed++) {
    const s = new Scenario(prng(seed))
    s.run(2000)
    for (const k of Object.keys(s.stats) as Array<keyof Scenario['stats']>) total[k] += s.stats[k]
    const stored = [...s.streams.values()].flat()
    const msgs = stored.filter((e) => e.type === 'msg') as Array<Extract<Stored, { type: 'msg' }>>
    total.hidden += msgs.length - new Set(msgs.map((e) => e.msg.msgKey)).size
    const shardsOf = new Map<string, Set<number>>()
    for (const e of msgs) shardsOf.set(e.msg.msgKey, (shardsOf.get(e.msg.msgKey) ?? new Set()).add(e.sh))
    total.crossShardDups += [...shardsOf.values()].filter((x) => x.size > 1).length
  }
  t.ok(total.gaps > 200, `gaps seen live in known shards (${total.gaps})`)
  t.ok(total.newShardsLive > 20, `shards first seen live after login (${total.newShardsLive})`)
  t.ok(total.concurrentSyncs > 100, `syncs started while another shard was syncing (${total.concurrentSyncs})`)
  t.ok(total.drains > 15, `buffered events released by a late live one (${total.drains})`)
  t.ok(total.reconnects > 200, `reconnects (${total.reconnects})`)
  t.ok(total.echoFirst > 20, `own echoes hidden before their ack (${total.echoFirst})`)
  t.ok(total.hidden > 200, `stored duplicates (${total.hidden})`)
  t.ok(total.crossShardDups > 100, `keys stored on two shards (${total.crossShardDups})`)
})
