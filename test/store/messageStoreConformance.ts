/**
 * The MessageStore conformance suite: every implementation runs it through its own
 * `*.test.ts` with a factory that gives each subtest a fresh, empty store.
 */
import type { Test } from 'tap'
import { c2cConv, type ConvId, type InboxEvent } from '../../src/protocol/events.js'
import { MsgFlags, makeMsgKey, type StoredMessage } from '../../src/model/message.js'
import type { ConversationRecord, MessageStore, UserCommit, UserRef } from '../../src/store/MessageStore.js'

export interface MessageStoreFixture {
  /** An empty store. */
  store: MessageStore
  /** Opens another store over the same data; the suite has closed the previous store first. */
  reopen(): Promise<MessageStore>
  /** Removes the data; called after the suite closed every store it opened. */
  cleanup(): Promise<void>
}

export type MessageStoreFactory = () => Promise<MessageStoreFixture>

const APP = 1400000001
const OTHER_APP = 1400000002
const alice: UserRef = { app: APP, user: 'alice' }
const bob = c2cConv('bob')
const carol = c2cConv('carol')
const carolRef: UserRef = { app: APP, user: 'carol' }

export function messageStoreConformance(t: Test, name: string, factory: MessageStoreFactory): void {
  const cases: [string, (t: Test, f: MessageStoreFixture) => Promise<void>][] = [
    ['inbox: append and read ranges', inboxRanges],
    ['inbox: a gap or duplicate seq is rejected and writes nothing', inboxGuard],
    ['commit: pipelined commits of one owner apply in call order', pipelined],
    ['commit: a rejected commit leaves no partial writes', atomicity],
    ['messages: upsert replaces; history newest first with beforeSeq, time bounds, limit', history],
    ['findByKey: per conversation, gone after clearHistory', findByKey],
    ['dedupe: put and get by (conv, random)', dedupe],
    ['conversations: upsert and list', conversations],
    ['owners: users and apps never see each other\'s data', isolation],
    ['persistence: everything survives close and reopen', persistence],
  ]
  for (const [title, body] of cases) {
    t.test(`${name}: ${title}`, async (t) => {
      const f = await factory()
      let open: MessageStore | undefined = f.store
      const fixture: MessageStoreFixture = {
        store: f.store,
        reopen: async () => {
          await open?.close()
          open = undefined
          open = await f.reopen()
          return open
        },
        cleanup: f.cleanup,
      }
      t.teardown(async () => {
        await open?.close()
        await f.cleanup()
      })
      await body(t, fixture)
    })
  }
}

/** A session issues its next commit before the previous one resolves (UserSession.persist). */
async function pipelined(t: Test, { store }: MessageStoreFixture): Promise<void> {
  // Each step also rewrites the conversation record and the message at seq 1 (as a recall
  // does): whatever a store does with queued commits, the last write of each record wins.
  const commits = [1, 2, 3, 4, 5, 6].map((s) => store.commit(alice, {
    inbox: [msgEvent(s, bob)],
    messages: [{ conv: bob, msg: { ...message(1, 'bob', 1001), flags: s } }],
    conversations: [convRecord(bob, s)],
  }))
  const other = store.commit(carolRef, { inbox: [msgEvent(1, bob)] })
  await Promise.all([...commits, other])
  t.same(seqs(await store.readInbox(alice, 0, 100)), [1, 2, 3, 4, 5, 6], 'all six, in order')
  t.equal((await store.getConversation(alice, bob))?.lastSeq, 6, 'the conversation record of the last commit')
  t.equal((await store.getMessage(alice, bob, 1))?.flags, 6, 'the message as the last commit wrote it')
  t.equal(await store.lastInboxSeq(carolRef), 1, 'another owner is not held up')
}

