/**
 * A group's fan-out targets (actors/group/fanout.ts) on a fake clock: while settling after
 * activation every thread of the membership gets each event; afterwards only threads that
 * reported subscribers, and a thread whose node left the membership is forgotten (no more
 * events, not counted online).
 */
import t from 'tap'
import { SETTLE_MS } from '../../actors/group/fanout.js'
import { groupTopic } from '../../actors/topic.js'
import type { ThreadRef, TopicInterest } from '../../actors/runtime/types.js'
import { groupRecord } from '../store/groupStoreConformance.js'
import { APP, groupHarness } from './fixtures/groupHarness.js'

const text = (s: string) => [{ MsgType: 'TIMTextElem' as const, MsgContent: { Text: s } }]
const n1: ThreadRef = { node: 'n1', thread: 0 }
const n2a: ThreadRef = { node: 'n2', thread: 0 }
const n2b: ThreadRef = { node: 'n2', thread: 1 }
const n3: ThreadRef = { node: 'n3', thread: 0 }

t.test('events go to reporting threads of live nodes only', async (t) => {
  const h = await groupHarness()
  t.teardown(() => h.close())
  h.setMembership([n1, n2a, n2b, n3])
  await h.ask('room', { kind: 'create', record: groupRecord('room', { type: 'AVChatRoom', owner: 'owner', maxMemberNum: 0 }), members: [] })
  let random = 0
  const send = async (): Promise<ThreadRef[]> => {
    const before = h.publishedTo.length
    await h.ask('room', { kind: 'send', by: { user: 'owner', appAdmin: false }, from: 'owner', draft: { random: ++random, body: text('hi'), onlineOnly: false } })
    return h.publishedTo.slice(before)
  }
  t.same(await send(), [n1, n2a, n2b, n3], 'settling: every thread')

  const report = (w: ThreadRef, count: number) => {
    const m: TopicInterest = { kind: 'interest', ifActive: true, topic: groupTopic(APP, 'room'), node: w.node, thread: w.thread, count }
    return h.ask('room', m)
  }
  await report(n1, 3)
  await report(n2a, 5)
  await report(n3, 2)
  await report(n3, 0)
  h.clock.ms += SETTLE_MS
  t.same(await send(), [n1, n2a], 'settled: the threads with subscribers')
  t.same(await h.ask('room', { kind: 'online' }), { online: 8 })

  h.setMembership([n1, n3])
  t.same(await send(), [n1], 'a node that left is no longer sent to')
  t.same(await h.ask('room', { kind: 'online' }), { online: 3 }, 'nor counted')
  h.setMembership([n1, n2a, n2b, n3])
  t.same(await send(), [n1], 'and stays forgotten until its threads report again')
  await report(n2b, 1)
  t.same(await send(), [n1, n2b])
})
