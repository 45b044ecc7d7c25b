/**
 * Inbox events encoded once (src/protocol/eventBytes.ts): the bytes a store builds are the
 * bytes the `ev` frame carries, and both decode to the event itself.
 */
import t from 'tap'
import { decode, encode } from '../../src/core/codec.js'
import { eventBytes, eventFrame } from '../../src/protocol/eventBytes.js'
import type { InboxEvent } from '../../src/protocol/events.js'
import type { StoredMessage } from '../../src/model/message.js'

const msg = {
  msgKey: '1_2_3', from: 'alice', to: 'bob', time: 1700000000, random: 7, seq: 4, flags: 0,
  body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'héllo' } }],
} as unknown as StoredMessage
const msgEvent: InboxEvent = { type: 'msg', seq: 12, conv: 'c2c:alice', msg }

t.test('a msg event spliced from its message bytes decodes to the event', async (t) => {
  const bytes = eventBytes({ ...msgEvent }, encode(msg))
  t.same(decode(bytes), msgEvent)
})

t.test('the same event object is encoded once; the frame carries those bytes', async (t) => {
  const ev: InboxEvent = { ...msgEvent, msg: { ...msg } }
  const first = eventBytes(ev, encode(ev.msg))
  t.equal(eventBytes(ev), first, 'a second call returns the remembered bytes')
  const frame = eventFrame(ev)
  t.same(decode(frame), { op: 'ev', ev }, 'the frame is { op: "ev", ev }')
  t.same([...frame.subarray(frame.length - first.length)], [...first], 'and ends with the stored bytes')
  const other: InboxEvent = { ...ev, seq: 13 }
  t.same(decode(eventFrame(other)), { op: 'ev', ev: other }, 'another object is encoded afresh')
})

t.test('events other than msg, and msg events without given bytes, are plain encodes', async (t) => {
  const recall = { type: 'recall', seq: 3, conv: 'c2c:bob', msgKey: 'k', convSeq: 2 } as unknown as InboxEvent
  t.same(decode(eventFrame(recall)), { op: 'ev', ev: recall })
  const ev: InboxEvent = { ...msgEvent }
  t.same([...eventBytes(ev)], [...encode(ev)], 'no message bytes given: the codec\'s own encoding')
})
