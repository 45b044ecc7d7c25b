/**
 * Migration imports against a real node: `import_group` keeps the given CreateTime,
 * `import_group_member` the given roles, join times and unread counts, `import_group_msg`
 * the given senders and send times under the next seqs — and bad input is refused with its
 * code, changing nothing.
 */
import t from 'tap'
import { startServer, type TestServer } from '../helpers/server.js'
import { Device, type Reply, Rest, textBody, uid } from './fixtures/rest.js'

let server: TestServer
let rest: Rest
t.before(async () => {
  server = await startServer()
  rest = new Rest(server)
})
t.teardown(() => server.stop())

const G = (cmd: string) => `group_open_http_svc/${cmd}`
const nowSec = () => Math.floor(Date.now() / 1000)
const DAY = 86400

async function members(groupId: string): Promise<Reply[]> {
  return (await rest.ok(G('get_group_member_info'), { GroupId: groupId })).MemberList
}

async function history(groupId: string): Promise<Reply[]> {
  return (await rest.ok(G('group_msg_get_simple'), { GroupId: groupId, ReqMsgNumber: 20 })).RspMsgList
}

const msg = (from: string, sendTime: number, text: string, random?: number) => ({
  From_Account: from, SendTime: sendTime, MsgBody: textBody(text), ...(random !== undefined ? { Random: random } : {}),
})