async function inboxRanges(t: Test, { store }: MessageStoreFixture): Promise<void> {
  t.equal(await store.lastInboxSeq(alice), 0, 'empty inbox has last seq 0')
  t.same(await store.readInbox(alice, 0, 10), [], 'empty inbox reads nothing')

  await store.commit(alice, { inbox: [1, 2, 3, 4, 5].map((s) => msgEvent(s, bob)) })
  await store.commit(alice, { inbox: [readEvent(6, bob, 5), convEvent(7, carol)] })
  t.equal(await store.lastInboxSeq(alice), 7)

  t.same(seqs(await store.readInbox(alice, 0, 100)), [1, 2, 3, 4, 5, 6, 7], 'from 0, ascending')
  t.same(seqs(await store.readInbox(alice, 3, 2)), [4, 5], 'middle, limited')
  t.same(seqs(await store.readInbox(alice, 5, 100)), [6, 7], 'across commits')
  t.same(await store.readInbox(alice, 7, 10), [], 'at the end')
  t.same(await store.readInbox(alice, 100, 10), [], 'past the end')
  t.same(await store.readInbox(alice, 0, 0), [], 'limit 0')
  const all = await store.readInbox(alice, 0, 100)
  t.same(all[0], msgEvent(1, bob), 'events are returned as stored')
  t.same(all[5], readEvent(6, bob, 5))
  t.same(all[6], convEvent(7, carol))
}

async function inboxGuard(t: Test, { store }: MessageStoreFixture): Promise<void> {
  await t.rejects(store.commit(alice, { inbox: [msgEvent(2, bob)] }), 'first event must be seq 1')
  await store.commit(alice, { inbox: [1, 2, 3].map((s) => msgEvent(s, bob)) })

  const extras = (seq: number): UserCommit => ({
    messages: [{ conv: carol, msg: message(seq, 'carol', 2000 + seq) }],
    conversations: [convRecord(carol, seq)],
    dedupe: [{ conv: carol, random: 9000 + seq, record: { msgKey: 'k', time: 1 } }],
  })
  await t.rejects(store.commit(alice, { inbox: [msgEvent(5, carol)], ...extras(5) }), 'gap')
  await t.rejects(store.commit(alice, { inbox: [msgEvent(3, carol)], ...extras(3) }), 'duplicate of the last')
  await t.rejects(store.commit(alice, { inbox: [msgEvent(1, carol)], ...extras(1) }), 'duplicate of an old seq')
  await t.rejects(store.commit(alice, { inbox: [msgEvent(4, carol), msgEvent(6, carol)], ...extras(4) }),
    'gap inside the batch')
  await t.rejects(store.commit(alice, { inbox: [msgEvent(4, carol), msgEvent(4, carol)], ...extras(4) }),
    'duplicate inside the batch')

  t.equal(await store.lastInboxSeq(alice), 3, 'no event was appended')
  t.same(seqs(await store.readInbox(alice, 0, 100)), [1, 2, 3])
  t.same(await store.readInbox(alice, 0, 100), [1, 2, 3].map((s) => msgEvent(s, bob)), 'old events unchanged')
  t.same(await store.readHistory(alice, carol, { limit: 10 }), [], 'no message was stored')
  t.equal(await store.getConversation(alice, carol), undefined, 'no conversation was stored')
  for (const seq of [1, 3, 4, 5]) t.equal(await store.getDedupe(alice, carol, 9000 + seq), undefined)

  await store.commit(alice, { inbox: [msgEvent(4, carol), msgEvent(5, carol)], ...extras(4) })
  t.equal(await store.lastInboxSeq(alice), 5, 'the next seq is accepted after rejections')
  t.ok(await store.getMessage(alice, carol, 4))

  await t.rejects(store.commit(alice, { clearHistory: [carol], inbox: [convEvent(5, carol)] }),
    'a commit that clears history is guarded too')
  t.ok(await store.getMessage(alice, carol, 4), 'the rejected clear removed nothing')
  await store.commit(alice, { clearHistory: [carol], inbox: [convEvent(6, carol)] })
  t.equal(await store.getMessage(alice, carol, 4), undefined, 'the accepted clear removed the message')
  t.equal(await store.lastInboxSeq(alice), 6)
}

