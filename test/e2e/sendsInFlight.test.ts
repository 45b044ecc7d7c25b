/**
 * The bound on one connection's sends in flight (maxSendsInFlight, here 8) against a real
 * node: a burst far beyond it, written in one TCP write so the server reads it at once, gets
 * exactly its first 8 sends accepted and every later one refused with 9013 at once; no
 * refused send is delivered or stored, every accepted one is, once; one-to-one and group
 * sends alike. The bound is per connection, and a failed send frees its slot as a
 * successful one does. A connection refused maxRefusedSends times in a row is closed with
 * 4104. The SDK keeps within the bound its login result names. Exact because no send can be
 * answered while the server is still reading the burst: each needs an fsynced commit first.
 */
import type { Socket } from 'node:net'
import t from 'tap'
import { GroupMember } from '../helpers/groupMember.js'
import { codec, RawClient } from '../helpers/rawClient.js'
import { testPool, uid } from '../helpers/sdkClients.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { Rest } from '../rest/fixtures/rest.js'
import { convShard } from '../../actors/conv/shardOfPair.js'

const BOUND = 8
let server: TestServer
t.before(async () => { server = await startServer({ config: { maxSendsInFlight: BOUND, groupMsgRate: 100_000 } }) })
t.teardown(() => server.stop())

async function login(userId: string): Promise<RawClient> {
  const c = await RawClient.open(server.wsUrl)
  const res = await c.request('login', { sdkAppId: server.app.sdkAppId, userId, userSig: server.userSig(userId), platform: 'Linux' })
  if (res.ok !== true) throw new Error(`login ${userId} failed: ${JSON.stringify(res)}`)
  return c
}

type Res = { op: 'res'; rid: number; ok: boolean; code?: number; data?: unknown }

/**
 * Writes `frames` in one write (the socket corked meanwhile) and resolves with their answers
 * in the frames' order.
 */
function burst(c: RawClient, frames: { rid: number }[]): Promise<Res[]> {
  const answers = frames.map((f) => c.next((r) => r.op === 'res' && r.rid === f.rid) as Promise<Res>)
  const socket = (c.ws as unknown as { _socket: Socket })._socket
  socket.cork()
  for (const f of frames) c.sendRaw(codec.pack(f))
  socket.uncork()
  return Promise.all(answers)
}

const body = (s: string) => [{ MsgType: 'TIMTextElem', MsgContent: { Text: s } }]
const codes = (rs: Res[]) => rs.map((r) => (r.ok ? 0 : r.code))
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i)

t.test('one-to-one: a burst beyond the bound gets exactly the excess refused, and the excess is neither delivered nor stored', async (t) => {
  // burst_r < burst_s: the receiver sequences, its copy is each send's first step.
  const receiver = await login('burst_r')
  const sender = await login('burst_s')
  const otherDevice = await login('burst_s')
  t.teardown(() => { receiver.ws.close(); sender.ws.close(); otherDevice.ws.close() })
  const pushed: number[] = []
  receiver.ws.on('message', (data: Buffer) => {
    const f = codec.unpack(data) as { op: string; ev?: { type: string; msg: { random: number } } }
    if (f.op === 'ev' && f.ev?.type === 'msg') pushed.push(f.ev.msg.random)
  })

  const N = 200
  const frames = range(1, N).map((i) => ({ op: 'send', rid: 1000 + i, to: 'burst_r', random: i, body: body(`m${i}`) }))
  const answering = burst(sender, frames)
  // The bound is per connection: the same user's other device is not refused meanwhile.
  const other = await otherDevice.request('send', { to: 'burst_r', random: 5000, body: body('other device') })
  const answers = await answering
  t.equal(other.ok, true, 'another connection of the same user sends while this one is full')
  t.same(codes(answers), [...range(0, BOUND).map(() => 0), ...range(0, N - BOUND).map(() => 9013)], `the first ${BOUND} were accepted, the other ${N - BOUND} refused with 9013`)
  t.match(answers[BOUND], { code: 9013, message: /too many sends in flight on this connection/ }, 'the refusal says why')

  // The slots are free again once answered: a barrier message from the same connection,
  // sent after every answer, arrives after anything the burst stored.
  const marker = await sender.request('send', { to: 'burst_r', random: 9999, body: body('marker') })
  t.equal(marker.ok, true, 'the connection sends again once its sends are answered')
  await receiver.next((f) => f.op === 'ev' && (f.ev as { msg?: { random: number } }).msg?.random === 9999)
  const accepted = [...range(1, BOUND), 5000, 9999]
  t.same([...pushed].sort((a, b) => a - b), accepted, 'the receiver was pushed each accepted send once, no refused one')
  const inbox = (await receiver.request('sync', { sh: convShard(server.app.sdkAppId, 'burst_s', 'burst_r'), after: 0, limit: 100 })).data as { events: { type: string; msg: { random: number } }[] }
  t.same(inbox.events.filter((e) => e.type === 'msg').map((e) => e.msg.random).sort((a, b) => a - b), accepted, 'the receiver\'s inbox holds the accepted ones only')
  const history = (await sender.request('history', { peer: 'burst_r', limit: 100 })).data as { messages: { random: number }[] }
  t.same(history.messages.map((m) => m.random).sort((a, b) => a - b), accepted, 'the sender\'s history holds the accepted ones only')
})

