/**
 * Recalling group messages against a real node: the socket op `groupRecall`, REST
 * `group_msg_recall` and the SDK's `recallGroupMessage` / `groupRecall` event. Online
 * members' devices get a `groupRecall` event; history then shows the message at its seq with
 * flags 8 and no content (`IsPlaceMsg` 1 over REST). Every bad input gets its code. (The
 * recall window needs time to pass: it is tested on a fake clock in
 * test/actors/groupMessaging.test.ts.)
 */
import t from 'tap'
import { GroupMember } from '../helpers/groupMember.js'
import { codeOf, testPool, waitEvent } from '../helpers/sdkClients.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { Rest, textBody, uid } from '../rest/fixtures/rest.js'

let server: TestServer
let rest: Rest
t.before(async () => {
  server = await startServer({ config: { roomCoalesceMs: 0 } })
  rest = new Rest(server)
})
t.teardown(() => server.stop())

const G = (cmd: string) => `group_open_http_svc/${cmd}`
const login = (userId: string, opts: { json?: boolean; platform?: string } = {}) => GroupMember.loginTo(server, userId, opts)

async function send(m: GroupMember, groupId: string, text: string): Promise<number> {
  const r = await m.request('groupSend', { groupId, body: textBody(text), cloudCustomData: 'cc' })
  if (r.ok !== true) throw new Error(`groupSend: ${JSON.stringify(r)}`)
  return r.data.seq
}

async function code(m: GroupMember, fields: Record<string, unknown>): Promise<number> {
  const r = await m.request('groupRecall', fields)
  return r.ok === true ? 0 : r.code
}

t.test('socket: the sender recalls its message; every online member is told; history keeps a placeholder', async (t) => {
  const [owner, a, b, stranger] = await rest.newUsers(4)
  const groupId = await rest.createGroup('Public', owner, [a, b])
  const [dOwner, dA, dB, dS] = [await login(owner), await login(a), await login(b), await login(stranger)]
  t.teardown(() => [dOwner, dA, dB, dS].forEach((d) => d.close()))
  const s1 = await send(dA, groupId, 'oops')
  const s2 = await send(dB, groupId, 'fine')

  t.equal(await code(dA, { groupId, seq: s1 }), 0, 'the sender recalls its own')
  for (const d of [dOwner, dA, dB]) {
    await d.until(() => d.recalls(groupId).length === 1)
    t.same(d.recalls(groupId), [s1], `${d.userId}: told once`)
  }
  const hist = (await dB.request('groupHistory', { groupId })).data.messages
  t.match(hist, [{ seq: s2, flags: 0, body: textBody('fine') }, { seq: s1, from: a, flags: 8, body: [] }])
  t.notOk('cloudCustomData' in hist[1], 'content purged')
  t.equal(await code(dA, { groupId, seq: s1 }), 0, 'again: succeeds, changes nothing')

  t.equal(await code(dA, { groupId, seq: s2 }), 10007, 'another member\'s message: 10007')
  t.equal(await code(dA, { groupId, seq: 999 }), 10030, 'no such seq: 10030')
  t.equal(await code(dS, { groupId, seq: s2 }), 10007, 'a non-member: 10007')
  t.equal(await code(dA, { groupId: `none-${uid()}`, seq: 1 }), 10010, 'no such group: 10010')
  t.equal(await code(dA, { groupId, seq: 0 }), 10004, 'seq 0: 10004')
  t.equal(await code(dA, { groupId, seq: 'one' }), 10004, 'seq not a number: 10004')
  t.equal(await code(dA, { groupId: '', seq: 1 }), 10015, 'a malformed GroupId: 10015')
  t.equal(await code(dOwner, { groupId, seq: s2 }), 0, 'the owner recalls anyone\'s')
  await dB.until(() => dB.recalls(groupId).length === 2)
  t.same(dB.recalls(groupId), [s1, s2])

  const room = await rest.createGroup('AVChatRoom', owner, [])
  t.equal(await code(dOwner, { groupId: room, seq: 1 }), 10033, 'an AVChatRoom keeps nothing to recall: 10033')
})

