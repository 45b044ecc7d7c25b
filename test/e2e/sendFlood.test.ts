/**
 * One flooding socket against a real node with default settings: a client process writes
 * 20,000 one-to-one sends in one burst, waiting for no answer, while an unrelated pair sends
 * 50 messages a second. The flooder gets its first maxSendsInFlight sends accepted, the next
 * maxRefusedSends refused with 9013, and is then closed with 4104; none of the rest is read.
 * The pair's send→receive latency stays low (p99 under 50 ms over the 2 s from the flood's
 * start), no refused or unread send is delivered or stored, and each accepted one is
 * delivered and stored once. The flood runs in its own process (test/helpers/flooder.ts), its
 * frames built before the clock starts, so neither its send loop nor its CPU skews the pair.
 */
import { performance } from 'node:perf_hooks'
import t from 'tap'
import { runFlooder } from '../helpers/flooder.js'
import { codec, RawClient } from '../helpers/rawClient.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { convShard } from '../../actors/conv/shardOfPair.js'

let server: TestServer
t.before(async () => { server = await startServer() })
t.teardown(() => server.stop())

async function login(userId: string): Promise<RawClient> {
  const c = await RawClient.open(server.wsUrl)
  const res = await c.request('login', { sdkAppId: server.app.sdkAppId, userId, userSig: server.userSig(userId), platform: 'Linux' })
  if (res.ok !== true) throw new Error(`login ${userId} failed: ${JSON.stringify(res)}`)
  return c
}

interface MsgEv { type: string; msg?: { from: string; random: number } }

/** Calls `on` with every live message pushed to `c` (decoded once more, beside RawClient's own decode). */
function onMessages(c: RawClient, on: (from: string, random: number) => void): void {
  c.ws.on('message', (data: Buffer) => {
    const f = codec.unpack(data) as { op: string; ev?: MsgEv }
    if (f.op === 'ev' && f.ev?.type === 'msg' && f.ev.msg) on(f.ev.msg.from, f.ev.msg.random)
  })
}

function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.max(0, Math.ceil(s.length * 0.99) - 1)]
}

const body = (s: string) => [{ MsgType: 'TIMTextElem', MsgContent: { Text: s } }]
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i)
const FLOOD = 20_000
const BASE = 10_000
const PAIR_INTERVAL_MS = 20
const WINDOW_MS = 2_000