t.test('a failed send frees its slot like an answered one', async (t) => {
  const sender = await login('fail_s')
  t.teardown(() => sender.ws.close())
  // Sends to a user that was never imported fail (20003) after asking its session.
  const failed = await burst(sender, range(1, BOUND).map((i) => ({ op: 'send', rid: i, to: 'fail_nobody', random: i, body: body('x') })))
  t.same(codes(failed), range(0, BOUND).map(() => 20003), 'each failed with its own code')
  const next = await burst(sender, range(1, BOUND + 1).map((i) => ({ op: 'send', rid: 100 + i, to: 'fail_s', random: 100 + i, body: body('self') })))
  t.same(codes(next), [...range(0, BOUND).map(() => 0), 9013], 'all slots were free again: exactly the one beyond the bound is refused')
})

t.test('group sends: the same bound, and refused messages take no seq and reach nobody', async (t) => {
  const rest = new Rest(server)
  const [ownerId, memberId] = await rest.newUsers(2)
  const groupId = await rest.createGroup('Public', ownerId, [memberId])
  // Logged in after the group exists: each socket is subscribed to it at login.
  const owner = await login(ownerId)
  const member = await GroupMember.loginTo(server, memberId)
  t.teardown(() => { owner.ws.close(); member.close() })

  const N = 100
  const answers = await burst(owner, range(1, N).map((i) => ({ op: 'groupSend', rid: 2000 + i, groupId, random: i, body: body(`g${i}`) })))
  t.same(codes(answers), [...range(0, BOUND).map(() => 0), ...range(0, N - BOUND).map(() => 9013)], `the first ${BOUND} were accepted, the other ${N - BOUND} refused with 9013`)
  t.same(answers.slice(0, BOUND).map((r) => (r.data as { seq: number }).seq).sort((a, b) => a - b), range(1, BOUND), 'only the accepted ones took seqs')

  const marker = await owner.request('groupSend', { groupId, random: 9999, body: body('marker') })
  t.equal(marker.ok, true)
  const randoms = () => member.messages(groupId).map((m) => m.random as number)
  await member.until(() => randoms().includes(9999))
  const accepted = [...range(1, BOUND), 9999]
  t.same(randoms().sort((a, b) => a - b), accepted, 'the member got each accepted message once, no refused one')
  const history = (await owner.request('groupHistory', { groupId, limit: 100 })).data as { messages: { random: number }[] }
  t.same(history.messages.map((m) => m.random).sort((a, b) => a - b), accepted, 'the group stored the accepted ones only')
})

t.test('a connection that goes on sending while refused is closed with 4104; nothing it sent beyond its bound is delivered', async (t) => {
  const { maxRefusedSends } = server.config
  const receiver = await login('flood_burst_r')
  const sender = await login('flood_burst_s')
  t.teardown(() => { receiver.ws.close(); sender.ws.close() })
  const pushed: number[] = []
  receiver.ws.on('message', (data: Buffer) => {
    const f = codec.unpack(data) as { op: string; ev?: { type: string; msg: { random: number } } }
    if (f.op === 'ev' && f.ev?.type === 'msg') pushed.push(f.ev.msg.random)
  })
  const N = BOUND + maxRefusedSends + 50
  const answers = new Map<number, Res>()
  sender.ws.on('message', (data: Buffer) => {
    const f = codec.unpack(data) as Res
    if (f.op === 'res') answers.set(f.rid, f)
  })
  const socket = (sender.ws as unknown as { _socket: Socket })._socket
  socket.cork()
  for (const i of range(1, N)) sender.sendRaw(codec.pack({ op: 'send', rid: 10_000 + i, to: 'flood_burst_r', random: i, body: body(`f${i}`) }))
  socket.uncork()
  const closed = await sender.closed
  t.equal(closed.code, 4104, 'closed with 4104')
  t.match(closed.reason, /sends refused in a row/, 'the reason says why')
  const refused = [...answers.values()].filter((r) => r.code === 9013).map((r) => r.rid - 10_000)
  t.same(refused, range(BOUND + 1, maxRefusedSends), `the ${maxRefusedSends} sends after the first ${BOUND} were refused, then the socket closed`)
  t.equal(answers.size, maxRefusedSends, 'nothing else was answered')

  const again = await login('flood_burst_s')
  t.teardown(() => again.ws.close())
  t.equal((await again.request('send', { to: 'flood_burst_r', random: 999_999, body: body('marker') })).ok, true, 'the user may send again on a new connection')
  await receiver.next((f) => f.op === 'ev' && (f.ev as { msg?: { random: number } }).msg?.random === 999_999)
  t.same(pushed.sort((a, b) => a - b), [...range(1, BOUND), 999_999], `only the first ${BOUND}, taken before the refusals, were delivered`)
})

t.test('the SDK holds its sends within the bound its login result names: a burst of 100 all go through', async (t) => {
  const pool = testPool(t, () => server)
  const a = await pool.connect(uid('sdk_a'))
  const b = await pool.connect(uid('sdk_b'))
  const sent = await Promise.all(range(1, 100).map((i) => a.client.sendText(b.userId, `s${i}`)))
  t.equal(new Set(sent.map((m) => m.msgKey)).size, 100, 'every send resolved, each with its own message')
  const answers = a.probe.responses(a.probe.current, 'send')
  t.same(answers.filter((r) => r.ok !== true), [], 'the server refused none (no 9013)')
  t.equal(a.probe.current.out.filter((f) => f.op === 'send').length, 100, 'each was written once')
  await b.inbox.count(100)
  t.equal(b.inbox.events.length, 100, 'the receiver got each once')
})
