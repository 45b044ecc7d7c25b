/**
 * Three Parley nodes (2, 1 and 3 worker threads) as separate processes over a real Redis and a real Cassandra: SDK
 * clients connected to different nodes chat one-to-one, and a user with devices on two
 * nodes gets every message on both. Sessions live wherever placement puts them, so most
 * sends cross nodes (gateway → sequencer's node → receiver's node → devices' nodes).
 */
import t from 'tap'
import { startLocalCluster } from '../helpers/cluster.js'
import { testApp } from '../helpers/server.js'
import { ClientPool, type TestClient, uid } from '../helpers/sdkClients.js'

const app = testApp({ multiLogin: 'unlimited' })

t.test('one-to-one chat across three nodes', async (t) => {
  // Nodes may run different numbers of threads (the sender re-shards for the target's count).
  const cluster = await startLocalCluster({ app, threads: [2, 1, 3] })
  const pool = new ClientPool(() => ({ wsUrl: cluster.wsUrls[0], app }))
  t.teardown(async () => {
    pool.closeAll()
    await cluster.close()
  })
  await cluster.untilMembers(3)

  // Six users, two per node.
  const users: TestClient[] = []
  for (let i = 0; i < 6; i++) users.push(await pool.connect(uid(`x${i}_`), { url: cluster.wsUrls[i % 3] }))

  await t.test('every user sends to every other; each receiver gets each message once, in order', async (t) => {
    const sent = new Map<string, string[]>() // "from→to" → msgKeys in send order
    await Promise.all(users.map(async (s) => {
      for (const r of users) {
        if (r === s) continue
        for (let k = 0; k < 3; k++) {
          const res = await s.client.sendText(r.userId, `${s.userId}→${r.userId} #${k}`)
          const key = `${s.userId}→${r.userId}`
          sent.set(key, [...(sent.get(key) ?? []), res.msgKey])
        }
      }
    }))
    for (const r of users) {
      await r.inbox.count(15, 30_000)
      for (const s of users) {
        if (s === r) continue
        const got = r.inbox.from(s.userId)
        t.same(got.map((e) => e.message.msgKey), sent.get(`${s.userId}→${r.userId}`), `${r.userId} got ${s.userId}'s 3 messages once, in order`)
        t.same(got.map((e) => e.message.seq), [...got.map((e) => e.message.seq)].sort((a, b) => a - b), 'in seq order')
      }
      t.equal(r.inbox.events.length, 15, `${r.userId}: nothing else`)
    }
    const h = await users[0].client.history(users[1].userId, { limit: 100 })
    t.equal(h.messages.length, 6, 'history holds both directions once each')
    t.same(h.messages.map((m) => m.seq), [6, 5, 4, 3, 2, 1], 'one sequence for the conversation, newest first')
  })

  await t.test('a user with devices on two nodes gets everything on both', async (t) => {
    const me = uid('multi')
    const onA = await pool.connect(me, { url: cluster.wsUrls[0], platform: 'Web' })
    const onB = await pool.connect(me, { url: cluster.wsUrls[1], platform: 'Android' })
    const peer = await pool.connect(uid('peer'), { url: cluster.wsUrls[2] })
    const keys: string[] = []
    for (let k = 0; k < 5; k++) keys.push((await peer.client.sendText(me, `to both #${k}`)).msgKey)
    for (const d of [onA, onB]) {
      await d.inbox.until((ev) => keys.every((k) => ev.some((e) => e.message.msgKey === k)), 'the 5 messages')
      t.same(d.inbox.from(peer.userId).map((e) => e.message.msgKey), keys, 'all 5, once each, in order')
    }
    // A message sent from one device reaches the other device of the same user.
    const mine = await onA.client.sendText(peer.userId, 'from device A')
    const seenOnB = await onB.inbox.key(mine.msgKey)
    t.equal(seenOnB.peer, peer.userId, 'device B sees its own send from device A')
    const atPeer = await peer.inbox.key(mine.msgKey)
    t.equal(atPeer.message.from, me)
  })
})
