/**
 * Groups end to end over the socket protocol against a real node (worker threads, uWS,
 * LMDB): the apply/approve flow with its system notices, the permission rules of every
 * group type, group messages (server seq, Random dedupe, mutes, BChatRoom, history before
 * join, AVChatRoom without history), and state and seqs surviving a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { startServer, type TestServer } from '../helpers/server.js'
import { Device, type Reply, Rest, textBody, uid } from '../rest/fixtures/rest.js'

let server: TestServer
let rest: Rest
t.before(async () => {
  server = await startServer()
  rest = new Rest(server)
})
t.teardown(() => server.stop())

const G = (cmd: string) => `group_open_http_svc/${cmd}`

const users = (n: number) => rest.newUsers(n)

async function devices(t: Test, ids: string[]): Promise<Device[]> {
  const list = await Promise.all(ids.map((id) => Device.login(server, id)))
  t.teardown(() => Promise.all(list.map((d) => d.close())))
  return list
}

/** The next system notice of `type` for `groupId` on `d`, decoded. */
async function notice(d: Device, groupId: string, type: number): Promise<Reply> {
  const f = await d.next((x) => x.op === 'ev' && x.ev.type === 'msg' && x.ev.msg.from === '@TIM#SYSTEM' &&
    JSON.parse(x.ev.msg.body[0].MsgContent.Data).GroupId === groupId && JSON.parse(x.ev.msg.body[0].MsgContent.Data).NoticeType === type)
  return JSON.parse(f.ev.msg.body[0].MsgContent.Data)
}

async function ok(d: Device, op: string, fields: Record<string, unknown>): Promise<Reply> {
  const r = await d.request(op, fields)
  if (!r.ok) throw new Error(`${op} failed: ${r.code} ${r.message}`)
  return r.data
}

async function code(d: Device, op: string, fields: Record<string, unknown>): Promise<number> {
  const r = await d.request(op, fields)
  return r.ok ? 0 : r.code
}

async function create(type: string, owner: string, members: { Member_Account: string; Role?: string }[], extra: Record<string, unknown> = {}): Promise<string> {
  return (await rest.ok(G('create_group'), { Type: type, Name: type, Owner_Account: owner, MemberList: members, ...extra })).GroupId
}

async function role(groupId: string, user: string): Promise<string> {
  return (await rest.ok(G('get_role_in_group'), { GroupId: groupId, User_Account: [user] })).UserIdList[0].Role
}

t.test('apply/approve: the request reaches owner and admins; the applicant is told either way', async (t) => {
  const [owner, admin, member, u, v] = await users(5)
  const [dOwner, dAdmin, dMember, dU, dV] = await devices(t, [owner, admin, member, u, v])
  const id = await create('Public', owner, [{ Member_Account: admin, Role: 'Admin' }, { Member_Account: member }])

  t.same(await ok(dU, 'groupApply', { groupId: id, message: 'let me in' }), { result: 'pending' })
  for (const d of [dOwner, dAdmin]) t.match(await notice(d, id, 1), { GroupId: id, NoticeType: 1, accounts: [u], message: 'let me in' })
  t.equal(await role(id, u), 'NotMember', 'not a member while pending')
  t.equal(await code(dU, 'groupHistory', { groupId: id }), 10007, 'a non-member reads no history')
  t.equal(await code(dMember, 'groupRequests', { groupId: id }), 10007, 'members do not see requests')
  t.equal(await code(dMember, 'groupHandleApply', { groupId: id, applicant: u, accept: true }), 10007, 'members do not approve')
  t.match((await ok(dAdmin, 'groupRequests', { groupId: id })).requests, [{ account: u, message: 'let me in' }])

  await ok(dAdmin, 'groupHandleApply', { groupId: id, applicant: u, accept: true })
  t.match(await notice(dU, id, 2), { NoticeType: 2, by: admin })
  t.equal(await role(id, u), 'Member')
  t.equal(await code(dOwner, 'groupHandleApply', { groupId: id, applicant: u, accept: true }), 10024, 'already handled')
  t.equal(await code(dU, 'groupApply', { groupId: id }), 10013, 'already a member')

  await ok(dV, 'groupApply', { groupId: id })
  await ok(dOwner, 'groupHandleApply', { groupId: id, applicant: v, accept: false })
  t.match(await notice(dV, id, 3), { NoticeType: 3, by: owner })
  t.equal(await role(id, v), 'NotMember', 'refused')
  t.same((await ok(dOwner, 'groupRequests', { groupId: id })).requests, [])
  t.same((await ok(dU, 'groupJoined', {})).groups.map((g: Reply) => g.groupId), [id], 'the applicant\'s joined list')
})

