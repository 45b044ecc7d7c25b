/**
 * One-to-one coordination, shared by the socket gateway and the REST API. These functions
 * are not actors: they ask the receiver's session, then the sender's, so no actor ever
 * waits on another. Each step is idempotent (MsgRandom dedupe, recall flags), so a client
 * retry after a lost ack or a crash completes the missing step without duplicating any.
 *
 * A send answered with a retryable failure stored and delivered nothing, with the exceptions
 * listed at `sendC2C`: its first step that stores anything is refused BUSY before it is queued
 * (a full mailbox) or TIMEOUT if it has not started by `startBy`; once that step has stored the
 * message, a full mailbox at the second step is waited out (`secondStep`).
 */
import { type DeliverResult, type DeliveryOptions, type MessageDraft, userActor, type UserProtocol } from '../../actors/user/protocol.js'
import type { Router } from '../../actors/runtime/types.js'
import type { ReplyOf, RequestOf } from '../../actors/runtime/protocol.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { CodedError, ErrorCatalogue, ParleyError } from '../core/errors.js'
import type { SendResult } from '../protocol/frames.js'
import { type C2CSendRequest, isReservedUserId, makeMsgKey } from '../model/message.js'

/** How long each ask of a send waits for its answer before the send fails TIMEOUT (9007), ms. */
export const SEND_ASK_TIMEOUT_MS = 10_000

/**
 * A send's first step that stores anything must start within this long of being asked, or its
 * session refuses it TIMEOUT and changes nothing (`startBy`, actors/user/protocol.ts): a step
 * still queued when its ask is about to give up must not store a message whose client is told
 * it failed. Half the ask timeout leaves the step as long again to commit and answer. The
 * deadline is wall-clock time, so across nodes it assumes clocks that agree within a second.
 */
export const FIRST_STEP_START_MS = SEND_ASK_TIMEOUT_MS / 2

/** Pauses before each new try of a second step refused BUSY, ms (0.76 s in all). */
export const SECOND_STEP_RETRY_MS: readonly number[] = [10, 50, 200, 500]

/**
 * Every step below is idempotent, so an ask whose session was on a node that failed is sent
 * again to the session's new home (resendIfNodeLeaves) instead of failing the whole call.
 */
function ask<K extends keyof UserProtocol & string>(router: Router, app: number, user: string, msg: RequestOf<UserProtocol, K>): Promise<ReplyOf<UserProtocol, K>> {
  return router.ask(userActor(app, user), msg, { timeoutMs: SEND_ASK_TIMEOUT_MS, resendIfNodeLeaves: true })
}

/**
 * The step after the first stored copy. Its view must follow, so a full mailbox (BUSY) is
 * waited out here, a few times after growing pauses, rather than answered to a client whose
 * message one view already holds. Any other failure, or BUSY after the last pause, is the
 * send's answer; the client's retry (same MsgRandom) is answered from the stored copy and
 * completes this step.
 */
async function secondStep<K extends 'deliver' | 'recordSent'>(router: Router, app: number, user: string, msg: RequestOf<UserProtocol, K>): Promise<ReplyOf<UserProtocol, K>> {
  for (let i = 0; ; i++) {
    try {
      return await ask(router, app, user, msg)
    } catch (e) {
      if (i === SECOND_STEP_RETRY_MS.length || !(e instanceof CodedError && e.code === ErrorCatalogue.BUSY.code)) throw e
      await sleep(SECOND_STEP_RETRY_MS[i])
    }
  }
}

const startBy = () => Date.now() + FIRST_STEP_START_MS

/**
 * Sends `req` from `from`. Resolves once the message is durable in the receiver's view and
 * (unless syncOtherMachine = 2 or it is online-only) in the sender's view.
 *
 * One sequence per conversation: the session of the smaller UserID of the pair is the
 * conversation's sequencer. It stores the message first and assigns its seq; the other
 * view stores it at that same seq. So both participants' views, and every device of each,
 * number and order the conversation alike, even when both sides send at once. When the
 * sender sequences, the receiver's account is checked first, so a send to an unknown user
 * stores nothing (20003).
 *
 * A retry is answered by the first view from its first copy (or its MsgRandom record), with
 * that copy's key, time and seq, and the second step is redone with them. If that copy was
 * recalled in the meantime, the second step is skipped: the recall already covered the pair.
 *
 * A retryable failure means nothing was stored or delivered, except when the first view had
 * already stored (and pushed) the message: (1) the second step failed — BUSY through every
 * pause of `secondStep`, SHUTTING_DOWN, STORE_UNAVAILABLE, INTERNAL, or its node is gone;
 * (2) an ask timed out (TIMEOUT) after its step started: the first step within its
 * FIRST_STEP_START_MS but slower than the rest of the ask timeout to commit, or the second
 * step at any time (it is still queued or running, and completes the pair when it runs);
 * (3) the first step's STORE_UNAVAILABLE, where the store may apply the commit when it
 * returns. Each is completed, once, by the client's retry with the same MsgRandom.
 */
