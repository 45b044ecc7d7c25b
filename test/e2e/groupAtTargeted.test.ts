/**
 * @mentions and targeted group messages against a real node (two worker threads, binary and
 * JSON sockets). Mentions are stored and pushed with the message (non-members dropped); a
 * targeted message (seq 0, not stored) reaches only the sockets of its targets and of its
 * sender — not other members, not a guest of the room — whichever thread they are on.
 * Bad input over the socket and REST gets its code.
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

async function ok(m: GroupMember, fields: Record<string, unknown>) {
  const r = await m.request('groupSend', fields)
  if (r.ok !== true) throw new Error(`groupSend: ${JSON.stringify(r)}`)
  return r.data
}

async function code(m: GroupMember, fields: Record<string, unknown>): Promise<number> {
  const r = await m.request('groupSend', fields)
  return r.ok === true ? 0 : r.code
}

const texts = (d: GroupMember, groupId: string) => d.messages(groupId).map((m) => m.body[0].MsgContent.Text)

t.test('mentions: members and @ALL are kept, pushed and stored; over REST as GroupAtInfo', async (t) => {
  const [owner, a, b] = await rest.newUsers(3)
  const groupId = await rest.createGroup('Public', owner, [a, b])
  const dB = await login(b)
  t.teardown(() => dB.close())
  const dA = await login(a)
  t.teardown(() => dA.close())
  await ok(dA, { groupId, body: textBody('hey'), atAccounts: [b, 'not_a_member', '@ALL'] })
  await dB.until(() => dB.messages(groupId).length === 1)
  t.same(dB.messages(groupId)[0].atAccounts, [b, '@ALL'], 'b sees itself and @ALL mentioned')
  await rest.ok(G('send_group_msg'), {
    GroupId: groupId, Random: 9, MsgBody: textBody('all hands'), GroupAtInfo: [{ GroupAtAllFlag: 1 }, { GroupAtAllFlag: 0, GroupAt_Account: a }],
  })
  await dB.until(() => dB.messages(groupId).length === 2)
  t.same(dB.messages(groupId)[1].atAccounts, ['@ALL', a])
  const simple = await rest.ok(G('group_msg_get_simple'), { GroupId: groupId, ReqMsgNumber: 2 })
  t.same(simple.RspMsgList.map((m: Record<string, unknown>) => m.GroupAtInfo), [
    [{ GroupAtAllFlag: 1, GroupAt_Account: '@ALL' }, { GroupAtAllFlag: 0, GroupAt_Account: a }],
    [{ GroupAtAllFlag: 0, GroupAt_Account: b }, { GroupAtAllFlag: 1, GroupAt_Account: '@ALL' }],
  ], 'stored with each message')

  const badAt: [unknown, number][] = [
    ['a', 10004], [[{ GroupAt_Account: 'has space' }], 10004], [[{}], 10004], [[{ GroupAtAllFlag: 2 }], 10004], [['x'], 10004],
  ]
  for (const [GroupAtInfo, want] of badAt) {
    const r = await rest.call(G('send_group_msg'), { GroupId: groupId, Random: 10, MsgBody: textBody('x'), GroupAtInfo })
    t.equal(r.ErrorCode, want, `GroupAtInfo ${JSON.stringify(GroupAtInfo)}`)
  }
  t.equal(await code(dA, { groupId, body: textBody('x'), atAccounts: ['not a user'] }), 10004, 'socket: a malformed mention')
})

t.test('a targeted message reaches only its targets and the sender, binary and JSON sockets alike; nothing stored', async (t) => {
  const [owner, a, b, c] = await rest.newUsers(4)
  const groupId = await rest.createGroup('Public', owner, [a, b, c])
  const devices = [
    await login(owner), await login(a), await login(a, { platform: 'Android', json: true }),
    await login(b), await login(b, { platform: 'iOS', json: true }), await login(c),
  ]
  t.teardown(() => devices.forEach((d) => d.close()))
  const [dOwner, dA1, dA2, dB1, dB2, dC] = devices
  const r = await ok(dA1, { groupId, body: textBody('for b'), toAccounts: [b, 'not_a_member'] })
  t.same(r, { seq: 0, time: r.time, duplicate: false }, 'seq 0: not stored')
  await ok(dOwner, { groupId, body: textBody('for all') })
  for (const d of [dA1, dA2, dB1, dB2]) {
    await d.until(() => d.messages(groupId).length === 2)
    t.same(texts(d, groupId), ['for b', 'for all'], `${d.userId}: the targeted message, then the ordinary one`)
  }
  t.match(dB2.events.find((e) => e.type === 'groupMsg' && e.msg.seq === 0), { to: [b], msg: { from: a, seq: 0 } }, 'it names its targets')
  for (const d of [dOwner, dC]) {
    await d.until(() => d.messages(groupId).length >= 1)
    t.same(texts(d, groupId), ['for all'], `${d.userId}: not a target, got only the ordinary message`)
  }
  t.same((await dB1.request('groupHistory', { groupId })).data.messages.map((m: { seq: number }) => m.seq), [1], 'history holds only the ordinary one')

  await rest.ok(G('send_group_msg'), { GroupId: groupId, Random: 3, MsgBody: textBody('from the app to c'), To_Account: [c] })
  await ok(dOwner, { groupId, body: textBody('fence') })
  await dB1.until(() => texts(dB1, groupId).includes('fence'))
  await dC.until(() => texts(dC, groupId).includes('fence'))
  t.same(texts(dC, groupId), ['for all', 'from the app to c', 'fence'], 'REST To_Account reached c')
  t.notOk(texts(dB1, groupId).includes('from the app to c'), 'and not b')

  t.equal(await code(dA1, { groupId, body: textBody('x'), toAccounts: ['not_a_member'] }), 10004, 'no target is a member: 10004')
  t.equal(await code(dA1, { groupId, body: textBody('x'), toAccounts: [] }), 10005, 'an empty target list: 10005')
  const badTo: [unknown, number][] = [
    [[], 10005], [Array.from({ length: 51 }, (_, i) => `u${i}`), 10005], ['c', 10004], [[7], 10004], [['not_a_member'], 10004],
  ]
  for (const [To_Account, want] of badTo) {
    const res = await rest.call(G('send_group_msg'), { GroupId: groupId, Random: 4, MsgBody: textBody('x'), To_Account })
    t.equal(res.ErrorCode, want, `To_Account ${JSON.stringify(To_Account).slice(0, 40)}`)
  }
})

t.test('a room\'s guest does not get targeted messages', async (t) => {
  const [owner, a] = await rest.newUsers(2)
  const room = await rest.createGroup('AVChatRoom', owner, [])
  const dA = await login(a)
  const guest = await GroupMember.connect(server.wsUrl)
  t.teardown(() => { dA.close(); guest.close() })
  t.equal((await dA.request('groupApply', { groupId: room })).ok, true)
  t.equal((await guest.request('guest', { sdkAppId: server.app.sdkAppId, groupId: room })).ok, true)
  const dOwner = await login(owner)
  t.teardown(() => dOwner.close())
  await ok(dOwner, { groupId: room, body: textBody('only a'), toAccounts: [a] })
  await ok(dOwner, { groupId: room, body: textBody('everyone') })
  await dA.until(() => dA.messages(room).length === 2)
  await guest.until(() => guest.messages(room).length >= 1)
  t.same(texts(dA, room), ['only a', 'everyone'])
  t.same(texts(guest, room), ['everyone'], 'the guest got only the broadcast')
})