async function atomicity(t: Test, { store }: MessageStoreFixture): Promise<void> {
  const m1 = message(1, 'bob', 1001)
  const m2 = message(2, 'bob', 1002)
  await store.commit(alice, {
    inbox: [msgEvent(1, bob, m1), msgEvent(2, bob, m2)],
    messages: [{ conv: bob, msg: m1 }, { conv: bob, msg: m2 }],
    conversations: [convRecord(bob, 2)],
    dedupe: [{ conv: bob, random: m1.random, record: { msgKey: m1.msgKey, time: 1001 } }],
  })
  const recalled = { ...m1, flags: MsgFlags.recalled }
  await t.rejects(store.commit(alice, {
    clearHistory: [bob],
    inbox: [msgEvent(3, carol), msgEvent(5, carol)],
    messages: [{ conv: bob, msg: recalled }, { conv: carol, msg: message(1, 'carol', 1003) }],
    conversations: [{ ...convRecord(bob, 9), unread: 7 }, convRecord(carol, 1)],
    dedupe: [{ conv: bob, random: m1.random, record: { msgKey: 'other', time: 5 } }],
  }), 'a commit with a seq gap is rejected')

  t.same(await store.readHistory(alice, bob, { limit: 10 }), [m2, m1], 'clearHistory was not applied')
  t.same(await store.getMessage(alice, bob, 1), m1, 'message upsert was not applied')
  t.same(await store.findByKey(alice, bob, m1.msgKey), m1, 'msgKey index intact')
  t.same(await store.readHistory(alice, carol, { limit: 10 }), [])
  t.same(await store.getConversation(alice, bob), convRecord(bob, 2), 'conversation upsert was not applied')
  t.equal(await store.getConversation(alice, carol), undefined)
  t.same(await store.getDedupe(alice, bob, m1.random), { msgKey: m1.msgKey, time: 1001 }, 'dedupe unchanged')
  t.equal(await store.lastInboxSeq(alice), 2)
}

async function history(t: Test, { store }: MessageStoreFixture): Promise<void> {
  const msgs = range(1, 10).map((s) => message(s, s % 2 ? 'alice' : 'bob', 1000 + s))
  await store.commit(alice, { messages: msgs.map((msg) => ({ conv: bob, msg })) })
  const hist = async (q: Parameters<MessageStore['readHistory']>[2]) =>
    (await store.readHistory(alice, bob, q)).map((m) => m.seq)

  t.same(await hist({ limit: 100 }), range(1, 10).reverse(), 'all, newest first')
  t.same(await hist({ limit: 3 }), [10, 9, 8], 'limit')
  t.same(await hist({ beforeSeq: 8, limit: 3 }), [7, 6, 5], 'beforeSeq is exclusive')
  t.same(await hist({ beforeSeq: 2, limit: 3 }), [1])
  t.same(await hist({ beforeSeq: 1, limit: 3 }), [], 'nothing before the first')
  t.same(await hist({ beforeSeq: 100, limit: 2 }), [10, 9], 'beforeSeq past the end')
  t.same(await hist({ minTime: 1003, maxTime: 1006, limit: 100 }), [6, 5, 4, 3], 'time bounds are inclusive')
  t.same(await hist({ minTime: 1003, maxTime: 1006, limit: 2 }), [6, 5], 'time bounds with limit')
  t.same(await hist({ minTime: 1008, limit: 100 }), [10, 9, 8], 'minTime only')
  t.same(await hist({ maxTime: 1002, limit: 100 }), [2, 1], 'maxTime only')
  t.same(await hist({ beforeSeq: 5, minTime: 1003, limit: 100 }), [4, 3], 'beforeSeq with minTime')
  t.same(await hist({ minTime: 2000, limit: 100 }), [], 'no match')
  t.same(await hist({ limit: 0 }), [], 'limit 0')
  t.same(await store.readHistory(alice, carol, { limit: 10 }), [], 'another conversation is empty')
  t.same(await store.readHistory(alice, c2cConv('bo'), { limit: 10 }), [], 'a conv id that prefixes another')

  const recalled: StoredMessage = { ...msgs[3], flags: MsgFlags.recalled }
  await store.commit(alice, { messages: [{ conv: bob, msg: recalled }] })
  t.same(await store.getMessage(alice, bob, 4), recalled, 'upsert replaces the message')
  const after = await store.readHistory(alice, bob, { limit: 100 })
  t.equal(after.length, 10, 'upsert adds no entry')
  t.same(after.find((m) => m.seq === 4), recalled, 'history shows the recall flag')
  t.same(await store.findByKey(alice, bob, recalled.msgKey), recalled)
  t.equal(await store.getMessage(alice, bob, 11), undefined)
}

