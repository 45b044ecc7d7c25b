/**
 * Group tips over real sockets on a real node: every change reaches the members' online
 * devices as a tip (a `groupMsg` from `@TIM#SYSTEM` with one TIMGroupTipElem); in groups that
 * keep history it takes the next seq and stays in history (socket and REST), so the seq
 * sequence devices follow has no holes; in an AVChatRoom it is pushed with seq 0; a ChatRoom
 * tells no member changes.
 */
import t from 'tap'
import { GroupMember } from '../helpers/groupMember.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { Rest, textBody } from '../rest/fixtures/rest.js'

let server: TestServer
let rest: Rest
t.before(async () => {
  server = await startServer({ config: { roomCoalesceMs: 0 } })
  rest = new Rest(server)
})
t.teardown(() => server.stop())

const G = (cmd: string) => `group_open_http_svc/${cmd}`
const login = (userId: string, opts: { json?: boolean; platform?: string } = {}) => GroupMember.loginTo(server, userId, opts)

async function ok(m: GroupMember, op: string, fields: Record<string, unknown>) {
  const r = await m.request(op, fields)
  if (r.ok !== true) throw new Error(`${op}: ${JSON.stringify(r)}`)
  return r.data
}

t.test('a Public group: each change\'s tip reaches online members live and stays in history at its seq', async (t) => {
  const [owner, a, b] = await rest.newUsers(3)
  const groupId = await rest.createGroup('Public', owner, [a])
  const [dOwner, dA, dB] = [await login(owner), await login(a), await login(b)]
  t.teardown(() => { dOwner.close(); dA.close(); dB.close() })

  await rest.ok(G('add_group_member'), { GroupId: groupId, MemberList: [{ Member_Account: b }] })
  await dA.until(() => dA.tips(groupId).length === 1)
  t.same(dA.tips(groupId), [{ seq: 1, OpType: 1, Operator_Account: server.app.admins[0], MemberList: [b] }], 'join tip, the App admin as operator')
  t.equal((await ok(dA, 'groupSend', { groupId, body: textBody('hello') })).seq, 2, 'the next message follows the tip')
  await ok(dOwner, 'groupModify', { groupId, name: 'Renamed', introduction: 'intro' })
  await ok(dOwner, 'groupMute', { groupId, members: [b], muteTime: 60 })
  await dB.until(() => dB.tips(groupId).some((x) => x.seq === 4))
  // Its own join tip may or may not reach it live: its devices subscribe as the tip goes out.
  t.same(dB.tips(groupId).filter((x) => x.seq > 1), [
    { seq: 3, OpType: 6, Operator_Account: owner, GroupInfo: { Name: 'Renamed', Introduction: 'intro' } },
    { seq: 4, OpType: 7, Operator_Account: owner, MemberInfoList: [{ Member_Account: b, MuteTime: 60 }] },
  ], 'the new member gets later tips live')
  const bHistory = await ok(dB, 'groupHistory', { groupId })
  t.same(bHistory.messages.map((m: { seq: number }) => m.seq), [4, 3, 2, 1], 'its history starts with its own join tip')

  await ok(dOwner, 'groupKick', { groupId, members: [b] })
  await dB.until(() => dB.events.some((e) => e.type === 'groupLeave'))
  const last = dB.events.slice(-2)
  t.match(last, [{ type: 'groupMsg', msg: { seq: 5, body: [{ MsgContent: { OpType: 3, MemberList: [b] } }] } }, { type: 'groupLeave', accounts: [b] }],
    'the kicked member gets the kick tip, then the leave')
  await dA.until(() => dA.tips(groupId).length === 4)
  const seen = [...dA.tips(groupId).map((x) => x.seq), ...dA.messages(groupId).map((x) => x.seq)].sort((x, y) => x - y)
  t.same(seen, [1, 2, 3, 4, 5], 'a member saw every seq, tips included: no holes')

  const simple = await rest.ok(G('group_msg_get_simple'), { GroupId: groupId, ReqMsgNumber: 5 })
  t.match(simple.RspMsgList.map((m: Record<string, unknown>) => [m.MsgSeq, m.IsSystemMsg, m.From_Account]),
    [[5, 1, '@TIM#SYSTEM'], [4, 1, '@TIM#SYSTEM'], [3, 1, '@TIM#SYSTEM'], [2, 0, a], [1, 1, '@TIM#SYSTEM']], 'REST history: tips are system messages')
  t.same(simple.RspMsgList[0].MsgBody, [{ MsgType: 'TIMGroupTipElem', MsgContent: { OpType: 3, Operator_Account: owner, MemberList: [b] } }])
})

t.test('an AVChatRoom pushes join and quit tips with seq 0; a ChatRoom tells no member changes', async (t) => {
  const [owner, a] = await rest.newUsers(2)
  const room = await rest.createGroup('AVChatRoom', owner, [])
  const chat = await rest.createGroup('ChatRoom', owner, [])
  const [dOwner, dA] = [await login(owner), await login(a)]
  t.teardown(() => { dOwner.close(); dA.close() })

  await ok(dA, 'groupApply', { groupId: room })
  await ok(dA, 'groupQuit', { groupId: room })
  await dOwner.until(() => dOwner.tips(room).length === 2)
  t.same(dOwner.tips(room), [{ seq: 0, OpType: 1, Operator_Account: a, MemberList: [a] }, { seq: 0, OpType: 2, Operator_Account: a, MemberList: [a] }])
  t.equal((await ok(dOwner, 'groupInfo', { groupId: room })).nextMsgSeq, 1, 'nothing stored')

  await ok(dA, 'groupApply', { groupId: chat })
  await ok(dA, 'groupSend', { groupId: chat, body: textBody('after joining') })
  await dOwner.until(() => dOwner.messages(chat).length === 1)
  t.same(dOwner.tips(chat), [], 'no join tip before the message that followed the join')
  t.equal(dOwner.messages(chat)[0].seq, 1, 'and no seq taken by one')
})