t.test('a flooding socket: others keep a low p99, its refused sends are neither delivered nor stored', async (t) => {
  const { maxSendsInFlight: bound, maxRefusedSends } = server.config
  const receiver = await login('flood_r')
  const a = await login('pair_a')
  const b = await login('pair_b')
  t.teardown(() => { receiver.ws.close(); a.ws.close(); b.ws.close() })
  const delivered = new Map<number, number>()
  let markerSeen!: () => void
  const marker = new Promise<void>((resolve) => { markerSeen = resolve })
  onMessages(receiver, (from, random) => {
    if (from !== 'flood_s') return
    delivered.set(random, (delivered.get(random) ?? 0) + 1)
    if (random === 1) markerSeen()
  })

  // The pair: a → b every 20 ms; latency from the write to b's push, by MsgRandom.
  const sentAt = new Map<number, { wall: number; at: number }>()
  const latency = new Map<number, number>()
  let allReceived: (() => void) | undefined
  onMessages(b, (from, random) => {
    const s = sentAt.get(random)
    if (from !== 'pair_a' || !s || latency.has(random)) return
    latency.set(random, performance.now() - s.at)
    if (allReceived && latency.size === sentAt.size) allReceived()
  })
  t.equal((await a.request('send', { to: 'pair_b', random: 900_000, body: body('warm up') })).ok, true)
  let windowEnd = Infinity
  let paced!: () => void
  const pacing = new Promise<void>((resolve) => { paced = resolve })
  const pacer = setInterval(() => {
    if (Date.now() >= windowEnd) return paced()
    const random = sentAt.size + 1
    sentAt.set(random, { wall: Date.now(), at: performance.now() })
    a.sendRaw(codec.pack({ op: 'send', rid: 1_000_000 + random, to: 'pair_b', random, body: body(`p${random}`) }))
  }, PAIR_INTERVAL_MS)
  t.teardown(() => clearInterval(pacer))

  const flood = await runFlooder({
    wsUrl: server.wsUrl, sdkAppId: server.app.sdkAppId, userId: 'flood_s', userSig: server.userSig('flood_s'),
    to: 'flood_r', count: FLOOD, randomBase: BASE,
  })
  windowEnd = flood.startedAt + WINDOW_MS
  await pacing
  clearInterval(pacer)
  if (latency.size < sentAt.size) await new Promise<void>((resolve) => { allReceived = resolve })

  const during = [...sentAt].filter(([, s]) => s.wall >= flood.startedAt && s.wall < windowEnd).map(([r]) => latency.get(r)!)
  const before = [...sentAt].filter(([, s]) => s.wall < flood.startedAt).map(([r]) => latency.get(r)!)
  const refused = flood.refused['9013'] ?? []
  t.comment(`flood: ${FLOOD} sends written in ${flood.writeMs} ms; after ${flood.endedAt - flood.startedAt} ms ` +
    `${refused.length} refused (9013), closed ${flood.closeCode}, ${flood.unanswered.length} unanswered`)
  t.comment(`pair: ${during.length} sends in the ${WINDOW_MS} ms from the flood's start: p99 ${p99(during).toFixed(1)} ms, ` +
    `max ${Math.max(...during).toFixed(1)} ms; before the flood (the machine's own noise): ${before.length} sends, ` +
    `p99 ${p99(before).toFixed(1)} ms`)
  const worst = [...sentAt].map(([r, x]) => [x.wall - flood.startedAt, Math.round(latency.get(r)!)]).sort((p, q) => q[1] - p[1]).slice(0, 6)
  t.comment(`worst (ms after the flood's start, latency): ${JSON.stringify(worst)}`)
  t.ok(during.length >= 80, `the pair sent all along (${during.length} sends in the window)`)
  t.ok(p99(during) < 50, `the unrelated pair's p99 from the flood's start is under 50 ms (${p99(during).toFixed(1)} ms)`)
  t.same(Object.keys(flood.refused), ['9013'], 'every refusal is 9013, none BUSY or TIMEOUT')
  t.ok(refused.length >= maxRefusedSends, `at least ${maxRefusedSends} sends were refused (${refused.length})`)
  t.equal(flood.closeCode, 4104, 'then the flooder was closed with 4104')
  t.ok(flood.unanswered.length > FLOOD / 2, `most of the flood was never answered (${flood.unanswered.length})`)

  // A barrier: one more message of the same conversation, sent after the flood was over,
  // reaches the receiver after anything the flood stored.
  const again = await login('flood_s')
  t.teardown(() => again.ws.close())
  t.equal((await again.request('send', { to: 'flood_r', random: 1, body: body('marker') })).ok, true)
  await marker
  // The sends the gateway took: the first `bound` (nothing was in flight before them), and any
  // taken after an answer freed a slot; answered ok, or cut off by the close.
  const got = [...delivered.keys()].filter((r) => r !== 1).sort((x, y) => x - y)
  const refusedSet = new Set(refused)
  const unanswered = new Set(flood.unanswered)
  t.comment(`delivered: ${got.length} flood sends, ${flood.accepted.length} of them answered ok`)
  t.same(got.filter((r) => refusedSet.has(r)), [], 'no refused send was pushed to the receiver')
  t.same(flood.accepted.filter((r) => !delivered.has(r)), [], 'every send answered ok was pushed')
  t.same(got.filter((r) => !unanswered.has(r) && !flood.accepted.includes(r)), [], 'nothing else of the flood was pushed')
  t.same(range(BASE + 1, bound).filter((r) => !delivered.has(r)), [], `the first ${bound} sends were taken and pushed`)
  t.same([...delivered.values()].filter((n) => n !== 1), [], 'each once')
  const accepted = got

  const inbox: number[] = []
  for (let after = 0, more = true; more;) {
    const r = (await receiver.request('sync', { sh: convShard(server.app.sdkAppId, 'flood_s', 'flood_r'), after, limit: 100 })).data as { events: MsgEv[]; upTo: number; more: boolean }
    for (const e of r.events) if (e.type === 'msg' && e.msg?.from === 'flood_s') inbox.push(e.msg.random)
    after = r.upTo
    more = r.more
  }
  t.same(inbox.sort((x, y) => x - y), [1, ...accepted], 'the receiver\'s inbox holds each accepted send once, nothing else of the flood')
  const history = (await receiver.request('history', { peer: 'flood_s', limit: 100 })).data as { messages: { random: number }[] }
  t.same(history.messages.map((m) => m.random).sort((x, y) => x - y), [1, ...accepted], 'so does the receiver\'s history')
})
