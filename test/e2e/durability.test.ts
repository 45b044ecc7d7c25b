/**
 * kill -9 under load: the server runs as its own process; three SDK senders send
 * continuously to two SDK receivers; after a few hundred acknowledged sends the process is
 * SIGKILLed mid-traffic and started again on the same data directory and port. The clients
 * reconnect by themselves and resend what was not acknowledged (same random). Afterwards:
 * every acknowledged message is in the receiver's and the sender's history exactly once,
 * each receiver surfaced each message exactly once, and every conversation's seqs are
 * 1..n with no duplicate and no gap.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { StoredMessage } from '../../src/client/index.js'
import { ClientPool, type TestClient, withDeadline } from '../helpers/sdkClients.js'
import { freePort, type ServerProcess, spawnServer } from '../helpers/serverProcess.js'
import { testApp } from '../helpers/server.js'

const app = testApp({ multiLogin: 'unlimited' })
const PerSender = 200
/** Sends each sender keeps in flight. */
const Lanes = 4
const KillAfterAcks = 300

interface Acked { from: string; to: string; msgKey: string; random: number; n: number }

t.test('acknowledged messages survive kill -9 exactly once, with gap-free seqs', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-kill9-'))
  const port = await freePort()
  let srv: ServerProcess = await spawnServer({ dataDir, port, apps: [app] })
  const pool = new ClientPool(() => ({ wsUrl: `ws://127.0.0.1:${port}/ws`, app }))
  t.teardown(async () => {
    pool.closeAll()
    await srv.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const opts = { requestTimeoutMs: 120_000, reconnect: { minMs: 100, maxMs: 500 } }
  const receivers = await Promise.all(['r1', 'r2'].map((r) => pool.connect(`${r}_${port}`, opts)))
  const senders = await Promise.all(['s1', 's2', 's3'].map((s) => pool.connect(`${s}_${port}`, opts)))

  const acked: Acked[] = []
  const failures: unknown[] = []
  let started = 0
  let onAck: (() => void) | undefined
  const enoughAcks = new Promise<void>((resolve) => { onAck = () => { if (acked.length >= KillAfterAcks) resolve() } })
  const run = (s: TestClient) => Promise.all(Array.from({ length: Lanes }, async (_, lane) => {
    for (let n = lane; n < PerSender; n += Lanes) {
      const to = receivers[n % receivers.length].userId
      started++
      try {
        const r = await s.client.sendText(to, `${s.userId} #${n}`)
        acked.push({ from: s.userId, to, msgKey: r.msgKey, random: r.message.random, n })
        onAck!()
      } catch (e) {
        failures.push(e)
      }
    }
  }))
  const traffic = Promise.all(senders.map(run))

  await withDeadline(enoughAcks, 30_000, `${KillAfterAcks} acks`)
  await srv.kill9()
  const inFlight = started - acked.length - failures.length
  t.ok(inFlight > 0, `killed mid-traffic: ${acked.length} acked, ${inFlight} sends in flight`)
  t.ok(acked.length < senders.length * PerSender, 'sends remained after the kill')
  srv = await spawnServer({ dataDir, port, apps: [app] })

  await withDeadline(traffic, 90_000, 'every send settled')
  t.same(failures, [], 'every send was eventually acknowledged')
  t.equal(acked.length, senders.length * PerSender)
  t.equal(new Set(acked.map((a) => a.msgKey)).size, acked.length, 'every acknowledgement carries its own msgKey')
  t.ok(senders.every((s) => s.probe.sockets.length >= 2) && receivers.every((r) => r.probe.sockets.length >= 2), 'every client reconnected by itself')

  for (const r of receivers) {
    const mine = acked.filter((a) => a.to === r.userId)
    await r.inbox.until((ev) => {
      const keys = new Set(ev.map((e) => e.message.msgKey))
      return mine.every((a) => keys.has(a.msgKey))
    }, `${r.userId}: every acknowledged message`, 30_000)
    const keys = r.inbox.keys
    t.equal(keys.length, mine.length, `${r.userId}: surfaced exactly the acknowledged messages (${mine.length})`)
    t.equal(new Set(keys).size, keys.length, `${r.userId}: each exactly once`)

    for (const s of senders) {
      const pair = mine.filter((a) => a.from === s.userId)
      const conv = r.inbox.from(s.userId).map((e) => e.message.seq)
      t.same(conv, pair.map((_, i) => i + 1), `${r.userId} ← ${s.userId}: surfaced in seq order 1..${pair.length}`)
      for (const [owner, peer] of [[r, s.userId], [s, r.userId]] as const) {
        const hist = await fullHistory(owner, peer)
        const where = `${owner.userId}'s view of ${owner === r ? s.userId : r.userId}`
        t.same(hist.map((m) => m.seq), pair.map((_, i) => i + 1), `${where}: seqs 1..${pair.length}, no duplicate, no gap`)
        t.same(new Set(hist.map((m) => m.msgKey)), new Set(pair.map((a) => a.msgKey)), `${where}: exactly the acknowledged messages`)
        t.equal(new Set(hist.map((m) => m.random)).size, hist.length, `${where}: no random stored twice`)
      }
    }
  }
})

/** The whole conversation of `c` with `peer`, oldest first, paging with `before`. */
async function fullHistory(c: TestClient, peer: string): Promise<StoredMessage[]> {
  const out: StoredMessage[] = []
  let before: number | undefined
  for (;;) {
    const page = await c.client.history(peer, { before, limit: 100 })
    out.push(...page.messages)
    if (page.complete || page.messages.length === 0) break
    before = page.messages[page.messages.length - 1].seq
  }
  return out.reverse()
}
