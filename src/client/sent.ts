/** How a send's outcome becomes a SentMessage, from the server's result. */
import type { MsgElement, StoredMessage } from '../model/message.js'
import type { SendOptions, SentMessage } from './types.js'
import type { SendResult } from './wire.js'

/** A random u32 from the platform CSPRNG (Web Crypto: browsers and Node ≥ 19). */
export function randomU32(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0]
}

/**
 * The stored message rebuilt from the send's result: the server keeps the body as sent, and
 * the msgKey's first part is the canonical msgSeq (the first send's, if this was a deduped resend).
 */
export function sentFromResult(
  r: SendResult, m: { from: string; to: string; random: number; body: MsgElement[]; opts: SendOptions },
): SentMessage {
  const message: StoredMessage = {
    msgKey: r.msgKey, from: m.from, to: m.to, msgSeq: Number(r.msgKey.split('_')[0]), random: m.random,
    time: r.msgTime, body: m.body, seq: r.seq, flags: 0,
  }
  if (m.opts.cloudCustomData !== undefined) message.cloudCustomData = m.opts.cloudCustomData
  if (m.opts.needReadReceipt) message.needReadReceipt = true
  return { ...r, message }
}

