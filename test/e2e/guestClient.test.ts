/**
 * Guests of live rooms through the SDK (ParleyGuest) against a real node: following
 * AVChatRoom and BChatRoom rooms without an account, the refusals with their codes, the
 * five-room cap, reconnecting after a drop (a room destroyed meanwhile is lost), `unfollow`
 * replacing the socket, and `close`. Sockets are watched and broken through the SDK's
 * `WebSocketImpl` injection point (test/helpers/sdkClients.ts).
 */
import t, { type Test } from 'tap'
import { type GroupMessageEvent, ParleyGuest, type ParleyGuestOptions } from '../../src/client/index.js'
import { importAccounts, restOk } from '../helpers/restAdmin.js'
import { codeOf, SocketProbe, testPool, type TestClient, uid, waitEvent, WaitMs, withDeadline } from '../helpers/sdkClients.js'
import { startServer, type TestServer } from '../helpers/server.js'

let server: TestServer
t.before(async () => { server = await startServer() })
t.teardown(() => server.stop())

interface TestGuest {
  readonly guest: ParleyGuest
  readonly probe: SocketProbe
  readonly messages: GroupMessageEvent[]
  /** Resolves once `pred` holds over the messages surfaced so far. */
  until(pred: (m: GroupMessageEvent[]) => boolean, what: string): Promise<void>
}

/** A guest with a socket probe, fast reconnects and a message log; closed in teardown. */
function makeGuest(t: Test, o: Partial<ParleyGuestOptions> = {}): TestGuest {
  const probe = new SocketProbe()
  const guest = new ParleyGuest({
    url: server.wsUrl, sdkAppId: server.app.sdkAppId, reconnect: { minMs: 50, maxMs: 400 }, ...o, WebSocketImpl: probe.WebSocketImpl,
  })
  t.teardown(() => guest.close())
  const messages: GroupMessageEvent[] = []
  const waiters: { pred: () => boolean; resolve: () => void }[] = []
  guest.on('groupMessage', (m) => {
    messages.push(m)
    for (const w of waiters.filter((x) => x.pred())) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
  })
  return {
    guest, probe, messages,
    until(pred, what) {
      const check = () => pred(messages)
      if (check()) return Promise.resolve()
      return withDeadline(new Promise<void>((resolve) => waiters.push({ pred: check, resolve })), WaitMs, what)
    },
  }
}

const texts = (m: GroupMessageEvent[], groupId: string) =>
  m.filter((e) => e.groupId === groupId).map((e) => (e.message.body[0]?.MsgContent as { Text?: string }).Text)

/** The GroupIds the guest asked to follow on socket `index`. */
const followsOn = (g: TestGuest, index: number) => g.probe.sockets[index].out.filter((f) => f.op === 'guest').map((f) => f.groupId)

async function owner(t: Test): Promise<TestClient> {
  const id = uid('o')
  await importAccounts(server, id)
  return testPool(t, () => server).connect(id)
}

t.test('a guest follows live rooms without an account; refusals carry their codes', async (t) => {
  const o = await owner(t)
  const live = await o.client.createGroup({ type: 'AVChatRoom', name: 'live' })
  const broadcast = await o.client.createGroup({ type: 'BChatRoom', name: 'broadcast' })
  const work = await o.client.createGroup({ type: 'Public', name: 'work' })
  const g = makeGuest(t)
  t.equal(g.guest.state, 'idle', 'no socket before the first follow')
  await g.guest.follow(live)
  t.equal(g.guest.state, 'online')
  await g.guest.follow(live)
  t.same(followsOn(g, 0), [live], 'following a followed room asks nothing')
  await g.guest.follow(broadcast)

  await o.client.sendGroupText(live, 'to the viewers')
  await restOk(server, 'group_open_http_svc/send_group_msg', { GroupId: broadcast, Random: 7, MsgBody: [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'from the app' } }] })
  await g.until((m) => m.length === 2, 'both rooms\' messages')
  t.same(texts(g.messages, live), ['to the viewers'])
  t.same(texts(g.messages, broadcast), ['from the app'])
  t.match(g.messages.find((e) => e.groupId === live), { message: { seq: 0, from: o.userId } }, 'live only: seq 0')

  t.equal(await codeOf(g.guest.follow(work)), 10007, 'a Public group takes no guests')
  t.equal(await codeOf(g.guest.follow(uid('nosuch'))), 10010, 'no such group')
  t.equal(await codeOf(g.guest.follow('')), 10015, 'a malformed GroupId')
  t.same(g.guest.rooms, [live, broadcast], 'refused rooms are not kept')
  const more = await Promise.all([1, 2, 3, 4].map((i) => o.client.createGroup({ type: 'AVChatRoom', name: `room ${i}` })))
  for (const id of more.slice(0, 3)) await g.guest.follow(id)
  t.equal(await codeOf(g.guest.follow(more[3])), 10004, 'a sixth room is refused')
  t.equal(g.guest.rooms.length, 5)
  t.equal(g.probe.sockets.length, 1, 'all on one socket')

  const stranger = makeGuest(t, { sdkAppId: 1 })
  t.equal(await codeOf(stranger.guest.follow(live)), 70020, 'an unknown app')
  t.equal(stranger.guest.state, 'idle', 'with no room left the socket is closed')
  await stranger.probe.sockets[0].closed
})

