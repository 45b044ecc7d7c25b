/**
 * Traffic for the cluster failure tests: senders that each send a fixed list of messages to
 * the receivers, retrying a message (same random and MsgSeq, so the server dedupes it) when
 * the answer is a retryable error or the request fails while a node is down, exactly as an
 * app using the SDK would; and the checks that every acknowledged message reached every
 * device of its receiver exactly once, in order, with no sequence number used twice.
 * Not a test file itself.
 */
import { randomInt } from 'node:crypto'
import type { Test } from 'tap'
import { ParleyClientError, type StoredMessage } from '../../src/client/index.js'
import { type TestClient, waitEvent, withDeadline } from '../helpers/sdkClients.js'

/**
 * How long one message may keep failing with retryable errors before it counts as failed.
 * A time budget, not an attempt count: while a node hands off, refusals can come back in
 * a millisecond each, and their number says nothing about whether the cluster recovers.
 */
const RETRY_BUDGET_MS = 240_000
/** Pause before resending a refused message on a connected client, ms. */
const RETRY_BACKOFF_MS = 25

export interface Acked { from: string; to: string; msgKey: string; n: number }

export interface Traffic {
  readonly acked: Acked[]
  /** Sends that gave up (a non-retryable error); the tests expect none. */
  readonly failures: unknown[]
  /** Retried errors by code (e.g. `9012`, or `-3` for a lost connection), for the test log. */
  readonly retried: Map<number, number>
  /** Resolves once `n` sends are acknowledged. */
  acks(n: number): Promise<void>
  /** Resolves when every sender has sent (and had acknowledged) all its messages. */
  readonly done: Promise<void>
}

/**
 * Starts `perSender` messages from each sender, round robin over `receivers`, `lanes` in
 * flight per sender. A retryable failure is resent as soon as the client is online, for up
 * to RETRY_BUDGET_MS per message.
 */
export function startTraffic(senders: TestClient[], receivers: string[], perSender: number, lanes = 4): Traffic {
  const acked: Acked[] = []
  const failures: unknown[] = []
  const retried = new Map<number, number>()
  const waiters: { n: number; resolve: () => void }[] = []
  const onAck = () => {
    for (const w of waiters.filter((x) => acked.length >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
  }
  const sendOne = async (s: TestClient, to: string, n: number) => {
    // One random per logical message, kept across its retries (the server's dedupe key).
    const random = randomInt(1, 0xffffffff)
    const deadline = Date.now() + RETRY_BUDGET_MS
    for (;;) {
      try {
        const r = await s.client.sendText(to, `${s.userId} #${n}`, { random, msgSeq: n })
        acked.push({ from: s.userId, to, msgKey: r.msgKey, n })
        onAck()
        return
      } catch (e) {
        if (!(e instanceof ParleyClientError) || !e.retryable || Date.now() > deadline) {
          failures.push(e)
          return
        }
        const attempt = (retried.get(e.code) ?? 0) + 1
        retried.set(e.code, attempt)
        // Resend once the client is connected, after a short backoff as an app's retry policy
        // would: refusals during a hand-off come back in about a millisecond, and resending at
        // once would spin this process (sharing the nodes' cores) for the whole hand-off.
        if (s.client.state !== 'online') await waitEvent(s.client, 'state', (x) => x.state === 'online', 120_000)
        else await new Promise((resolve) => setTimeout(resolve, RETRY_BACKOFF_MS))
      }
    }
  }
  const run = (s: TestClient) => Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    for (let n = lane; n < perSender; n += lanes) await sendOne(s, receivers[n % receivers.length], n)
  }))
  const done = Promise.all(senders.map(run)).then(() => undefined)
  return {
    acked, failures, retried, done,
    acks: (n) => (acked.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  }
}

/**
 * Every acknowledged message reached every device of its receiver exactly once, in the
 * conversation's order; the receiver's history holds exactly `inHistory` (default `acked`:
 * pass every message acknowledged so far when earlier traffic shares the conversations),
 * each once, with no seq twice.
 */
export async function checkDelivery(
  t: Test, acked: Acked[], devices: Map<string, TestClient[]>, senders: string[], inHistory: Acked[] = acked, waitMs = 60_000,
): Promise<void> {
  t.equal(new Set(acked.map((a) => a.msgKey)).size, acked.length, 'every acknowledgement carries its own msgKey')
  for (const [receiver, devs] of devices) {
    const mine = acked.filter((a) => a.to === receiver)
    for (const d of devs) {
      await d.inbox.until((ev) => {
        const keys = new Set(ev.map((e) => e.message.msgKey))
        return mine.every((a) => keys.has(a.msgKey))
      }, `${receiver} (${d.client.state}): every acknowledged message`, waitMs)
      const keys = d.inbox.keys
      t.equal(new Set(keys).size, keys.length, `${receiver} device: each message surfaced once (${keys.length})`)
      t.equal(keys.length, mine.length, `${receiver} device: exactly the acknowledged messages`)
      for (const s of senders) {
        const seqs = d.inbox.from(s).map((e) => e.message.seq)
        t.ok(seqs.every((x, i) => i === 0 || x > seqs[i - 1]), `${receiver} ← ${s}: in conversation order, no seq twice (${seqs.length})`)
      }
    }
    for (const s of senders) {
      const hist = await fullHistory(devs[0], s)
      const seqs = hist.map((m) => m.seq)
      t.equal(new Set(seqs).size, seqs.length, `${receiver}'s history with ${s}: no seq twice`)
      const expected = inHistory.filter((a) => a.to === receiver && a.from === s).map((a) => a.msgKey)
      t.same(new Set(hist.map((m) => m.msgKey)), new Set(expected), `${receiver}'s history with ${s}: exactly the acknowledged messages (${expected.length})`)
      t.equal(hist.length, expected.length, `${receiver}'s history with ${s}: each once`)
    }
  }
}

/** The whole conversation of `c` with `peer`, oldest first. */
export async function fullHistory(c: TestClient, peer: string): Promise<StoredMessage[]> {
  const out: StoredMessage[] = []
  let before: number | undefined
  for (;;) {
    const page = await withDeadline(c.client.history(peer, { before, limit: 100 }), 30_000, 'history page')
    out.push(...page.messages)
    if (page.complete || page.messages.length === 0) break
    before = page.messages[page.messages.length - 1].seq
  }
  return out.reverse()
}
