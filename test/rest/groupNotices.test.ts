/**
 * `send_group_system_notification` against a real node: a custom notice (type 255) reaches
 * the listed members, or every member, as a notice in their `@TIM#SYSTEM` conversation —
 * live on their devices and in their history — and bad input is refused with its code,
 * sending nothing.
 */
import t from 'tap'
import { startServer, type TestServer } from '../helpers/server.js'
import { Device, type Reply, Rest } from './fixtures/rest.js'

let server: TestServer
let rest: Rest
t.before(async () => {
  server = await startServer()
  rest = new Rest(server)
})
t.teardown(() => server.stop())

const G = (cmd: string) => `group_open_http_svc/${cmd}`
const SYSTEM = '@TIM#SYSTEM'

/** The data of the next custom notice for `groupId` on `d`. */
async function customNotice(d: Device, groupId: string): Promise<Reply> {
  const f = await d.next((x) => x.op === 'ev' && x.ev.type === 'msg' && x.ev.msg.from === SYSTEM &&
    JSON.parse(x.ev.msg.body[0].MsgContent.Data).GroupId === groupId && JSON.parse(x.ev.msg.body[0].MsgContent.Data).NoticeType === 255)
  return JSON.parse(f.ev.msg.body[0].MsgContent.Data)
}

async function systemHistory(d: Device): Promise<Reply[]> {
  const r = await d.request('history', { peer: SYSTEM, limit: 100 })
  return r.data.messages.map((m: Reply) => JSON.parse(m.body[0].MsgContent.Data))
}

t.test('a custom notice reaches the listed members, or all of them', async (t) => {
  const [owner, a, b, outsider] = await rest.newUsers(4)
  const { GroupId: groupId } = await rest.ok(G('create_group'), {
    Type: 'Public', Name: 'n', Owner_Account: owner, MemberList: [{ Member_Account: a }, { Member_Account: b }],
  })
  const [dOwner, dA, dB] = await Promise.all([owner, a, b].map((u) => Device.login(server, u)))
  t.teardown(() => Promise.all([dOwner, dA, dB].map((d) => d.close())))

  t.match(await rest.call(G('send_group_system_notification'), { GroupId: groupId, Content: 'to a', ToMembers_Account: [a, outsider] }), { ErrorCode: 0 })
  t.match(await customNotice(dA, groupId), { GroupId: groupId, NoticeType: 255, Content: 'to a' }, 'a gets it live')
  t.match(await rest.call(G('send_group_system_notification'), { GroupId: groupId, Content: 'to all' }), { ErrorCode: 0 })
  for (const d of [dOwner, dA, dB]) t.match(await customNotice(d, groupId), { Content: 'to all' }, 'every member gets the second')
  const contents = async (d: Device) => (await systemHistory(d)).filter((n) => n.NoticeType === 255).map((n) => n.Content)
  t.same(await contents(dA), ['to all', 'to a'], "a's history holds both, newest first")
  t.same(await contents(dB), ['to all'], 'b only the one for all')
  t.same(await contents(dOwner), ['to all'])
  const dOut = await Device.login(server, outsider)
  t.teardown(() => dOut.close())
  t.same(await contents(dOut), [], 'a listed non-member gets nothing')
})

t.test('bad input: coded errors, nothing sent', async (t) => {
  const [owner, a] = await rest.newUsers(2)
  const { GroupId: groupId } = await rest.ok(G('create_group'), { Type: 'Public', Name: 'n', Owner_Account: owner, MemberList: [{ Member_Account: a }] })
  const { GroupId: room } = await rest.ok(G('create_group'), { Type: 'AVChatRoom', Name: 'live', Owner_Account: owner })
  const send = (body: Record<string, unknown>) => rest.call(G('send_group_system_notification'), body)
  t.match(await send({ GroupId: groupId }), { ErrorCode: 10004 }, 'Content required')
  t.match(await send({ GroupId: groupId, Content: '' }), { ErrorCode: 10004 }, 'Content empty')
  t.match(await send({ GroupId: groupId, Content: 'x'.repeat(1025) }), { ErrorCode: 10004 }, 'Content over 1,024 bytes')
  t.match(await send({ GroupId: groupId, Content: 7 }), { ErrorCode: 10004 }, 'Content not a string')
  t.match(await send({ GroupId: groupId, Content: 'x', ToMembers_Account: 'a' }), { ErrorCode: 10004 }, 'list not a list')
  t.match(await send({ GroupId: 'no-such-group', Content: 'x' }), { ErrorCode: 10010 })
  t.match(await send({ GroupId: '', Content: 'x' }), { ErrorCode: 10015 })
  t.match(await send({ GroupId: room, Content: 'x' }), { ErrorCode: 10007 }, 'live rooms take none')
  const dA = await Device.login(server, a)
  t.teardown(() => dA.close())
  const notices = (await systemHistory(dA)).filter((n) => n.NoticeType === 255)
  t.same(notices, [], 'nothing was sent')
})
