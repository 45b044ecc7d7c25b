/**
 * Group unread counts from per-member read positions, over real sockets and REST: a
 * member's count is the messages above its read position (its own sends never count),
 * `groupRead` moves the position forward only, `groupJoined` with `withUnread` lists the
 * counts, `set_unread_msg_num` sets one, and a member that joins later counts only what came
 * after it joined. Bad input is refused with its code.
 */
import t from 'tap'
import { GroupMember } from '../helpers/groupMember.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { Rest } from '../rest/fixtures/rest.js'

let server: TestServer
let rest: Rest
t.before(async () => {
  server = await startServer()
  rest = new Rest(server)
})
t.teardown(() => server.stop())

const G = (cmd: string) => `group_open_http_svc/${cmd}`
const text = (s: string) => [{ MsgType: 'TIMTextElem', MsgContent: { Text: s } }]

t.test('unread counts follow read positions', async (t) => {
  const [owner, a, b, c, outsider] = await rest.newUsers(5)
  const { GroupId: groupId } = await rest.ok(G('create_group'), {
    Type: 'Public', Name: 'u', Owner_Account: owner, MemberList: [{ Member_Account: a }, { Member_Account: b }],
  })
  const [dOwner, dA, dB, dOut] = await Promise.all([owner, a, b, outsider].map((u) =>
    GroupMember.login(server.wsUrl, server.app.sdkAppId, u, server.userSig(u))))
  t.teardown(() => [dOwner, dA, dB, dOut].forEach((d) => d.close()))
  const ok = async (d: GroupMember, op: string, fields: Record<string, unknown>) => {
    const r = await d.request(op, fields)
    if (r.ok !== true) throw new Error(`${op}: ${JSON.stringify(r)}`)
    return r.data
  }
  const unread = async (d: GroupMember) => {
    const { groups } = await ok(d, 'groupJoined', { withUnread: true })
    return groups.find((g: { groupId: string }) => g.groupId === groupId).unread as number
  }
  const before = (await ok(dA, 'groupRead', { groupId })).lastSeq as number
  for (const s of ['1', '2', '3']) await ok(dOwner, 'groupSend', { groupId, body: text(s) })
  t.equal(await unread(dA), 3, 'a has the three messages unread')
  t.equal(await unread(dOwner), 0, "the sender's own messages are not unread")
  t.match(await ok(dA, 'groupRead', { groupId, seq: before + 2 }), { readSeq: before + 2, unread: 1 }, 'read up to the second')
  t.match(await ok(dA, 'groupRead', { groupId, seq: before + 1 }), { readSeq: before + 2, unread: 1 }, 'a position never moves back')
  t.match(await ok(dA, 'groupRead', { groupId, seq: 1e9 }), { readSeq: before + 3, unread: 0 }, 'nor past the newest message')
  await ok(dB, 'groupSend', { groupId, body: text('from b') })
  t.equal(await unread(dA), 1)
  t.equal(await unread(dB), 0)
  t.equal(await unread(dOwner), 1)

  t.match(await rest.call(G('set_unread_msg_num'), { GroupId: groupId, Member_Account: b, UnreadMsgNum: 2 }), { ErrorCode: 0 })
  t.equal(await unread(dB), 2, 'set_unread_msg_num sets the count')
  const members = await rest.ok(G('get_group_member_info'), { GroupId: groupId })
  const lastSeq = (await ok(dA, 'groupRead', { groupId })).lastSeq as number
  t.equal(members.MemberList.find((m: { Member_Account: string }) => m.Member_Account === b).MsgSeq, lastSeq - 2, 'seen as the member MsgSeq')

  const beforeJoin = lastSeq
  await rest.ok(G('add_group_member'), { GroupId: groupId, MemberList: [{ Member_Account: c }] })
  const dC = await GroupMember.login(server.wsUrl, server.app.sdkAppId, c, server.userSig(c))
  t.teardown(() => dC.close())
  const { groups } = await ok(dC, 'groupJoined', { withUnread: true })
  const mine = groups.find((g: { groupId: string }) => g.groupId === groupId)
  t.equal(mine.unread, mine.lastSeq - beforeJoin, 'a later member counts only what came after it joined (its join tip)')

  t.match(await dOut.request('groupRead', { groupId }), { ok: false, code: 10007 }, 'non-members have no read position')
  t.match(await dA.request('groupRead', { groupId: 'no-such-group' }), { ok: false, code: 10010 })
  t.match(await dA.request('groupRead', { groupId, seq: -1 }), { ok: false, code: 10004 })
  t.match(await rest.call(G('set_unread_msg_num'), { GroupId: groupId, Member_Account: outsider, UnreadMsgNum: 1 }), { ErrorCode: 10007 })
  t.match(await rest.call(G('set_unread_msg_num'), { GroupId: groupId, Member_Account: b, UnreadMsgNum: 'x' }), { ErrorCode: 10004 })
  const after = await rest.ok(G('get_group_member_info'), { GroupId: groupId })
  t.equal(after.MemberList.find((m: { Member_Account: string }) => m.Member_Account === b).MsgSeq, lastSeq - 2, 'the refused calls changed nothing')
  t.equal(await unread(dB), 2 + (mine.lastSeq - beforeJoin), "b's count grew only by c's join tip")
})