async function findByKey(t: Test, { store }: MessageStoreFixture): Promise<void> {
  const toBob = [message(1, 'alice', 1001), message(2, 'bob', 1002)]
  const toCarol = [message(1, 'carol', 1003), message(2, 'alice', 1004)]
  await store.commit(alice, {
    inbox: [...toBob.map((m, i) => msgEvent(i + 1, bob, m)), ...toCarol.map((m, i) => msgEvent(i + 3, carol, m))],
    messages: [...toBob.map((msg) => ({ conv: bob, msg })), ...toCarol.map((msg) => ({ conv: carol, msg }))],
  })
  for (const m of toBob) t.same(await store.findByKey(alice, bob, m.msgKey), m)
  for (const m of toCarol) t.same(await store.findByKey(alice, carol, m.msgKey), m)
  t.equal(await store.findByKey(alice, bob, makeMsgKey(1, 1, 1)), undefined, 'unknown key')
  t.equal(await store.findByKey(alice, carol, toBob[0].msgKey), undefined, 'keys are per conversation')

  await store.commit(alice, { clearHistory: [bob] })
  for (const m of toBob) t.equal(await store.findByKey(alice, bob, m.msgKey), undefined, 'cleared key is gone')
  t.same(await store.readHistory(alice, bob, { limit: 10 }), [], 'cleared history is empty')
  t.equal(await store.getMessage(alice, bob, 1), undefined)
  for (const m of toCarol) t.same(await store.findByKey(alice, carol, m.msgKey), m, 'other conv kept')
  t.same(seqs(await store.readInbox(alice, 0, 10)), [1, 2, 3, 4], 'clearHistory leaves the inbox')

  const again = message(3, 'bob', 1005)
  await store.commit(alice, { messages: [{ conv: bob, msg: again }] })
  t.same(await store.findByKey(alice, bob, again.msgKey), again, 'new messages index after a clear')
}

async function dedupe(t: Test, { store }: MessageStoreFixture): Promise<void> {
  t.equal(await store.getDedupe(alice, bob, 42), undefined)
  await store.commit(alice, { dedupe: [{ conv: bob, random: 42, record: { msgKey: '1_42_1000', time: 1000 } }] })
  t.same(await store.getDedupe(alice, bob, 42), { msgKey: '1_42_1000', time: 1000 })
  t.equal(await store.getDedupe(alice, bob, 43), undefined, 'other random')
  t.equal(await store.getDedupe(alice, carol, 42), undefined, 'same random in another conversation')
  await store.commit(alice, { dedupe: [{ conv: bob, random: 42, record: { msgKey: '2_42_2000', time: 2000 } }] })
  t.same(await store.getDedupe(alice, bob, 42), { msgKey: '2_42_2000', time: 2000 }, 'upsert replaces')
  const withSeq = { msgKey: '3_44_3000', time: 3001, first: { seq: 9, msgTime: 3000 } }
  await store.commit(alice, { dedupe: [{ conv: bob, random: 44, record: withSeq }] })
  t.same(await store.getDedupe(alice, bob, 44), withSeq, 'a record with its first seq is kept whole')
}

async function conversations(t: Test, { store }: MessageStoreFixture): Promise<void> {
  t.same(await store.listConversations(alice), [])
  const withBob = convRecord(bob, 3)
  const { lastMsg: _cleared, ...carolBase } = convRecord(carol, 1)
  const withCarol: ConversationRecord = { ...carolBase, deleted: true }
  await store.commit(alice, { conversations: [withBob, withCarol] })
  t.same(await store.getConversation(alice, bob), withBob)
  t.same(byConv(await store.listConversations(alice)), [withBob, withCarol], 'list includes deleted records')

  const updated: ConversationRecord = { ...withBob, unread: 0, readSeq: 3, pinned: true, lastTime: 5000 }
  await store.commit(alice, { conversations: [updated] })
  t.same(await store.getConversation(alice, bob), updated, 'upsert replaces')
  t.same(byConv(await store.listConversations(alice)), [updated, withCarol], 'upsert adds no entry')
  t.equal(await store.getConversation(alice, c2cConv('dave')), undefined)
}

