/**
 * Several devices per user, end to end through the SDK: every device sees every message in
 * the same order per conversation; the multi-login policies (unlimited, perPlatform, single) kick the right
 * devices with 4001; the REST kick closes every device with 4002 and invalidates earlier
 * UserSigs (70052) while a token minted after the kick works.
 */
import t, { type Test } from 'tap'
import type { AppConfig } from '../../src/model/apps.js'
import { type KickedEvent, ParleyClientError, type Platform } from '../../src/client/index.js'
import { restCall, restOk } from '../helpers/restAdmin.js'
import { ClientPool, codeOf, testPool, sigFor, type TestClient, uid, waitEvent, withDeadline, WaitMs } from '../helpers/sdkClients.js'
import { startServer, testApp, type TestServer } from '../helpers/server.js'

const unlimited = testApp({ multiLogin: 'unlimited' })
const perPlatform = testApp({ multiLogin: 'perPlatform' })
const single = testApp({ multiLogin: 'single' })

let server: TestServer
t.before(async () => { server = await startServer({ apps: [unlimited, perPlatform, single] }) })
t.teardown(() => server.stop())

const pool = (t: Test): ClientPool => testPool(t, () => server)


/** A message from a fresh sender in `app` to `to`, awaited on each of `devices`. */
async function reaches(p: ClientPool, app: AppConfig, to: string, devices: TestClient[]): Promise<string> {
  const s = await p.connect(uid('probe'), { app })
  const sent = await s.client.sendText(to, 'are you there?')
  await Promise.all(devices.map((d) => d.inbox.key(sent.msgKey)))
  return sent.msgKey
}

function kickedOf(c: TestClient): Promise<KickedEvent> {
  return waitEvent(c.client, 'kicked')
}

t.test('every device of a user gets every message, in the same order per conversation; a late device catches up in that order', async (t) => {
  const p = pool(t)
  const b = uid('b')
  const devices = [
    await p.connect(b, { platform: 'Web' }),
    await p.connect(b, { platform: 'Android' }),
    await p.connect(b, { platform: 'iOS' }),
  ]
  const senders = await Promise.all(['s1', 's2', 's3'].map((s) => p.connect(uid(s), { platform: 'Linux' })))
  const perSender = 20
  // The three senders interleave: each sends its messages one after the other, all at once.
  const sent = await Promise.all(senders.map(async (s) => {
    const keys: string[] = []
    for (let i = 0; i < perSender; i++) keys.push((await s.client.sendText(b, `${s.userId} #${i}`)).msgKey)
    return keys
  }))
  const total = senders.length * perSender
  await Promise.all(devices.map((d) => d.inbox.count(total)))

  const order = devices[0].inbox.keys
  t.equal(new Set(order).size, total, 'device 1: every message exactly once')
  // Order is per conversation (each has one writer); conversations of different shards interleave freely.
  const perConv = (d: TestClient) => senders.map((s) => d.inbox.from(s.userId).map((e) => e.message.msgKey))
  devices.forEach((d, i) => {
    t.equal(d.inbox.keys.length, total, `device ${i + 1}: every message exactly once`)
    t.same(perConv(d), perConv(devices[0]), `device ${i + 1}: the same messages in the same order per conversation`)
  })
  senders.forEach((s, i) => {
    const conv = devices[0].inbox.from(s.userId)
    t.same(conv.map((e) => e.message.msgKey), sent[i], `conversation with ${s.userId}: send order`)
    t.same(conv.map((e) => e.message.seq), Array.from({ length: perSender }, (_, k) => k + 1), `conversation with ${s.userId}: seqs 1..${perSender}`)
  })
  const late = await p.connect(b, { platform: 'Mac', syncPageSize: 7 })
  t.equal(late.inbox.keys.length, total, 'a device connecting afterwards catches up on every message (in pages of 7)')
  t.same(perConv(late), perConv(devices[0]), 'in the same order per conversation')
})

t.test('unlimited: several logins on one platform all stay online', async (t) => {
  const p = pool(t)
  const u = uid('u')
  const devs = [await p.connect(u, { app: unlimited }), await p.connect(u, { app: unlimited }), await p.connect(u, { app: unlimited })]
  await reaches(p, unlimited, u, devs)
  t.same(devs.map((d) => d.client.state), ['online', 'online', 'online'])
  t.same(devs.map((d) => d.probe.sockets.length), [1, 1, 1], 'no device was disconnected')
})

