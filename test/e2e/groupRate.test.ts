/**
 * The per-group message rate (config `groupMsgRate`, here 2 messages/s) against a real node:
 * a burst beyond it is refused with 10023 over the socket and REST, counted in the group's
 * info, and stores nothing; an AVChatRoom refuses Lowest before Normal. Bounded bursts, not
 * timing: the assertions hold however slowly the requests run, up to the half second a
 * token takes to refill (the exact refill and shedding arithmetic is tested on a fake clock
 * in test/actors/groupRate.test.ts and groupMessaging.test.ts).
 */
import t from 'tap'
import { GroupMember } from '../helpers/groupMember.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { Rest, textBody } from '../rest/fixtures/rest.js'

const RATE = 2
let server: TestServer
let rest: Rest
t.before(async () => {
  server = await startServer({ config: { groupMsgRate: RATE } })
  rest = new Rest(server)
})
t.teardown(() => server.stop())

const G = (cmd: string) => `group_open_http_svc/${cmd}`
const login = (userId: string) => GroupMember.loginTo(server, userId)

async function code(m: GroupMember, fields: Record<string, unknown>): Promise<number> {
  const r = await m.request('groupSend', fields)
  return r.ok === true ? 0 : r.code
}

t.test('a burst beyond the rate: the excess is refused with 10023, counted, and stores nothing', async (t) => {
  const [owner, a] = await rest.newUsers(2)
  const groupId = await rest.createGroup('Public', owner, [a])
  const dA = await login(a)
  t.teardown(() => dA.close())
  const started = Date.now()
  const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => dA.request('groupSend', { groupId, body: textBody(`m${i}`) })))
  const seconds = (Date.now() - started) / 1000
  const codes = replies.map((r) => (r.ok === true ? 0 : r.code))
  const accepted = codes.filter((c) => c === 0).length
  t.same([...new Set(codes)].sort(), [0, 10023], 'each send either went through or was refused with 10023')
  t.ok(accepted >= RATE, `at least a full bucket went through (${accepted})`)
  t.ok(accepted <= RATE + Math.ceil(RATE * seconds), `no more than the bucket plus its refill (${accepted} in ${seconds} s)`)
  const rest1 = await rest.call(G('send_group_msg'), { GroupId: groupId, From_Account: a, Random: 1, MsgBody: textBody('rest') })
  const info = (await dA.request('groupInfo', { groupId })).data
  const restRefused = rest1.ErrorCode === 10023 ? 1 : 0
  t.equal(info.nextMsgSeq, accepted + 1 + (1 - restRefused), 'only the accepted messages took seqs')
  t.equal(info.msgRateShed, 12 - accepted + restRefused, 'the refusals are counted in the group\'s info')
  t.match(replies.find((r) => r.ok !== true), { code: 10023, message: /rate limit exceeded.*2 messages\/s/ }, 'a refusal names the limit')
})

t.test('an AVChatRoom refuses Lowest before Normal', async (t) => {
  const [owner, a] = await rest.newUsers(2)
  const room = await rest.createGroup('AVChatRoom', owner, [])
  const dA = await login(a)
  t.teardown(() => dA.close())
  t.equal((await dA.request('groupApply', { groupId: room })).ok, true)
  // Rate 2: a full bucket holds 2 tokens; Lowest must leave 1, Normal may take the last.
  t.equal(await code(dA, { groupId: room, body: textBody('n1'), priority: 'Normal' }), 0)
  t.equal(await code(dA, { groupId: room, body: textBody('lowest'), priority: 'Lowest' }), 10023, 'one token left: Lowest is refused')
  t.equal(await code(dA, { groupId: room, body: textBody('n2'), priority: 'Normal' }), 0, 'Normal takes it')
})
