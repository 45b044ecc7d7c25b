/**
 * Group management over REST (`group_open_http_svc`) against a real node: create with custom
 * and assigned ids, info with filters, members paged, profile and member edits, mutes,
 * owner change, destroy, the joined-group index — and every bad-input class answered with
 * its code while changing nothing.
 */
import t from 'tap'
import { startServer, type TestServer } from '../helpers/server.js'
import { Rest, uid } from './fixtures/rest.js'

let server: TestServer
let rest: Rest
t.before(async () => {
  server = await startServer()
  rest = new Rest(server)
})
t.teardown(() => server.stop())

const G = (cmd: string) => `group_open_http_svc/${cmd}`

const users = (n: number) => rest.newUsers(n)

async function info(groupId: string, filter?: Record<string, unknown>) {
  const r = await rest.ok(G('get_group_info'), { GroupIdList: [groupId], ...(filter ? { ResponseFilter: filter } : {}) })
  return r.GroupInfo[0]
}

t.test('create_group with a custom id, members and custom fields; get_group_info shows them', async (t) => {
  const [owner, a, b] = await users(3)
  const id = `team-${uid()}`
  const r = await rest.call(G('create_group'), {
    Type: 'Public', GroupId: id, Name: 'Team', Owner_Account: owner, Introduction: 'intro', Notification: 'note',
    FaceUrl: 'https://x/y.png', MaxMemberCount: 50, ApplyJoinOption: 'NeedPermission',
    AppDefinedData: [{ Key: 'Level', Value: '3' }],
    MemberList: [{ Member_Account: a, Role: 'Admin' }, { Member_Account: b, AppMemberDefinedData: [{ Key: 'Color', Value: 'red' }] }],
  })
  t.match(r, { ActionStatus: 'OK', ErrorCode: 0, GroupId: id })
  const g = await info(id)
  t.match(g, {
    GroupId: id, ErrorCode: 0, Type: 'Public', Name: 'Team', Owner_Account: owner, Introduction: 'intro', Notification: 'note',
    FaceUrl: 'https://x/y.png', MemberNum: 3, MaxMemberNum: 50, ApplyJoinOption: 'NeedPermission', NextMsgSeq: 1,
    MuteAllMember: 'Off', AppDefinedData: [{ Key: 'Level', Value: '3' }],
  })
  t.same(g.MemberList.map((m: { Member_Account: string; Role: string }) => [m.Member_Account, m.Role]),
    [[owner, 'Owner'], [a, 'Admin'], [b, 'Member']])
  t.same(g.MemberList[2].AppMemberDefinedData, [{ Key: 'Color', Value: 'red' }])

  const filtered = await info(id, { GroupBaseInfoFilter: ['Name', 'MemberNum'], AppDefinedDataFilter_Group: ['Level'] })
  t.same(Object.keys(filtered).sort(), ['AppDefinedData', 'ErrorCode', 'ErrorInfo', 'GroupId', 'MemberNum', 'Name'])
  const withMembers = await info(id, { GroupBaseInfoFilter: ['Type'], MemberInfoFilter: ['Role'] })
  t.same(withMembers.MemberList[0], { Member_Account: owner, Role: 'Owner' })

  const again = await rest.call(G('create_group'), { Type: 'Public', GroupId: id, Name: 'x', Owner_Account: owner })
  t.equal(again.ErrorCode, 10025, 'the same owner taking the id again: 10025')
  const other = await rest.call(G('create_group'), { Type: 'Public', GroupId: id, Name: 'x', Owner_Account: a })
  t.equal(other.ErrorCode, 10021, 'another owner: 10021')
})