t.test('perPlatform: a second Web login kicks the first Web (4001); an Android login kicks nobody', async (t) => {
  const p = pool(t)
  const u = uid('u')
  const web1 = await p.connect(u, { app: perPlatform, platform: 'Web' })
  const web1Kicked = kickedOf(web1)
  const web2 = await p.connect(u, { app: perPlatform, platform: 'Web' })
  const k = await web1Kicked
  t.equal(k.code, 4001, 'kicked event with 4001')
  t.match(k.reason, /newer login/, 'the bye frame\'s reason')
  t.equal((await web1.probe.current.closed).code, 4001, 'the server closed the socket with 4001')
  t.equal(web1.client.state, 'kicked', 'terminal state')

  const android = await p.connect(u, { app: perPlatform, platform: 'Android' })
  await reaches(p, perPlatform, u, [web2, android])
  t.same([web2.client.state, android.client.state], ['online', 'online'], 'Web and Android both online')
  t.equal(web2.probe.sockets.length, 1, 'the second Web device was not disconnected')
  t.equal(web1.inbox.events.length, 0, 'the kicked device received nothing afterwards')
  t.equal(web1.probe.sockets.length, 1, 'the kicked device did not reconnect by itself')
  t.equal(await codeOf(web1.client.sendText(uid('x'), 'hi')), 9502, 'a kicked device\'s requests are refused (not connected)')
})

t.test('single: any new login kicks every other device', async (t) => {
  const p = pool(t)
  const u = uid('u')
  const platforms: Platform[] = ['Web', 'Android', 'iOS']
  const devs: TestClient[] = []
  for (const platform of platforms) {
    const prev = devs[devs.length - 1]
    const kicked = prev ? kickedOf(prev) : undefined
    devs.push(await p.connect(u, { app: single, platform }))
    if (prev) t.equal((await kicked!).code, 4001, `the ${platform} login kicked the previous device with 4001`)
  }
  await reaches(p, single, u, [devs[2]])
  t.same(devs.map((d) => d.client.state), ['kicked', 'kicked', 'online'], 'only the newest device is online')
  t.same(devs.map((d) => d.inbox.events.length), [0, 0, 1], 'only the newest device received the message')
})

t.test('REST kick closes every device with 4002 and invalidates earlier UserSigs; a newer one works', async (t) => {
  const p = pool(t)
  const u = uid('u')
  // Issued five seconds ago: strictly before the kick, whatever the clock's second is.
  const oldSig = sigFor(unlimited, u, Math.floor(Date.now() / 1000) - 5)
  const devs = await Promise.all((['Web', 'Android', 'iOS'] as const).map((platform) => p.connect(u, { app: unlimited, platform, userSig: oldSig })))
  const kicks = devs.map(kickedOf)
  await restOk(server, 'im_open_login_svc/kick', { UserID: u })
  const kickSec = Math.floor(Date.now() / 1000)
  const got = await withDeadline(Promise.all(kicks), WaitMs, 'every device kicked')
  t.same(got.map((k) => k.code), [4002, 4002, 4002], 'every device got a kicked event with 4002')
  t.same(await Promise.all(devs.map((d) => d.probe.current.closed.then((c) => c.code))), [4002, 4002, 4002], 'every socket closed with 4002')

  const stale = p.make(u, { app: unlimited, userSig: oldSig })
  const staleKicked = kickedOf(stale)
  t.equal(await codeOf(stale.client.connect()), 70052, 'a login with the pre-kick UserSig is refused with 70052')
  const sk = await staleKicked
  t.equal(sk.code, 4003, 'the socket is closed 4003 (login failed)')
  t.equal(sk.error?.code, 70052)

  // Minted one second after the kick's second: TLS.time is strictly later than the kick time.
  const fresh = await p.connect(u, { app: unlimited, userSig: sigFor(unlimited, u, kickSec + 1) })
  t.equal(fresh.client.state, 'online', 'a UserSig minted after the kick logs in')
  await reaches(p, unlimited, u, [fresh])

  const unknown = await restCall(server, 'im_open_login_svc/kick', { UserID: uid('nobody') })
  t.equal(unknown.ErrorCode, 70107, 'kicking an account that does not exist → 70107')
})