t.test('after a drop a guest follows its rooms again; a room destroyed meanwhile is lost', async (t) => {
  const o = await owner(t)
  const [kept, doomed] = await Promise.all(['kept', 'doomed'].map((name) => o.client.createGroup({ type: 'AVChatRoom', name })))
  const g = makeGuest(t)
  await g.guest.follow(kept)
  await g.guest.follow(doomed)
  await o.client.destroyGroup(doomed)

  const offline = waitEvent(g.guest, 'state', (s) => s.state === 'offline')
  const lost = waitEvent(g.guest, 'roomLost')
  g.probe.drop()
  await offline
  await g.guest.follow(kept)
  t.equal(g.guest.state, 'online')
  const ev = await lost
  t.equal(ev.groupId, doomed)
  t.equal(ev.error.code, 10010, 'the destroyed room is refused with 10010')
  t.same(g.guest.rooms, [kept])
  t.same(followsOn(g, 1).sort(), [kept, doomed].sort(), 'the new socket asked for both rooms')

  await o.client.sendGroupText(kept, 'after the reconnect')
  await g.until((m) => texts(m, kept).includes('after the reconnect'), 'the message after the reconnect')
})

t.test('unfollow replaces the socket without the room; the last one closes it; close ends the guest', async (t) => {
  const o = await owner(t)
  const [a, b] = await Promise.all(['a', 'b'].map((name) => o.client.createGroup({ type: 'AVChatRoom', name })))
  const g = makeGuest(t)
  await g.guest.follow(a)
  await g.guest.follow(b)

  g.guest.unfollow(a)
  t.same(g.guest.rooms, [b], 'a is gone at once')
  await g.probe.sockets[0].closed
  await g.guest.follow(b)
  t.same(followsOn(g, 1), [b], 'the new socket follows b alone')
  await o.client.sendGroupText(a, 'to a')
  await o.client.sendGroupText(b, 'to b')
  await g.until((m) => texts(m, b).length === 1, 'b\'s message')
  t.same(texts(g.messages, a), [], 'nothing of a after unfollow')

  const idle = waitEvent(g.guest, 'state', (s) => s.state === 'idle')
  g.guest.unfollow(b)
  await idle
  await g.probe.sockets[1].closed
  t.equal(g.probe.sockets.length, 2, 'no new socket without rooms')

  await g.guest.follow(a)
  t.equal(g.probe.sockets.length, 3, 'the next follow opens one')
  const pending = codeOf(g.guest.follow(b))
  g.guest.close()
  t.equal(await pending, 9503, 'a follow pending at close fails with 9503')
  t.equal(g.guest.state, 'closed')
  t.same(g.guest.rooms, [])
  await g.probe.sockets[2].closed
})

t.test('a follow made with no server to reach fails at its deadline', async (t) => {
  const g = makeGuest(t, { url: 'ws://127.0.0.1:1/ws', requestTimeoutMs: 300 })
  t.equal(await codeOf(g.guest.follow('@TGS#anything')), 9501)
  t.same(g.guest.rooms, [], 'the room is not kept')
  t.equal(g.guest.state, 'idle', 'and with no room left the guest stops reconnecting')
})