t.test('assigned ids start @TGS# (Community @TGS#_); custom id rules per type', async (t) => {
  const [owner] = await users(1)
  const pub = await rest.ok(G('create_group'), { Type: 'Private', Name: 'w', Owner_Account: owner })
  t.match(pub.GroupId, /^@TGS#[A-Z2-7]{10}$/)
  const com = await rest.ok(G('create_group'), { Type: 'Community', Name: 'c', Owner_Account: owner })
  t.match(com.GroupId, /^@TGS#_[A-Z2-7]{10}$/)
  for (const [Type, GroupId] of [['Public', '@TGS#mine'], ['Community', 'no-prefix'], ['Public', 'x'.repeat(48)], ['Public', 'tab\there']]) {
    const r = await rest.call(G('create_group'), { Type, GroupId, Name: 'n', Owner_Account: owner })
    t.equal(r.ErrorCode, 10015, `${Type} ${JSON.stringify(GroupId)}: 10015`)
  }
  const ok = await rest.call(G('create_group'), { Type: 'Community', GroupId: `@TGS#_${uid()}`, Name: 'n', Owner_Account: owner })
  t.equal(ok.ErrorCode, 0, 'a Community custom id with the prefix')
})

t.test('create_group bad input: each field gets its code and nothing is created', async (t) => {
  const [owner] = await users(1)
  const base = { Type: 'Public', Name: 'n', Owner_Account: owner }
  const cases: [string, Record<string, unknown>, number][] = [
    ['unknown Type', { Type: 'Huge' }, 10004],
    ['missing Name', { Name: undefined }, 10004],
    ['Name over 30 bytes', { Name: 'n'.repeat(31) }, 10004],
    ['Introduction over 240 bytes', { Introduction: 'i'.repeat(241) }, 10004],
    ['Notification over 300 bytes', { Notification: 'i'.repeat(301) }, 10004],
    ['FaceUrl over 100 bytes', { FaceUrl: 'f'.repeat(101) }, 10004],
    ['bad ApplyJoinOption', { ApplyJoinOption: 'Sometimes' }, 10004],
    ['MaxMemberCount above the type cap', { MaxMemberCount: 6001 }, 10004],
    ['AppDefinedData bad key', { AppDefinedData: [{ Key: 'bad key', Value: 'v' }] }, 10004],
    ['AppDefinedData value over 512 bytes', { AppDefinedData: [{ Key: 'k', Value: 'v'.repeat(513) }] }, 10004],
    ['accounts are checked before roles', { Type: 'Private', MemberList: [{ Member_Account: owner, Role: 'Admin' }, { Member_Account: `nobody${uid()}`, Role: 'Admin' }] }, 10019],
    ['a member that is not imported', { MemberList: [{ Member_Account: `ghost${uid()}` }] }, 10019],
    ['more than 100 initial members', { MemberList: Array.from({ length: 101 }, (_, i) => ({ Member_Account: `m${i}` })) }, 10005],
    ['Private with an application option', { Type: 'Private', ApplyJoinOption: 'FreeAccess' }, 10004],
  ]
  for (const [what, over, code] of cases) {
    const id = `bad-${uid()}`
    const r = await rest.call(G('create_group'), { ...base, GroupId: id, ...over })
    t.equal(r.ErrorCode, code, what)
    t.equal((await info(id)).ErrorCode, 10010, `${what}: nothing created`)
  }
  const [a] = await users(1)
  const id = `bad-${uid()}`
  const r = await rest.call(G('create_group'), { ...base, Type: 'Private', GroupId: id, MemberList: [{ Member_Account: a, Role: 'Admin' }] })
  t.equal(r.ErrorCode, 10004, 'Admin role in a Private group')
  t.equal((await info(id)).ErrorCode, 10010)
  const full = await rest.call(G('create_group'), { ...base, GroupId: id, MaxMemberCount: 1, MemberList: [{ Member_Account: a }] })
  t.equal(full.ErrorCode, 10014, 'more initial members than MaxMemberCount')
})

t.test('members: paged, role filter; add (results 1/2/0), delete, roles, joined list', async (t) => {
  const [owner, a, b, c] = await users(4)
  const { GroupId: id } = await rest.ok(G('create_group'), { Type: 'Public', Name: 'm', Owner_Account: owner, MemberList: [{ Member_Account: a, Role: 'Admin' }] })
  const ghost = `ghost${uid()}`
  const add = await rest.ok(G('add_group_member'), { GroupId: id, MemberList: [{ Member_Account: b }, { Member_Account: a }, { Member_Account: ghost }, { Member_Account: c }] })
  t.same(add.MemberList, [
    { Member_Account: b, Result: 1 }, { Member_Account: a, Result: 2 }, { Member_Account: ghost, Result: 0 }, { Member_Account: c, Result: 1 },
  ])
  const page1 = await rest.ok(G('get_group_member_info'), { GroupId: id, Limit: 2, Offset: 0 })
  const page2 = await rest.ok(G('get_group_member_info'), { GroupId: id, Limit: 2, Offset: 2 })
  t.equal(page1.MemberNum, 4)
  t.same([...page1.MemberList, ...page2.MemberList].map((m: { Member_Account: string }) => m.Member_Account), [owner, a, b, c])
  const admins = await rest.ok(G('get_group_member_info'), { GroupId: id, MemberRoleFilter: ['Admin'], MemberInfoFilter: ['Role'] })
  t.same(admins.MemberList, [{ Member_Account: a, Role: 'Admin' }])

  const roles = await rest.ok(G('get_role_in_group'), { GroupId: id, User_Account: [owner, a, b, ghost] })
  t.same(roles.UserIdList.map((x: { Role: string }) => x.Role), ['Owner', 'Admin', 'Member', 'NotMember'])

  const joined = await rest.ok(G('get_joined_group_list'), { Member_Account: b })
  t.same(joined, { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', TotalCount: 1, GroupIdList: [{ GroupId: id }] })
  await rest.ok(G('delete_group_member'), { GroupId: id, MemberToDel_Account: [b] })
  t.equal((await rest.ok(G('get_joined_group_list'), { Member_Account: b })).TotalCount, 0, 'the index follows removal')
  t.same((await rest.ok(G('get_role_in_group'), { GroupId: id, User_Account: [b] })).UserIdList[0].Role, 'NotMember')

  const bad = await rest.call(G('get_group_member_info'), { GroupId: id, Limit: 6001 })
  t.equal(bad.ErrorCode, 10004)
  t.equal((await rest.call(G('add_group_member'), { GroupId: `nope${uid()}`, MemberList: [{ Member_Account: c }] })).ErrorCode, 10010)
  t.equal((await rest.call(G('add_group_member'), { GroupId: id, MemberList: [] })).ErrorCode, 10005)
  const odd = await rest.ok(G('add_group_member'), { GroupId: id, MemberList: [{ Member_Account: 'nul\u0000id' }, { Member_Account: 'x'.repeat(33) }] })
  t.same(odd.MemberList.map((x: { Result: number }) => x.Result), [0, 0], 'strings that are not UserIDs fail per item')
  const mixed = await rest.ok(G('get_group_info'), { GroupIdList: [id, 'bad\u0000id', `none${uid()}`] })
  t.same(mixed.GroupInfo.map((g: { ErrorCode: number }) => g.ErrorCode), [0, 10015, 10010], 'each group answers for itself')
})

t.test('get_joined_group_list: type filter, AVChatRoom only WithHugeGroups, base info and SelfInfo', async (t) => {
  const [owner, u] = await users(2)
  const ids: Record<string, string> = {}
  for (const Type of ['Private', 'Public', 'AVChatRoom']) {
    ids[Type] = (await rest.ok(G('create_group'), { Type, Name: Type, Owner_Account: owner, MemberList: Type === 'AVChatRoom' ? [] : [{ Member_Account: u }] })).GroupId
  }
  await rest.ok(G('create_group'), { Type: 'ChatRoom', Name: 'not mine', Owner_Account: u })
  const all = await rest.ok(G('get_joined_group_list'), { Member_Account: owner })
  t.equal(all.TotalCount, 2, 'AVChatRoom excluded by default')
  const huge = await rest.ok(G('get_joined_group_list'), { Member_Account: owner, WithHugeGroups: 1 })
  t.equal(huge.TotalCount, 3)
  const pub = await rest.ok(G('get_joined_group_list'), {
    Member_Account: u, GroupType: 'Public', ResponseFilter: { GroupBaseInfoFilter: ['Type', 'Name'], SelfInfoFilter: ['Role'] },
  })
  t.match(pub.GroupIdList, [{ GroupId: ids.Public, Type: 'Public', Name: 'Public', SelfInfo: { Role: 'Member', JoinTime: Number } }])
  t.equal((await rest.call(G('get_joined_group_list'), { Member_Account: `ghost${uid()}` })).ErrorCode, 10019)
  t.equal((await rest.call(G('get_joined_group_list'), { Member_Account: owner, GroupType: 'Big' })).ErrorCode, 10004)
})

t.test('modify_group_base_info, modify_group_member_info, change_group_owner, destroy_group', async (t) => {
  const [owner, a, b] = await users(3)
  const { GroupId: id } = await rest.ok(G('create_group'), {
    Type: 'Public', Name: 'm', Owner_Account: owner, MemberList: [{ Member_Account: a }, { Member_Account: b }],
  })
  await rest.ok(G('modify_group_base_info'), {
    GroupId: id, Name: 'renamed', MuteAllMember: 'On', AppDefinedData: [{ Key: 'k', Value: 'v' }], MaxMemberNum: 10,
  })
  t.match(await info(id), { Name: 'renamed', MuteAllMember: 'On', InfoSeq: 2, MaxMemberNum: 10, AppDefinedData: [{ Key: 'k', Value: 'v' }] })
  t.equal((await rest.call(G('modify_group_base_info'), { GroupId: id, MaxMemberNum: 2 })).ErrorCode, 10004, 'cap below the member count')
  t.equal((await rest.call(G('modify_group_base_info'), { GroupId: id, Name: 'x'.repeat(31) })).ErrorCode, 10004)
  t.equal((await info(id)).Name, 'renamed', 'unchanged after bad input')

  await rest.ok(G('modify_group_member_info'), { GroupId: id, Member_Account: a, Role: 'Admin', NameCard: 'Alice', MsgFlag: 'AcceptNotNotify' })
  const m = await rest.ok(G('get_group_member_info'), { GroupId: id, MemberInfoFilter: ['Role', 'NameCard', 'MsgFlag'] })
  t.same(m.MemberList[1], { Member_Account: a, Role: 'Admin', NameCard: 'Alice', MsgFlag: 'AcceptNotNotify' })
  t.equal((await rest.call(G('modify_group_member_info'), { GroupId: id, Member_Account: owner, Role: 'Member' })).ErrorCode, 10007, 'the owner\'s role is not set here')
  t.equal((await rest.call(G('modify_group_member_info'), { GroupId: id, Member_Account: `x${uid()}`, NameCard: 'n' })).ErrorCode, 10007, 'not a member')
  t.equal((await rest.call(G('modify_group_member_info'), { GroupId: id, Member_Account: a, Role: 'Owner' })).ErrorCode, 10004)

  t.equal((await rest.call(G('change_group_owner'), { GroupId: id, NewOwner_Account: `x${uid()}` })).ErrorCode, 10004, 'new owner must be a member')
  await rest.ok(G('change_group_owner'), { GroupId: id, NewOwner_Account: b })
  const roles = await rest.ok(G('get_role_in_group'), { GroupId: id, User_Account: [owner, b] })
  t.same(roles.UserIdList.map((x: { Role: string }) => x.Role), ['Member', 'Owner'])
  t.equal((await info(id)).Owner_Account, b)

  await rest.ok(G('destroy_group'), { GroupId: id })
  t.equal((await info(id)).ErrorCode, 10010)
  t.equal((await rest.call(G('destroy_group'), { GroupId: id })).ErrorCode, 10010)
  t.equal((await rest.ok(G('get_joined_group_list'), { Member_Account: a })).TotalCount, 0, 'destroy clears the index')
})

t.test('forbid_send_msg and get_group_muted_account; mute survives leave and re-join', async (t) => {
  const [owner, a, b] = await users(3)
  const { GroupId: id } = await rest.ok(G('create_group'), {
    Type: 'Public', Name: 'mute', Owner_Account: owner, MemberList: [{ Member_Account: a }, { Member_Account: b }],
  })
  const before = Math.floor(Date.now() / 1000)
  await rest.ok(G('forbid_send_msg'), { GroupId: id, Members_Account: [a], MuteTime: 3600 })
  await rest.ok(G('forbid_send_msg'), { GroupId: id, Members_Account: [b], ShutUpTime: 4294967295 })
  const muted = await rest.ok(G('get_group_muted_account'), { GroupId: id })
  const byAccount = Object.fromEntries(muted.MutedAccountList.map((x: { Member_Account: string; MutedUntil: number }) => [x.Member_Account, x.MutedUntil]))
  t.ok(byAccount[a] >= before + 3600 && byAccount[a] <= before + 3602, 'MutedUntil is now + MuteTime')
  t.equal(byAccount[b], 4294967295, 'forever')
  await rest.ok(G('delete_group_member'), { GroupId: id, MemberToDel_Account: [a] })
  await rest.ok(G('add_group_member'), { GroupId: id, MemberList: [{ Member_Account: a }] })
  const after = await rest.ok(G('get_group_member_info'), { GroupId: id, MemberInfoFilter: ['MuteUntil'] })
  t.equal(after.MemberList.find((x: { Member_Account: string }) => x.Member_Account === a).MuteUntil, byAccount[a], 'still muted after re-join')
  await rest.ok(G('forbid_send_msg'), { GroupId: id, Members_Account: [b], MuteTime: 0 })
  const left = await rest.ok(G('get_group_muted_account'), { GroupId: id })
  t.same(left.MutedAccountList.map((x: { Member_Account: string }) => x.Member_Account), [a], 'MuteTime 0 unmutes')
  t.equal((await rest.call(G('forbid_send_msg'), { GroupId: id, Members_Account: [`x${uid()}`], MuteTime: 60 })).ErrorCode, 10007)
  t.equal((await rest.call(G('forbid_send_msg'), { GroupId: id, Members_Account: [a] })).ErrorCode, 10004, 'MuteTime required')
  t.equal((await rest.call(G('forbid_send_msg'), { GroupId: id, Members_Account: Array.from({ length: 501 }, (_, i) => `m${i}`), MuteTime: 1 })).ErrorCode, 10005)
})