t.test('apply by type: free join, no applications, full groups, unknown groups', async (t) => {
  const [owner, u] = await users(2)
  const [dU] = await devices(t, [u])
  const chat = await create('ChatRoom', owner, [])
  t.same(await ok(dU, 'groupApply', { groupId: chat }), { result: 'joined' }, 'ChatRoom: free join')
  const comm = await create('Community', owner, [])
  t.same(await ok(dU, 'groupApply', { groupId: comm }), { result: 'joined' }, 'Community: free join')
  const av = await create('AVChatRoom', owner, [])
  t.same(await ok(dU, 'groupApply', { groupId: av }), { result: 'joined' }, 'AVChatRoom: free join')
  const work = await create('Private', owner, [])
  t.equal(await code(dU, 'groupApply', { groupId: work }), 10007, 'Private: no applications')
  const closed = await create('Public', owner, [], { ApplyJoinOption: 'DisableApply' })
  t.equal(await code(dU, 'groupApply', { groupId: closed }), 10007, 'DisableApply')
  const full = await create('ChatRoom', owner, [], { MaxMemberCount: 1 })
  t.equal(await code(dU, 'groupApply', { groupId: full }), 10014, 'full')
  t.equal(await role(full, u), 'NotMember')
  t.equal(await code(dU, 'groupApply', { groupId: `none-${uid()}` }), 10010, 'unknown group')
})

t.test('the rules per type, through the socket as owner, admin and member', async (t) => {
  // type          member edits admin edits member kicks admin kicks owner quits member invites
  const table: [string, number, number, number, number, number, number][] = [
    ['Private', 0, 0, 10007, 10007, 0, 1],
    ['Public', 10007, 0, 10007, 0, 10009, 1],
    ['ChatRoom', 10007, 0, 10007, 0, 10009, 1],
    ['Community', 10007, 0, 10007, 0, 10009, 1],
    ['AVChatRoom', 10007, 10007, 10007, 10007, 10009, 10007],
    ['BChatRoom', 10007, 10007, 10007, 10007, 10009, 10007],
  ]
  for (const [type, memberEdits, adminEdits, memberKicks, adminKicks, ownerQuits, memberInvites] of table) {
    const [owner, admin, member, victim, guest] = await users(5)
    const [dOwner, dAdmin, dMember] = await devices(t, [owner, admin, member])
    const hasAdmins = ['Public', 'ChatRoom', 'Community'].includes(type)
    const live = type === 'AVChatRoom' || type === 'BChatRoom'
    const id = await create(type, owner, live ? [] : [
      { Member_Account: admin, ...(hasAdmins ? { Role: 'Admin' } : {}) }, { Member_Account: member }, { Member_Account: victim },
    ])
    if (live) for (const d of [dAdmin, dMember]) await ok(d, 'groupApply', { groupId: id })
    t.equal(await code(dMember, 'groupModify', { groupId: id, name: 'by member' }), memberEdits, `${type}: member edits profile`)
    t.equal(await code(dAdmin, 'groupModify', { groupId: id, name: 'by admin' }), adminEdits, `${type}: ${hasAdmins ? 'admin' : 'member'} edits profile`)
    t.equal(await code(dOwner, 'groupModify', { groupId: id, notification: 'by owner' }), 0, `${type}: owner edits profile`)
    if (!live) {
      t.equal(await code(dMember, 'groupKick', { groupId: id, members: [victim] }), memberKicks, `${type}: member kicks`)
      t.equal(await code(dAdmin, 'groupKick', { groupId: id, members: [victim] }), adminKicks, `${type}: admin kicks`)
      t.equal(await role(id, victim), adminKicks === 0 ? 'NotMember' : 'Member')
      t.equal(await code(dMember, 'groupInvite', { groupId: id, members: [guest] }), memberInvites === 1 ? 0 : memberInvites)
      t.equal(await role(id, guest), memberInvites === 1 ? 'Member' : 'NotMember', `${type}: member invites`)
    } else {
      t.equal(await code(dOwner, 'groupKick', { groupId: id, members: [member] }), 10007, `${type}: nobody kicks`)
      t.equal(await code(dOwner, 'groupInvite', { groupId: id, members: [guest] }), 10007, `${type}: nobody invites`)
    }
    t.equal(await code(dOwner, 'groupQuit', { groupId: id }), ownerQuits, `${type}: owner quits`)
    if (ownerQuits === 0) t.equal((await ok(dMember, 'groupInfo', { groupId: id })).group.owner, '', `${type}: ownerless`)
    t.equal(await code(dMember, 'groupQuit', { groupId: id }), 0, `${type}: members may quit`)
    t.equal(await code(dMember, 'groupQuit', { groupId: id }), 10007, `${type}: not a member any more`)
  }
})

