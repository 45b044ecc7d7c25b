/**
 * Live group traffic over real sockets on a real node (two worker threads, uWS topics,
 * LMDB): every online device of every member gets each group message once and in order
 * (binary and JSON sockets alike); joining while online subscribes at once; leaving
 * unsubscribes before anything published after it; rooms without history push seq 0; and
 * one room with 1,000 members on real connections delivers every message to every one.
 */
import t from 'tap'
import { GroupMember } from '../helpers/groupMember.js'
import { restOk } from '../helpers/restAdmin.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { Rest, uid } from '../rest/fixtures/rest.js'

let server: TestServer
let rest: Rest
t.before(async () => {
  server = await startServer({ config: { roomCoalesceMs: 20 } })
  rest = new Rest(server)
})
t.teardown(() => server.stop())

const G = (cmd: string) => `group_open_http_svc/${cmd}`
const login = (userId: string, opts: { json?: boolean; platform?: string } = {}) => GroupMember.loginTo(server, userId, opts)

const text = (s: string) => [{ MsgType: 'TIMTextElem', MsgContent: { Text: s } }]

async function send(m: GroupMember, groupId: string, s: string): Promise<number> {
  const r = await m.request('groupSend', { groupId, body: text(s) })
  if (r.ok !== true) throw new Error(`groupSend: ${JSON.stringify(r)}`)
  return r.data.seq
}

t.test('every online device of every member gets each group message once, in order', async (t) => {
  const [owner, a, b] = await rest.newUsers(3)
  const groupId = await rest.createGroup('Public', owner, [a, b])
  const devices = [
    await login(owner), await login(a, { json: true }), await login(a, { platform: 'Android' }),
    await login(b), await login(b, { platform: 'iOS', json: true }),
  ]
  t.teardown(() => devices.forEach((d) => d.close()))
  const seqs = [await send(devices[0], groupId, 'one'), await send(devices[1], groupId, 'two'), await send(devices[3], groupId, 'three')]
  t.same(seqs, [1, 2, 3], 'server seqs 1, 2, 3')
  for (const d of devices) {
    await d.until(() => d.messages(groupId).length >= 3)
    const got = d.messages(groupId)
    t.same(got.map((m) => m.seq), [1, 2, 3], `${d.userId}: each message once, in seq order`)
    t.same(got.map((m) => m.body[0].MsgContent.Text), ['one', 'two', 'three'])
    t.same(got.map((m) => m.from), [owner, a, b], 'with its sender')
  }
})

t.test('joining while online subscribes at once; leaving unsubscribes before the next message', async (t) => {
  const [owner, u] = await rest.newUsers(2)
  const groupId = await rest.createGroup('Public', owner, [])
  const dOwner = await login(owner)
  const dU = await login(u)
  t.teardown(() => { dOwner.close(); dU.close() })
  await rest.ok(G('add_group_member'), { GroupId: groupId, MemberList: [{ Member_Account: u }] })
  // The invitation notice leaves u's session after the subscription, on the same path.
  await dU.until(() => dU.frames.some((f) => f.op === 'ev' && f.ev.msg?.from === '@TIM#SYSTEM' && f.ev.msg.body[0].MsgContent.Data.includes(groupId)))
  await send(dOwner, groupId, 'welcome')
  await dU.until(() => dU.messages(groupId).length === 1)
  t.equal(dU.messages(groupId)[0].body[0].MsgContent.Text, 'welcome', 'the new member gets the next message live')

  await rest.ok(G('delete_group_member'), { GroupId: groupId, MemberToDel_Account: [u] })
  await dU.until(() => dU.events.some((e) => e.type === 'groupLeave'))
  t.match(dU.events.find((e) => e.type === 'groupLeave'), { groupId, accounts: [u] }, 'the leaver is told, last')
  await send(dOwner, groupId, 'after the kick')
  await dOwner.until(() => dOwner.messages(groupId).length === 2)
  // A one-to-one message sent after the group message, as a fence on u's socket.
  const c2c = await dOwner.request('send', { to: u, random: 7, body: text('fence') })
  t.equal(c2c.ok, true)
  await dU.until(() => dU.frames.some((f) => f.op === 'ev' && f.ev.msg?.body[0].MsgContent.Text === 'fence'))
  t.same(dU.messages(groupId).map((m) => m.body[0].MsgContent.Text), ['welcome'], 'nothing after the kick reaches the kicked member')
})

t.test('a socket that switches frame format gets its group frames in the new one, and leaves cleanly', async (t) => {
  const [owner, u] = await rest.newUsers(2)
  const groupId = await rest.createGroup('Public', owner, [u])
  const dOwner = await login(owner)
  const dU = await login(u)
  t.teardown(() => { dOwner.close(); dU.close() })
  await send(dOwner, groupId, 'binary')
  await dU.until(() => dU.messages(groupId).length === 1)
  dU.useJson(true)
  t.equal((await dU.request('groupJoined')).ok, true, 'a request as JSON text')
  await send(dOwner, groupId, 'text')
  await dU.until(() => dU.messages(groupId).length === 2)
  t.same(dU.gevFormats, ['binary', 'text'], 'group frames follow the switch')
  await rest.ok(G('delete_group_member'), { GroupId: groupId, MemberToDel_Account: [u] })
  await dU.until(() => dU.events.some((e) => e.type === 'groupLeave'))
  await send(dOwner, groupId, 'after the kick')
  await dOwner.until(() => dOwner.messages(groupId).length === 3)
  const c2c = await dOwner.request('send', { to: u, random: 8, body: text('fence') })
  t.equal(c2c.ok, true)
  await dU.until(() => dU.frames.some((f) => f.op === 'ev' && f.ev.msg?.body[0].MsgContent.Text === 'fence'))
  t.same(dU.messages(groupId).map((m) => m.body[0].MsgContent.Text), ['binary', 'text'], 'nothing after the kick')
})