export async function sendC2C(router: Router, app: number, from: string, req: C2CSendRequest, nowMs: number): Promise<SendResult> {
  for (const id of [from, req.to]) {
    if (isReservedUserId(id)) throw new ParleyError('ACCOUNT_INVALID', `${id} is reserved for the server; it sends notices, not one-to-one messages`)
  }
  const time = req.time ?? Math.floor(nowMs / 1000)
  const draft: MessageDraft = {
    msgKey: makeMsgKey(req.msgSeq, req.random, time), from, to: req.to, msgSeq: req.msgSeq,
    random: req.random, time, body: req.body, cloudCustomData: req.cloudCustomData,
    needReadReceipt: req.needReadReceipt || undefined,
  }
  const opts: DeliveryOptions = {
    onlineOnly: req.onlineOnly || req.lifeTime === 0, noUnread: req.noUnread, noLastMsg: req.noLastMsg,
    lifeTime: req.lifeTime,
  }
  const sentOpts = { ...opts, noUnread: true }
  const keepSenderCopy = req.syncOtherMachine !== 2 && from !== req.to
  if (opts.onlineOnly || req.to <= from) {
    // The receiver sequences (also self-sends); online-only messages take no seq at all.
    const r = await ask(router, app, req.to, { kind: 'deliver', msg: draft, opts, startBy: startBy() })
    // A retry of a message recalled since: the recall stands, the other view is not given it.
    if (!keepSenderCopy || r.recalled) return result(r, from === req.to ? r : undefined)
    const s = await secondStep(router, app, from, { kind: 'recordSent', msg: canonical(draft, r), opts: sentOpts, seq: r.seq || undefined })
    return result(r, s)
  }
  // The sender sequences: check the receiver, assign (and keep or only reserve) the seq, deliver.
  const exists = await ask(router, app, req.to, { kind: 'checkAccount' })
  if (!exists.imported) throw new ParleyError('ACCOUNT_INVALID', `${req.to} is not imported`)
  const s = await ask(router, app, from, { kind: 'recordSent', msg: draft, opts: sentOpts, reserveOnly: !keepSenderCopy, startBy: startBy() })
  if (s.recalled) return result(s, s)
  const r = await secondStep(router, app, req.to, { kind: 'deliver', msg: canonical(draft, s), opts, seq: s.seq })
  return result(r, keepSenderCopy ? s : undefined)
}

/** The draft as first stored (a duplicate answers with the original key and time). */
function canonical(draft: MessageDraft, first: DeliverResult): MessageDraft {
  const [seqPart] = first.msgKey.split('_')
  return { ...draft, msgKey: first.msgKey, time: first.time, msgSeq: Number(seqPart) }
}

function result(r: DeliverResult, s: DeliverResult | undefined): SendResult {
  return { msgKey: r.msgKey, msgTime: r.time, seq: s?.seq ?? 0, inboxSeq: s?.inboxSeq ?? 0 }
}

/**
 * Recalls `msgKey` between `user` and `peer`. As a user: only their own message, within the
 * app's window (20016). As an admin (REST admin_msgwithdraw): any age, from either view.
 */
export async function recallC2C(router: Router, app: number, user: string, peer: string, msgKey: string, asAdmin: boolean): Promise<void> {
  const mine = await ask(router, app, user, { kind: 'recall', peer, msgKey, as: asAdmin ? 'admin' : 'sender' })
  const theirs = await ask(router, app, peer, { kind: 'recall', peer: user, msgKey, as: asAdmin ? 'admin' : 'peer' })
  if (!mine.found && !theirs.found) throw new ParleyError('MSG_NOT_FOUND', msgKey)
}

/** `user` read the conversation with `peer` up to `seq` (default all); the peer learns it. */
export async function readC2C(router: Router, app: number, user: string, peer: string, seq?: number): Promise<void> {
  const r = await ask(router, app, user, { kind: 'read', peer, seq })
  await ask(router, app, peer, { kind: 'peerRead', peer: user, upToTime: r.readTime })
}

/** Per-message read receipts from `user` for messages `peer` sent. */
export async function receiptC2C(router: Router, app: number, user: string, peer: string, msgKeys: string[]): Promise<void> {
  await ask(router, app, peer, { kind: 'peerRead', peer: user, msgKeys })
}