t.test('invite with NeedPermission: a member\'s invitation awaits an admin; owners add directly', async (t) => {
  const [owner, member, x, y] = await users(4)
  const [dOwner, dMember, dX] = await devices(t, [owner, member, x])
  const id = await create('Public', owner, [{ Member_Account: member }], { InviteJoinOption: 'NeedPermission' })
  t.same((await ok(dMember, 'groupInvite', { groupId: id, members: [x] })).results, [{ account: x, result: 3 }])
  t.match(await notice(dOwner, id, 1), { accounts: [x], by: member })
  await ok(dOwner, 'groupHandleApply', { groupId: id, applicant: x, accept: true })
  await notice(dX, id, 2)
  t.same((await ok(dOwner, 'groupInvite', { groupId: id, members: [y, x] })).results, [{ account: y, result: 1 }, { account: x, result: 2 }])
})

t.test('roles, mute and owner change through the socket', async (t) => {
  const [owner, a, b] = await users(3)
  const [dOwner, dA, dB] = await devices(t, [owner, a, b])
  const id = await create('Public', owner, [{ Member_Account: a }, { Member_Account: b }])
  t.equal(await code(dA, 'groupSetMember', { groupId: id, member: b, role: 'Admin' }), 10007, 'members appoint nobody')
  await ok(dOwner, 'groupSetMember', { groupId: id, member: a, role: 'Admin' })
  t.match(await notice(dA, id, 9), { NoticeType: 9 })
  await ok(dA, 'groupSetMember', { groupId: id, member: b, nameCard: 'Bee' })
  t.equal(await code(dB, 'groupSetMember', { groupId: id, member: a, nameCard: 'x' }), 10007, 'a member edits only itself')
  await ok(dB, 'groupSetMember', { groupId: id, member: b, msgFlag: 'Discard' })
  t.equal(await code(dA, 'groupSetMember', { groupId: id, member: b, msgFlag: 'Discard' }), 10007, 'MsgFlag is the member\'s own')
  t.equal(await code(dB, 'groupMute', { groupId: id, members: [a], muteTime: 60 }), 10007, 'members mute nobody')
  t.equal(await code(dA, 'groupMute', { groupId: id, members: [owner], muteTime: 60 }), 10007, 'admins do not mute the owner')
  await ok(dA, 'groupMute', { groupId: id, members: [b], muteTime: 60 })
  t.equal(await code(dB, 'groupSend', { groupId: id, body: textBody('hi') }), 10017, 'muted')
  await ok(dOwner, 'groupSetMember', { groupId: id, member: a, role: 'Member' })
  t.match(await notice(dA, id, 10), { NoticeType: 10 })
  t.equal(await code(dA, 'groupChangeOwner', { groupId: id, newOwner: a }), 10007)
  await ok(dOwner, 'groupChangeOwner', { groupId: id, newOwner: a })
  t.equal((await ok(dB, 'groupInfo', { groupId: id })).group.owner, a)
  t.equal(await code(dOwner, 'groupDestroy', { groupId: id }), 10007, 'the former owner cannot destroy')
  await ok(dA, 'groupDestroy', { groupId: id })
  t.match(await notice(dB, id, 5), { NoticeType: 5 })
  t.equal(await code(dB, 'groupInfo', { groupId: id }), 10010)
})

