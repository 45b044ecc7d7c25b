/**
 * Recovery is bounded by failure detection, not by timeouts (issue 14, item 4): three Parley
 * processes over a real Redis and Cassandra with the node's default membership settings, 25
 * cross-node pairs sending continuously through the SDK (default reconnect and request
 * settings, each client given every node's URL), then `kill -9` of one node and, once every
 * pair is answered again, of a second one (the last node serves everyone). For each pair, the
 * time from the kill to its first acknowledged send must be at most the membership TTL plus
 * one heartbeat plus 1 s. Afterwards every acknowledged message reached its receiver exactly
 * once, in order, with no seq used twice, and nothing was refused for good.
 */
import t, { type Test } from 'tap'
import { randomInt } from 'node:crypto'
import { DefaultBackoff, ParleyClientError } from '../../src/client/index.js'
import { ConfigSchema } from '../../src/node/config/schema.js'
import { startLocalCluster } from '../helpers/cluster.js'
import { testApp } from '../helpers/server.js'
import { ClientPool, type TestClient, uid, waitEvent, withDeadline } from '../helpers/sdkClients.js'
import { type Acked, checkDelivery } from './traffic.js'

t.setTimeout(600_000)

/** The node's defaults (1,000 and 5,000 ms), so the bound below is the issue's 7 s. */
const HEARTBEAT_MS = ConfigSchema.properties.clusterHeartbeatMs.default
const TTL_MS = ConfigSchema.properties.clusterNodeTtlMs.default
/** Failure detection (an entry expires TTL after its last heartbeat, noticed within a heartbeat) plus 1 s. */
const BOUND_MS = TTL_MS + HEARTBEAT_MS + 1_000
const PAIRS = 25
/** Pause after each acknowledged send, so 25 pairs stay below the cluster's saturation on 2 cores. */
const PACE_MS = 100
/** Pause before resending a refused message on a connected client (as traffic.ts). */
const RETRY_BACKOFF_MS = 25

const app = testApp({ multiLogin: 'perPlatform' })
/** Each client starts on its own node; a reconnect moves to the next URL, round robin. */
const rotated = (urls: readonly string[], first: number) => urls.map((_, i) => urls[(first + i) % urls.length])