t.test('an AVChatRoom pushes seq-0 messages live and keeps none', async (t) => {
  const [owner, a] = await rest.newUsers(2)
  const groupId = await rest.createGroup('AVChatRoom', owner, [])
  const dOwner = await login(owner)
  const dA = await login(a)
  t.teardown(() => { dOwner.close(); dA.close() })
  const joined = await dA.request('groupApply', { groupId })
  t.equal(joined.ok, true, 'free join')
  // The joining socket is subscribed, and its thread's count reported, before the answer.
  t.match(await restOk(server, G('get_online_member_num'), { GroupId: groupId }), { OnlineMemberNum: 2 }, "the owner's and the joiner's connections")
  t.match(await rest.call(G('get_online_member_num'), { GroupId: 'no-such-group' }), { ErrorCode: 10010 })
  t.equal(await send(dOwner, groupId, 'live only'), 0, 'seq 0: not stored')
  await dA.until(() => dA.messages(groupId).length === 1)
  t.match(dA.messages(groupId)[0], { seq: 0, from: owner })
})

t.test('guests receive an AVChatRoom or BChatRoom without logging in, and may do nothing else', async (t) => {
  const owner = (await rest.newUsers(1))[0]
  const room = await rest.createGroup('AVChatRoom', owner, [])
  const broadcast = await rest.createGroup('BChatRoom', owner, [])
  const work = await rest.createGroup('Public', owner, [])
  const dOwner = await login(owner)
  const guest = await GroupMember.connect(server.wsUrl)
  t.teardown(() => { dOwner.close(); guest.close() })
  const code = async (fields: Record<string, unknown>) => {
    const r = await guest.request('guest', { sdkAppId: server.app.sdkAppId, ...fields })
    return r.ok === true ? 0 : r.code
  }
  t.equal(await code({ groupId: work }), 10007, 'a Public group takes no guests')
  t.equal(await code({ groupId: 'no-such-room' }), 10010, 'unknown group')
  t.equal(await code({ groupId: '' }), 10015, 'malformed GroupId')
  t.equal(await code({ groupId: room, sdkAppId: 1 }), 70020, 'unknown app')
  t.equal(await code({ groupId: room }), 0, 'guest of the AVChatRoom')
  t.equal(await code({ groupId: broadcast }), 0, 'and of the BChatRoom')
  t.equal(await send(dOwner, room, 'to the guests'), 0)
  await rest.ok(G('send_group_msg'), { GroupId: broadcast, Random: 1, MsgBody: text('from the app') })
  await guest.until(() => guest.messages(room).length === 1 && guest.messages(broadcast).length === 1)
  t.match(guest.messages(room)[0], { seq: 0, from: owner, body: [{ MsgContent: { Text: 'to the guests' } }] }, 'the guest receives the room')
  t.match(guest.messages(broadcast)[0], { body: [{ MsgContent: { Text: 'from the app' } }] }, 'and the broadcast')
  const sendAsGuest = await guest.request('groupSend', { groupId: room, body: text('hi') })
  t.match(sendAsGuest, { ok: false, code: 9001 }, 'a guest may not send')
  t.match(await guest.request('convs'), { ok: false, code: 9001 }, 'nor use any other op')
})

t.test('one room, 1,000 members on real connections: everyone gets every message', async (t) => {
  t.setTimeout(240_000)
  const owner = (await rest.newUsers(1))[0]
  const groupId = await rest.createGroup('AVChatRoom', owner, [])
  const ids = Array.from({ length: 1000 }, () => uid('m'))
  const members: GroupMember[] = []
  t.teardown(() => members.forEach((m) => m.close()))
  for (let i = 0; i < ids.length; i += 100) {
    members.push(...await Promise.all(ids.slice(i, i + 100).map((id) => login(id))))
  }
  for (let i = 0; i < members.length; i += 100) {
    const replies = await Promise.all(members.slice(i, i + 100).map((m) => m.request('groupApply', { groupId })))
    if (replies.some((r) => r.ok !== true)) t.fail(`a join failed: ${JSON.stringify(replies.find((r) => r.ok !== true))}`)
  }
  const info = await restOk(server, G('get_group_info'), { GroupIdList: [groupId] })
  t.equal(info.GroupInfo[0].MemberNum, 1001, 'owner and 1,000 members')
  const dOwner = await login(owner)
  t.teardown(() => dOwner.close())
  // Each joiner's socket is subscribed before its join is answered.
  const N = 20
  for (let i = 0; i < N; i++) await send(dOwner, groupId, `m${i}`)
  await Promise.all(members.map((m) => m.until(() => m.messages(groupId).length >= N)))
  const complete = members.filter((m) => {
    const got = m.messages(groupId).map((x) => x.body[0].MsgContent.Text)
    return got.length === N && got.every((x, i) => x === `m${i}`)
  })
  t.equal(complete.length, 1000, 'all 1,000 members got all messages, once each, in order')
})