t.test('group messages: server seq, Random dedupe, mute-all, history before join', async (t) => {
  const [owner, admin, a, late] = await users(4)
  const [dOwner, dAdmin, dA, dLate] = await devices(t, [owner, admin, a, late])
  const id = await create('Public', owner, [{ Member_Account: admin, Role: 'Admin' }, { Member_Account: a }])
  const s1 = await ok(dA, 'groupSend', { groupId: id, body: textBody('one'), random: 11 })
  const s2 = await ok(dOwner, 'groupSend', { groupId: id, body: textBody('two'), random: 11 })
  t.match([s1, s2], [{ seq: 1, duplicate: false }, { seq: 2, duplicate: false }], 'the same Random from another sender is not a duplicate')
  t.same(await ok(dA, 'groupSend', { groupId: id, body: textBody('one'), random: 11 }), { ...s1, duplicate: true }, 'a repeat within 5 minutes')
  const rest1 = await rest.ok(G('send_group_msg'), { GroupId: id, Random: 5, MsgBody: textBody('from the app') })
  t.equal(rest1.MsgSeq, 3)
  t.equal((await ok(dA, 'groupInfo', { groupId: id })).nextMsgSeq, 4)

  await rest.ok(G('modify_group_base_info'), { GroupId: id, MuteAllMember: 'On' })
  t.equal(await code(dA, 'groupSend', { groupId: id, body: textBody('x') }), 10017, 'mute-all silences members')
  t.equal((await rest.call(G('send_group_msg'), { GroupId: id, From_Account: a, Random: 6, MsgBody: textBody('x') })).ErrorCode, 10017)
  t.equal((await ok(dAdmin, 'groupSend', { groupId: id, body: textBody('admin') })).seq, 5, 'admins still speak (seq 4 is the mute-all tip)')
  await rest.ok(G('modify_group_base_info'), { GroupId: id, MuteAllMember: 'Off' })

  t.equal(await code(dLate, 'groupSend', { groupId: id, body: textBody('x') }), 10007, 'non-members do not send')
  await rest.ok(G('add_group_member'), { GroupId: id, MemberList: [{ Member_Account: late }] })
  await ok(dA, 'groupSend', { groupId: id, body: textBody('after') })
  // Seq 6: the tip of mute-all Off; 7: the join tip of `late`; 8: 'after'.
  const mine = await ok(dLate, 'groupHistory', { groupId: id })
  t.same(mine.messages.map((m: Reply) => [m.seq, m.from]), [[8, a], [7, '@TIM#SYSTEM']], 'HistoryMsgBeforeJoin off: only its join tip and what followed')
  const all = await ok(dA, 'groupHistory', { groupId: id, limit: 3 })
  t.same(all.messages.map((m: Reply) => m.seq), [8, 7, 6])
  t.same((await ok(dA, 'groupHistory', { groupId: id, before: 3 })).messages.map((m: Reply) => m.seq), [2, 1])
  const simple = await rest.ok(G('group_msg_get_simple'), { GroupId: id, ReqMsgNumber: 2 })
  t.match(simple.RspMsgList, [{ MsgSeq: 8, From_Account: a, IsSystemMsg: 0 }, { MsgSeq: 7, From_Account: '@TIM#SYSTEM', IsSystemMsg: 1 }])
  t.equal(simple.IsFinished, 0)
  t.match((await rest.ok(G('group_msg_get_simple'), { GroupId: id, ReqMsgSeq: 2, ReqMsgNumber: 20 })).RspMsgList,
    [{ MsgSeq: 2, MsgRandom: 11, MsgBody: textBody('two') }, { MsgSeq: 1 }])
  t.equal((await rest.call(G('group_msg_get_simple'), { GroupId: id, ReqMsgNumber: 21 })).ErrorCode, 10004)
  t.equal((await rest.call(G('send_group_msg'), { GroupId: id, Random: 1, MsgBody: [] })).ErrorCode, 90002)

  const chat = await create('ChatRoom', owner, [{ Member_Account: a }])
  await ok(dA, 'groupSend', { groupId: chat, body: textBody('early') })
  await ok(dLate, 'groupApply', { groupId: chat })
  t.same((await ok(dLate, 'groupHistory', { groupId: chat })).messages.map((m: Reply) => m.seq), [1], 'ChatRoom shows history before join')
})