async function isolation(t: Test, { store }: MessageStoreFixture): Promise<void> {
  const owners: UserRef[] = [
    alice,
    { app: APP, user: 'al' },
    { app: APP, user: 'alice2' },
    { app: OTHER_APP, user: 'alice' },
  ]
  for (const [i, owner] of owners.entries()) {
    const n = i + 1
    const msg = message(n, owner.user, 1000 + n)
    await store.commit(owner, {
      inbox: range(1, n).map((s) => msgEvent(s, bob, message(s, owner.user, 1000 + n))),
      messages: [{ conv: bob, msg }],
      conversations: [convRecord(bob, n)],
      dedupe: [{ conv: bob, random: 7, record: { msgKey: msg.msgKey, time: n } }],
    })
  }
  for (const [i, owner] of owners.entries()) {
    const n = i + 1
    const who = `${owner.app}/${owner.user}`
    t.equal(await store.lastInboxSeq(owner), n, `${who}: own inbox seq`)
    t.same(seqs(await store.readInbox(owner, 0, 100)), range(1, n), `${who}: own inbox`)
    t.same((await store.readHistory(owner, bob, { limit: 100 })).map((m) => m.seq), [n], `${who}: own history`)
    t.same(await store.listConversations(owner), [convRecord(bob, n)], `${who}: own conversations`)
    t.same(await store.getDedupe(owner, bob, 7), { msgKey: message(n, owner.user, 1000 + n).msgKey, time: n })
    for (const [j, other] of owners.entries()) {
      if (j === i) continue
      const theirs = message(j + 1, other.user, 1000 + j + 1)
      t.equal(await store.findByKey(owner, bob, theirs.msgKey), undefined, `${who}: not another owner's key`)
      t.equal(await store.getMessage(owner, bob, j + 1), undefined, `${who}: not another owner's message`)
    }
  }
  await store.commit(alice, { clearHistory: [bob] })
  for (const owner of owners.slice(1)) {
    t.equal((await store.readHistory(owner, bob, { limit: 10 })).length, 1, 'a clear touches only its owner')
  }
  t.equal(await store.lastInboxSeq({ app: APP, user: 'nobody' }), 0)
  t.same(await store.listConversations({ app: 1, user: 'alice' }), [])
}

async function persistence(t: Test, f: MessageStoreFixture): Promise<void> {
  const m1 = message(1, 'bob', 1001)
  const m2 = message(2, 'alice', 1002)
  const commit: UserCommit = {
    inbox: [msgEvent(1, bob, m1), msgEvent(2, bob, m2), readEvent(3, bob, 2)],
    messages: [{ conv: bob, msg: m1 }, { conv: bob, msg: m2 }],
    conversations: [convRecord(bob, 2)],
    dedupe: [{ conv: bob, random: m1.random, record: { msgKey: m1.msgKey, time: 1001 } }],
  }
  await f.store.commit(alice, commit)
  const store = await f.reopen()
  t.equal(await store.lastInboxSeq(alice), 3)
  t.same(await store.readInbox(alice, 0, 10), commit.inbox)
  t.same(await store.readHistory(alice, bob, { limit: 10 }), [m2, m1])
  t.same(await store.findByKey(alice, bob, m2.msgKey), m2)
  t.same(await store.listConversations(alice), [convRecord(bob, 2)])
  t.same(await store.getDedupe(alice, bob, m1.random), { msgKey: m1.msgKey, time: 1001 })
  await store.commit(alice, { inbox: [convEvent(4, bob)] })
  t.equal(await store.lastInboxSeq(alice), 4, 'the reopened store continues the sequence')
}

// ---- builders ----

/** A message whose msgKey is unique per (seq, sender, time). */
export function message(seq: number, from: string, time: number): StoredMessage {
  const random = (seq * 7919 + from.length * 104729 + time) % 0xffffffff
  return {
    msgKey: makeMsgKey(seq, random, time),
    from,
    to: from === 'alice' ? 'bob' : 'alice',
    msgSeq: seq,
    random,
    time,
    body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: `hello ${seq} from ${from}` } }],
    seq,
    flags: MsgFlags.normal,
  }
}

export function msgEvent(seq: number, conv: ConvId, msg: StoredMessage = message(seq, 'bob', 1000 + seq)): InboxEvent {
  return { type: 'msg', seq, conv, msg }
}

function readEvent(seq: number, conv: ConvId, readSeq: number): InboxEvent {
  return { type: 'read', seq, conv, readSeq }
}

function convEvent(seq: number, conv: ConvId): InboxEvent {
  return { type: 'conv', seq, conv, pinned: true }
}

function convRecord(conv: ConvId, lastSeq: number): ConversationRecord {
  return {
    conv, lastSeq, lastMsg: message(lastSeq, 'bob', 1000 + lastSeq), lastTime: 1000 + lastSeq,
    unread: lastSeq, readSeq: 0, pinned: false, deleted: false,
  }
}

function seqs(events: InboxEvent[]): number[] {
  return events.map((e) => e.seq)
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

function byConv(list: ConversationRecord[]): ConversationRecord[] {
  return [...list].sort((a, b) => (a.conv < b.conv ? -1 : a.conv > b.conv ? 1 : 0))
}