t.test('import_group keeps CreateTime; the owner joined then', async (t) => {
  const [owner] = await rest.newUsers(1)
  const created = nowSec() - 30 * DAY
  const groupId = uid('imp')
  const r = await rest.ok(G('import_group'), {
    Type: 'Public', Name: 'old', Owner_Account: owner, GroupId: groupId, CreateTime: created, Introduction: 'from elsewhere',
  })
  t.equal(r.GroupId, groupId)
  const [info] = (await rest.ok(G('get_group_info'), { GroupIdList: [groupId] })).GroupInfo
  t.match(info, { Type: 'Public', Name: 'old', Introduction: 'from elsewhere', Owner_Account: owner, CreateTime: created, MemberNum: 1 })
  t.match(await members(groupId), [{ Member_Account: owner, Role: 'Owner', JoinTime: created }])
  const assigned = await rest.ok(G('import_group'), { Type: 'Private', Name: 'no id', Owner_Account: owner })
  t.match(assigned.GroupId, /^@TGS#/, 'an assigned id without GroupId')
})

t.test('import_group: bad input', async (t) => {
  const [owner] = await rest.newUsers(1)
  const groupId = uid('imp')
  await rest.ok(G('import_group'), { Type: 'Public', Name: 'n', Owner_Account: owner, GroupId: groupId })
  const call = (body: Record<string, unknown>) => rest.call(G('import_group'), { Type: 'Public', Name: 'n', Owner_Account: owner, ...body })
  t.match(await call({ Type: 'AVChatRoom' }), { ErrorCode: 10007 }, 'no imports into live rooms')
  t.match(await call({ CreateTime: nowSec() + DAY }), { ErrorCode: 10004 }, 'CreateTime in the future')
  t.match(await call({ CreateTime: 'yesterday' }), { ErrorCode: 10004 })
  t.match(await call({ MemberList: [{ Member_Account: owner }] }), { ErrorCode: 10004 }, 'members come with import_group_member')
  t.match(await call({ Owner_Account: uid('ghost') }), { ErrorCode: 10019 }, 'owner not imported')
  t.match(await call({ GroupId: groupId, Owner_Account: (await rest.newUsers(1))[0] }), { ErrorCode: 10021 }, 'id taken')
  t.match(await call({ Type: 'Nope' }), { ErrorCode: 10004 })
})

t.test('import_group_member: roles, join times, unread counts and results', async (t) => {
  const [owner, a, b, c, d] = await rest.newUsers(5)
  const created = nowSec() - 10 * DAY
  const { GroupId: groupId } = await rest.ok(G('import_group'), { Type: 'Public', Name: 'n', Owner_Account: owner, CreateTime: created })
  const r = await rest.ok(G('import_group_member'), {
    GroupId: groupId,
    MemberList: [
      { Member_Account: a, Role: 'Admin', JoinTime: created + DAY },
      { Member_Account: b, JoinTime: created + 2 * DAY },
      { Member_Account: owner },
      { Member_Account: a },
      { Member_Account: c, JoinTime: created - 1 },
      { Member_Account: d, JoinTime: nowSec() + DAY },
    ],
  })
  t.same(r.MemberList.map((x: Reply) => [x.Member_Account, x.Result]), [[a, 1], [b, 1], [owner, 2], [a, 2], [c, 0], [d, 0]])
  const list = await members(groupId)
  t.match(list.find((m) => m.Member_Account === a), { Role: 'Admin', JoinTime: created + DAY })
  t.match(list.find((m) => m.Member_Account === b), { Role: 'Member', JoinTime: created + 2 * DAY })
  t.equal(list.length, 3, 'the refused ones are not members')
  const again = await rest.ok(G('import_group_member'), { GroupId: groupId, MemberList: [{ Member_Account: c, JoinTime: created }] })
  t.same(again.MemberList, [{ Member_Account: c, Result: 1 }], 'a refused member imports with a good JoinTime')
})

t.test('messages import in order under the next seqs; members imported later read from their join', async (t) => {
  const [owner, a, late] = await rest.newUsers(3)
  const created = nowSec() - 10 * DAY
  const { GroupId: groupId } = await rest.ok(G('import_group'), {
    Type: 'Public', Name: 'n', Owner_Account: owner, CreateTime: created, HistoryMsgBeforeJoin: 'Off',
  })
  await rest.ok(G('import_group_member'), { GroupId: groupId, MemberList: [{ Member_Account: a, JoinTime: created }] })
  const times = [1, 2, 3, 4].map((d) => created + d * DAY)
  const r = await rest.ok(G('import_group_msg'), {
    GroupId: groupId, RecentContactFlag: 1,
    MsgList: [msg(owner, times[0]!, 'one', 11), msg(a, times[1]!, 'two', 12), msg(owner, times[2]!, 'three', 13), msg(a, times[3]!, 'four', 14)],
  })
  t.same(r.ImportMsgResult, times.map((time, i) => ({ MsgSeq: i + 1, MsgTime: time, Result: 0 })))
  const h = await history(groupId)
  t.same(h.map((m) => [m.MsgSeq, m.From_Account, m.MsgTimeStamp, m.MsgBody[0].MsgContent.Text]),
    [[4, a, times[3], 'four'], [3, owner, times[2], 'three'], [2, a, times[1], 'two'], [1, owner, times[0], 'one']])

  const retry = await rest.ok(G('import_group_msg'), { GroupId: groupId, MsgList: [msg(owner, times[0]!, 'one', 11), msg(a, times[3]!, 'four', 14)] })
  t.same(retry.ImportMsgResult, [{ MsgSeq: 1, MsgTime: times[0], Result: 0 }, { MsgSeq: 4, MsgTime: times[3], Result: 0 }], 'a retried import stores nothing twice')
  t.equal((await history(groupId)).length, 4)

  // Joined between messages 2 and 3, with one unread: sees 3 and 4, has 1 unread.
  await rest.ok(G('import_group_member'), { GroupId: groupId, MemberList: [{ Member_Account: late, JoinTime: times[1]! + 60, UnreadMsgNum: 1 }] })
  const dev = await Device.login(server, late)
  t.teardown(() => dev.close())
  const mine = await dev.request('groupHistory', { groupId, limit: 20 })
  t.same(mine.data.messages.map((m: Reply) => m.seq), [4, 3], 'history from the imported JoinTime on')
  const joined = await dev.request('groupJoined', { withUnread: true })
  t.match(joined.data.groups.find((x: Reply) => x.groupId === groupId), { lastSeq: 4, readSeq: 3, unread: 1 })

  const sent = await rest.ok(G('send_group_msg'), { GroupId: groupId, From_Account: owner, Random: 99, MsgBody: textBody('live') })
  t.equal(sent.MsgSeq, 5, 'a live message continues after the imported ones')
})

t.test('import_group_msg: per-message results for bad times and sizes', async (t) => {
  const [owner] = await rest.newUsers(1)
  const created = nowSec() - 10 * DAY
  const { GroupId: groupId } = await rest.ok(G('import_group'), { Type: 'Private', Name: 'n', Owner_Account: owner, CreateTime: created })
  const r = await rest.ok(G('import_group_msg'), {
    GroupId: groupId,
    MsgList: [
      msg(owner, created + 2 * DAY, 'kept'),
      msg(owner, created + DAY, 'older than the newest'),
      msg(owner, created - 1, 'before the group'),
      msg(owner, nowSec() + DAY, 'future'),
      msg(owner, created + 3 * DAY, 'x'.repeat(13000)),
      msg(owner, created + 3 * DAY, 'kept too'),
    ],
  })
  t.same(r.ImportMsgResult.map((x: Reply) => [x.MsgSeq, x.Result]), [[1, 0], [0, 10004], [0, 10004], [0, 10004], [0, 80002], [2, 0]])
  t.same((await history(groupId)).map((m) => m.MsgBody[0].MsgContent.Text), ['kept too', 'kept'])
})

t.test('imports: coded errors, nothing changed', async (t) => {
  const [owner, a] = await rest.newUsers(2)
  const ghost = uid('ghost')
  const { GroupId: groupId } = await rest.ok(G('import_group'), { Type: 'Public', Name: 'n', Owner_Account: owner, MaxMemberNum: 2 })
  const room = await rest.createGroup('AVChatRoom', owner)
  const { GroupId: bRoom } = await rest.ok(G('create_group'), { Type: 'BChatRoom', Name: 'b', Owner_Account: owner })
  const importMembers = (g: string, list: Reply[]) => rest.call(G('import_group_member'), { GroupId: g, MemberList: list })
  const importMsgs = (g: string, list: Reply[]) => rest.call(G('import_group_msg'), { GroupId: g, MsgList: list })
  const now = nowSec()

  t.match(await importMembers(groupId, [{ Member_Account: a }, { Member_Account: ghost }]), { ErrorCode: 10019 }, 'a member not imported')
  t.match(await importMembers(room, [{ Member_Account: a }]), { ErrorCode: 10007 }, 'no imports into live rooms')
  t.match(await importMembers(uid('nogroup'), [{ Member_Account: a }]), { ErrorCode: 10010 })
  t.match(await importMembers(groupId, [{ Member_Account: a, Role: 'Owner' }]), { ErrorCode: 10004 })
  t.match(await importMembers(groupId, [{ Member_Account: a, UnreadMsgNum: -1 }]), { ErrorCode: 10004 })
  t.match(await importMembers(groupId, []), { ErrorCode: 10005 }, 'an empty list is outside the batch size')
  const [x, y] = await rest.newUsers(2)
  t.match(await importMembers(groupId, [{ Member_Account: x }, { Member_Account: y }]), { ErrorCode: 10014 }, 'over the cap: none imported')
  t.equal((await members(groupId)).length, 1, 'still only the owner')

  t.match(await importMsgs(groupId, [msg(ghost, now, 'hi')]), { ErrorCode: 10019 }, 'a sender not imported')
  t.match(await importMsgs(room, [msg(owner, now, 'hi')]), { ErrorCode: 10007 })
  t.match(await importMsgs(bRoom, [msg(owner, now, 'hi')]), { ErrorCode: 10007 }, 'BChatRoom keeps no history')
  t.match(await importMsgs(groupId, [{ From_Account: owner, SendTime: now }]), { ErrorCode: 90002 }, 'no MsgBody')
  t.match(await importMsgs(groupId, [{ From_Account: owner, MsgBody: textBody('no time') }]), { ErrorCode: 10004 })
  t.match(await importMsgs(groupId, Array.from({ length: 21 }, (_, i) => msg(owner, now, `m${i}`))), { ErrorCode: 10004 }, 'at most 20')
  t.match(await rest.call(G('import_group_msg'), { GroupId: groupId, RecentContactFlag: 2, MsgList: [msg(owner, now, 'hi')] }), { ErrorCode: 10004 })
  t.same(await history(groupId), [], 'nothing stored')
})