t.test('live rooms: AVChatRoom keeps no history; BChatRoom: only the App admin sends', async (t) => {
  const [owner, a] = await users(2)
  const [dOwner, dA] = await devices(t, [owner, a])
  const av = await create('AVChatRoom', owner, [])
  await ok(dA, 'groupApply', { groupId: av })
  t.match(await ok(dA, 'groupSend', { groupId: av, body: textBody('live') }), { seq: 0 })
  t.same((await ok(dOwner, 'groupHistory', { groupId: av })).messages, [], 'nothing stored')
  const b = await create('BChatRoom', owner, [])
  await ok(dA, 'groupApply', { groupId: b })
  t.equal(await code(dA, 'groupSend', { groupId: b, body: textBody('x') }), 10007)
  t.equal(await code(dOwner, 'groupSend', { groupId: b, body: textBody('x') }), 10007, 'not even the owner')
  t.equal((await rest.call(G('send_group_msg'), { GroupId: b, Random: 1, MsgBody: textBody('broadcast') })).ErrorCode, 0)
})

t.test('restart: members, profile and the message seq survive; no seq repeats', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-groups-restart-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const own = await startServer({ dataDir })
  let stopped = false
  t.teardown(() => (stopped ? undefined : own.stop()))
  const r1 = new Rest(own)
  const [owner, a] = [uid(), uid()]
  await r1.importUsers(owner, a)
  const { GroupId: id } = await r1.ok(G('create_group'), { Type: 'Public', Name: 'durable', Owner_Account: owner, MemberList: [{ Member_Account: a }] })
  for (const n of [1, 2]) t.equal((await r1.ok(G('send_group_msg'), { GroupId: id, From_Account: a, Random: n, MsgBody: textBody(`m${n}`) })).MsgSeq, n)
  await own.stop()
  stopped = true
  const again = await startServer({ apps: [own.app], dataDir })
  t.teardown(() => again.stop())
  const r2 = new Rest(again)
  const info = (await r2.ok(G('get_group_info'), { GroupIdList: [id] })).GroupInfo[0]
  t.match(info, { Name: 'durable', MemberNum: 2, NextMsgSeq: 3, Owner_Account: owner })
  t.equal((await r2.ok(G('send_group_msg'), { GroupId: id, From_Account: a, Random: 3, MsgBody: textBody('m3') })).MsgSeq, 3)
  t.same((await r2.ok(G('group_msg_get_simple'), { GroupId: id, ReqMsgNumber: 5 })).RspMsgList.map((m: Reply) => m.MsgSeq), [3, 2, 1])
  t.same((await r2.ok(G('get_joined_group_list'), { Member_Account: a })).GroupIdList, [{ GroupId: id }])
})