t.test('REST group_msg_recall: a code per seq; group_msg_get_simple shows placeholders', async (t) => {
  const [owner, a] = await rest.newUsers(2)
  const groupId = await rest.createGroup('Public', owner, [a])
  const dA = await login(a)
  t.teardown(() => dA.close())
  const s1 = await send(dA, groupId, 'one')
  const s2 = await send(dA, groupId, 'two')
  await rest.ok(G('modify_group_base_info'), { GroupId: groupId, Name: 'tipped' })
  const tip = s2 + 1

  const r = await rest.ok(G('group_msg_recall'), { GroupId: groupId, MsgSeqList: [{ MsgSeq: s2 }, { MsgSeq: 77 }, { MsgSeq: tip }], Reason: 'spam' })
  t.same(r.RecallRetList, [{ MsgSeq: s2, RetCode: 0 }, { MsgSeq: 77, RetCode: 10030 }, { MsgSeq: tip, RetCode: 10032 }], 'recalled; not found; a tip')
  await dA.until(() => dA.recalls(groupId).length === 1)
  t.same(dA.recalls(groupId), [s2], 'the member is told')
  const simple = await rest.ok(G('group_msg_get_simple'), { GroupId: groupId, ReqMsgNumber: 3 })
  t.match(simple.RspMsgList, [{ MsgSeq: tip, IsPlaceMsg: 0 }, { MsgSeq: s2, IsPlaceMsg: 1, MsgBody: [] }, { MsgSeq: s1, IsPlaceMsg: 0, MsgBody: textBody('one') }])

  const bad: [Record<string, unknown>, number][] = [
    [{ MsgSeqList: [{ MsgSeq: s1 }] }, 10004],
    [{ GroupId: groupId }, 10004],
    [{ GroupId: groupId, MsgSeqList: [] }, 10004],
    [{ GroupId: groupId, MsgSeqList: Array.from({ length: 11 }, (_, i) => ({ MsgSeq: i + 1 })) }, 10004],
    [{ GroupId: groupId, MsgSeqList: [{ MsgSeq: 0 }] }, 10004],
    [{ GroupId: groupId, MsgSeqList: [{ MsgSeq: '1' }] }, 10004],
    [{ GroupId: groupId, MsgSeqList: [7] }, 10004],
    [{ GroupId: groupId, MsgSeqList: [{ MsgSeq: s1 }], Reason: 'r'.repeat(101) }, 10004],
    [{ GroupId: 'bad\tid', MsgSeqList: [{ MsgSeq: s1 }] }, 10015],
    [{ GroupId: `none-${uid()}`, MsgSeqList: [{ MsgSeq: 1 }] }, 10010],
  ]
  for (const [body, want] of bad) t.equal((await rest.call(G('group_msg_recall'), body)).ErrorCode, want, JSON.stringify(body).slice(0, 80))
  t.equal((await rest.ok(G('group_msg_get_simple'), { GroupId: groupId, ReqMsgSeq: s1, ReqMsgNumber: 1 })).RspMsgList[0].IsPlaceMsg, 0,
    'the bad requests recalled nothing')
})

t.test('SDK: recallGroupMessage, and the groupRecall event on the other members\' clients', async (t) => {
  const p = testPool(t, () => server)
  const [owner, a] = await rest.newUsers(2)
  const groupId = await rest.createGroup('Private', owner, [a])
  const [o, m] = [await p.connect(owner), await p.connect(a)]
  const sent = await m.client.sendGroupText(groupId, 'regret')
  const told = waitEvent(o.client, 'groupRecall')
  await m.client.recallGroupMessage(groupId, sent.seq)
  t.same(await told, { groupId, seq: sent.seq }, 'the owner\'s client fires groupRecall')
  t.match((await o.client.groupHistory(groupId)).messages, [{ seq: sent.seq, flags: 8, body: [] }])
  t.equal(await codeOf(m.client.recallGroupMessage(groupId, sent.seq + 5)), 10030, 'rejects with the server\'s code')
})