interface Pair {
  readonly sender: TestClient
  readonly receiver: TestClient
  readonly acked: Acked[]
  /** When each acknowledgement arrived (Date.now()), in order. */
  readonly ackAt: number[]
  /** Retryable failures the app saw (after the SDK's own resend), by code, with their time. */
  readonly refused: { code: number; at: number }[]
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

t.test(`after kill -9, every pair is answered within TTL + heartbeat + 1 s (${BOUND_MS} ms)`, async (t) => {
  const cluster = await startLocalCluster({
    app, env: { PARLEY_CLUSTER_HEARTBEAT_MS: String(HEARTBEAT_MS), PARLEY_CLUSTER_NODE_TTL_MS: String(TTL_MS) },
  })
  const pool = new ClientPool(() => ({ wsUrl: cluster.wsUrls[0], app }))
  let stopped = false
  t.teardown(async () => {
    stopped = true
    pool.closeAll()
    await cluster.close()
  })
  // The SDK's own reconnect backoff and request deadline, not the harness's fast ones.
  const connect = (user: string, node: number) =>
    pool.connect(user, { url: rotated(cluster.wsUrls, node), reconnect: DefaultBackoff })

  const pairs: Pair[] = []
  for (let i = 0; i < PAIRS; i++) {
    // Sender and receiver on different nodes: one node apart or two.
    const from = i % 3
    const to = (from + 1 + (Math.floor(i / 3) % 2)) % 3
    pairs.push({ sender: await connect(uid('s'), from), receiver: await connect(uid('r'), to), acked: [], ackAt: [], refused: [] })
  }
  const failures: unknown[] = []
  let waiters: (() => boolean)[] = []
  const wake = () => { waiters = waiters.filter((w) => !w()) }
  /** Resolves once `cond` holds, checked now and after every acknowledgement. */
  const until = (cond: () => boolean) => new Promise<void>((resolve) => {
    const check = () => (cond() ? (resolve(), true) : false)
    if (!check()) waiters.push(check)
  })

  // Each pair sends one message at a time; a retryable failure is resent with the same random
  // and msgSeq (the server dedupes it), as an app would.
  const runPair = async (p: Pair) => {
    for (let n = 0; !stopped; n++) {
      const random = randomInt(1, 0xffffffff)
      for (;;) {
        try {
          const r = await p.sender.client.sendText(p.receiver.userId, `${p.sender.userId} #${n}`, { random, msgSeq: n })
          p.acked.push({ from: p.sender.userId, to: p.receiver.userId, msgKey: r.msgKey, n })
          p.ackAt.push(Date.now())
          wake()
          break
        } catch (e) {
          if (!(e instanceof ParleyClientError) || !e.retryable) {
            failures.push(e)
            return
          }
          p.refused.push({ code: e.code, at: Date.now() })
          if (stopped) return
          if (p.sender.client.state !== 'online') await waitEvent(p.sender.client, 'state', (x) => x.state === 'online', 120_000)
          else await sleep(RETRY_BACKOFF_MS)
        }
      }
      await sleep(PACE_MS)
    }
  }
  const running = Promise.all(pairs.map(runPair))

  const killAndMeasure = async (t: Test, node: number, alive: number) => {
    const warm = Date.now()
    await withDeadline(until(() => pairs.every((p) => p.ackAt.filter((x) => x > warm).length >= 3)), 120_000,
      'three acknowledgements per pair before the kill')
    const url = cluster.wsUrls[node]
    const onKilled = pairs.map((p) => p.sender.probe.current.ws.url === url || p.receiver.probe.current.ws.url === url)
    const killedAt = Date.now()
    await cluster.kill9(node)
    await withDeadline(until(() => pairs.every((p) => p.ackAt.some((x) => x > killedAt))), 120_000,
      'an acknowledgement for every pair after the kill')
    await cluster.untilMembers(alive)
    const times = pairs.map((p, i) => ({ i, ms: p.ackAt.find((x) => x > killedAt)! - killedAt, onKilled: onKilled[i] }))
    const slowest = [...times].sort((a, b) => b.ms - a.ms)
    t.comment(`kill -9 of node ${node}: bound ${BOUND_MS} ms (TTL ${TTL_MS} + heartbeat ${HEARTBEAT_MS} + 1,000)`)
    t.comment(`ms from the kill to each pair's first acknowledged send, slowest first (* = a client of the pair was on the killed node): ${
      slowest.map((x) => `${x.ms}${x.onKilled ? '*' : ''}`).join(' ')}`)
    const codes = new Map<number, number>()
    for (const p of pairs) for (const r of p.refused) if (r.at > killedAt) codes.set(r.code, (codes.get(r.code) ?? 0) + 1)
    t.comment(`retryable failures the app saw after the kill (code, count): ${JSON.stringify([...codes])}`)
    for (const x of times) t.ok(x.ms <= BOUND_MS, `pair ${x.i}: first acknowledged send ${x.ms} ms after the kill (≤ ${BOUND_MS})`)
  }

  await t.test('kill -9 of node 1', (t) => killAndMeasure(t, 1, 2))
  await t.test('kill -9 of node 2: one node left', (t) => killAndMeasure(t, 2, 1))

  stopped = true
  await withDeadline(running, 180_000, 'every pair stopped')
  t.same(failures, [], 'no send failed with a non-retryable error')
  const acked = pairs.flatMap((p) => p.acked)
  t.ok(acked.length >= PAIRS * 6, `${acked.length} acknowledged sends`)
  for (const p of pairs) {
    // No loss and no duplicate: every acknowledged message exactly once, in order, in the
    // receiver's device and history; each acknowledgement with its own msgKey.
    await checkDelivery(t, p.acked, new Map([[p.receiver.userId, [p.receiver]]]), [p.sender.userId])
  }
})
