/**
 * Unit tests of REST body parsing through the commands' own schemas (src/edge/rest/*.ts, built
 * with src/core/schema.ts), and of the bounded-concurrency map. No server: each case calls a
 * command's `parse` as install.ts does, so what is checked here is what a request meets.
 */
import t from 'tap'
import { CodedError } from '../../src/core/errors.js'
import { mapLimit } from '../../src/core/mapLimit.js'
import { restCommands } from '../../src/edge/rest/commands.js'

function parse(route: string, body: Record<string, unknown>): Record<string, unknown> {
  const command = restCommands.get(route)
  if (command === undefined) throw new Error(`no command ${route}`)
  return command.parse(body) as Record<string, unknown>
}

const text = [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'hi' } }]
const send = (over: Record<string, unknown>) => ({ To_Account: 'bob', MsgRandom: 1, MsgBody: text, ...over })

t.test('spellings: the first present name wins; null reads as absent; unknown keys are dropped', async (t) => {
  t.same(parse('im_open_login_svc/account_import', { UserID: 'new', Identifier: 'old' }), { UserID: 'new' })
  t.same(parse('im_open_login_svc/account_import', { UserID: null, Identifier: 'old' }), { UserID: 'old' })
  t.same(parse('im_open_login_svc/account_import', { UserID: 'a', Nick: null, Extra: 1 }), { UserID: 'a' })
  t.same(parse('group_open_http_svc/forbid_send_msg', { GroupId: 'g', Members_Account: ['a'], ShutUpTime: 60 }).MuteTime, 60)
  t.same(parse('group_open_http_svc/modify_group_member_info', { GroupId: 'g', Member_Account: 'a', ShutUpTime: 5 }).MuteTime, 5)
  const modify = parse('group_open_http_svc/modify_group_base_info', { GroupId: 'g', MaxMemberCount: 50, ShutUpAllMember: 'On' })
  t.same([modify.MaxMemberNum, modify.MuteAllMember], [50, 'On'])
  t.equal(parse('group_open_http_svc/get_joined_group_list', { Member_Account: 'a', Type: 'Public' }).GroupType, 'Public')
  t.equal(parse('recentcontact/delete', { From_Account: 'a', type: 1, To_Account: 'b' }).Type, 1)
  const roam = parse('openim/admin_getroammsg', { From_Account: 'a', To_Account: 'b', MaxCnt: 1 })
  t.same([roam.Operator_Account, roam.Peer_Account], ['a', 'b'])
})

t.test('failures carry the service code or the field\'s own, and name the field', async (t) => {
  t.throws(() => parse('im_open_login_svc/account_import', {}), { code: 70402, message: /UserID: required/ })
  t.throws(() => parse('openim/sendmsg', send({ MsgRandom: 1.5 })), { code: 90005, message: /MsgRandom/ })
  t.throws(() => parse('openim/sendmsg', send({ To_Account: 'no space' })), { code: 90003, message: /To_Account/ })
  t.throws(() => parse('openim/sendmsg', send({ From_Account: 7 })), { code: 90008, message: /From_Account/ })
  t.throws(() => parse('openim/sendmsg', send({ MsgTimeStamp: -1 })), { code: 90007, message: /MsgTimeStamp/ })
  t.throws(() => parse('openim/sendmsg', send({ MsgBody: undefined })), { code: 90002, message: /MsgBody: required/ })
  t.throws(() => parse('openim/sendmsg', send({ OfflinePushInfo: [] })), { code: 90010, message: /OfflinePushInfo: must be a map/ })
  t.throws(() => parse('recentcontact/get_list', { From_Account: 'a', StartIndex: '1' }), { code: 50002, message: /StartIndex/ })
  t.throws(() => parse('openim/query_online_status', { To_Account: ['a'], IsNeedDetail: true }), { code: 70402, message: /one of 0, 1/ })
  t.throws(() => parse('im_open_login_svc/account_import', { UserID: 'a', Nick: 'é'.repeat(251) }),
    { code: 70402, message: /Nick: longer than 500 bytes/ }, '251 characters, 502 bytes')
  t.throws(() => parse('im_open_login_svc/multiaccount_import', { Accounts: ['x', 2] }), { code: 70402, message: /Accounts\[1\]: must be a string/ })
  t.throws(() => parse('im_open_login_svc/account_check', { CheckItem: [{ UserID: 5 }] }), { message: /CheckItem\[0\]\.UserID: must be a string/ })
  t.throws(() => parse('im_open_login_svc/account_check', { CheckItem: ['x'] }), { code: 70402, message: /CheckItem\[0\]: must be a map/ })
  t.throws(() => parse('group_open_http_svc/destroy_group', {}), { code: 10004, message: /GroupId: required/ })
  t.throws(() => parse('group_open_http_svc/destroy_group', { GroupId: 5 }), { code: 10015, message: /GroupId/ })
  t.throws(() => parse('group_open_http_svc/get_group_info', { GroupIdList: ['g'], ResponseFilter: { MemberInfoFilter: [1] } }),
    { code: 10004, message: /ResponseFilter\.MemberInfoFilter\[0\]: must be a string/ })
  t.throws(() => parse('group_open_http_svc/create_group', { Type: 'Public', Name: 'n', AppDefinedData: [{ Key: 'bad key', Value: '' }] }),
    { code: 10004, message: /AppDefinedData\[0\]\.Key/ })
  t.throws(() => parse('group_open_http_svc/import_group_msg', { GroupId: 'g', MsgList: [{ From_Account: 'a', SendTime: 1 }] }),
    { code: 90002, message: /MsgList\[0\]\.MsgBody: required/ })
})

t.test('sizes: lists outside their range answer the size code where one is documented', async (t) => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `u${i}`)
  t.throws(() => parse('im_open_login_svc/multiaccount_import', { Accounts: ids(101) }), { code: 70206 })
  t.throws(() => parse('im_open_login_svc/multiaccount_import', { Accounts: [] }), { code: 70206 })
  t.throws(() => parse('openim/batchsendmsg', send({ To_Account: ids(501) })), { code: 90011 })
  t.throws(() => parse('openim/batchsendmsg', send({ To_Account: [] })), { code: 90003, message: /To_Account/ }, 'empty: the field\'s code')
  t.equal((parse('openim/batchsendmsg', send({ To_Account: ids(500) })).To_Account as string[]).length, 500)
  t.throws(() => parse('group_open_http_svc/delete_group_member', { GroupId: 'g', MemberToDel_Account: [] }), { code: 10005 })
  t.throws(() => parse('group_open_http_svc/get_group_info', { GroupIdList: ids(51) }), { code: 10004 })
  t.throws(() => parse('group_open_http_svc/get_group_member_info', { GroupId: 'g', Limit: 6001 }), { code: 10004, message: /Limit/ })
  t.throws(() => parse('openim/sendmsg', send({ SendMsgControl: ids(17) })), { code: 90010, message: /SendMsgControl/ })
})

t.test('numbers', async (t) => {
  t.equal(parse('openim/sendmsg', send({ MsgRandom: 0 })).MsgRandom, 0)
  t.equal(parse('openim/sendmsg', send({ MsgRandom: 0xffffffff })).MsgRandom, 0xffffffff)
  t.throws(() => parse('openim/sendmsg', send({ MsgRandom: 2 ** 32 })), { code: 90005 })
  t.throws(() => parse('recentcontact/get_list', { From_Account: 'a', StartIndex: -1 }), { code: 50002 })
  t.equal(parse('openim/sendmsg', send({ SyncOtherMachine: 2 })).SyncOtherMachine, 2)
  t.equal(parse('openim/sendmsg', send({})).OnlineOnlyFlag, undefined, 'an absent flag stays absent (reads as 0)')
  t.throws(() => parse('openim/admin_getroammsg', { Operator_Account: 'a', Peer_Account: 'b', MaxCnt: 0 }), { code: 90010, message: /MaxCnt/ })
  t.throws(() => parse('group_open_http_svc/get_appid_group_list', { Limit: 0 }), { code: 10004 })
})

t.test('the first failing field in the order the command reads them is reported', async (t) => {
  t.throws(() => parse('openim/sendmsg', { To_Account: 5, MsgRandom: 'x' }), { code: 90003 })
  t.throws(() => parse('openim/sendmsg', { To_Account: 'b', MsgRandom: 'x' }), { code: 90005 })
  t.throws(() => parse('openim/batchsendmsg', { To_Account: [], MsgRandom: 'x' }), { code: 90003 })
  t.throws(() => parse('recentcontact/delete', { From_Account: 'a', Type: 2 }), { code: 50002, message: /Type: .*not supported/ })
  t.throws(() => parse('group_open_http_svc/send_group_msg', { GroupId: 'g', Random: 1, MsgBody: text, GroupAtInfo: [{}], To_Account: [] }),
    { code: 10004, message: /GroupAtInfo\[0\]\.GroupAt_Account: required/ }, 'mentions before targets (10005)')
})

t.test('rules across fields that the schemas hold', async (t) => {
  const mention = (GroupAtInfo: unknown[]) => parse('group_open_http_svc/send_group_msg', { GroupId: 'g', Random: 1, MsgBody: text, GroupAtInfo })
  t.same(mention([{ GroupAtAllFlag: 1, GroupAt_Account: 7 }, { GroupAt_Account: '@ALL' }, { GroupAtAllFlag: 0, GroupAt_Account: 'a' }]).GroupAtInfo,
    [{ account: '@ALL' }, { account: '@ALL' }, { account: 'a' }], 'GroupAtAllFlag 1 does not read GroupAt_Account')
  t.throws(() => mention(['a']), { code: 10004, message: /GroupAtInfo\[0\]: must be a map/ })
  t.throws(() => mention([{ GroupAtAllFlag: 2 }]), { code: 10004, message: /GroupAtInfo\[0\]\.GroupAtAllFlag/ })
  t.equal(parse('openim/admin_getroammsg', { Operator_Account: 'a', Peer_Account: 'b', MaxCnt: 1, LastMsgKey: '' }).LastMsgKey, '')
  t.throws(() => parse('openim/admin_getroammsg', { Operator_Account: 'a', Peer_Account: 'b', MaxCnt: 1, LastMsgKey: 'x_1' }),
    { code: 90010, message: /LastMsgKey: must be a MsgKey/ })
})

t.test('every command answers a coded error for wrong types, never another failure', async (t) => {
  const wrong: unknown[] = ['x', -1, 1.5, 2 ** 53, true, [], [1], {}, { a: 1 }]
  let failures = 0
  for (const [route, command] of restCommands) {
    const fields = Object.keys((command.body as { properties?: object }).properties ?? {})
    for (const field of ['', ...fields]) {
      for (const v of wrong) {
        try {
          command.parse(field === '' ? {} : { [field]: v })
        } catch (e) {
          if (!(e instanceof CodedError)) t.fail(`${route} ${field}=${JSON.stringify(v)}: ${String(e)}`)
          failures++
        }
      }
    }
  }
  t.ok(failures > restCommands.size, 'the sweep met refusals')
})

t.test('mapLimit keeps order and never exceeds the limit', async (t) => {
  let inFlight = 0
  let peak = 0
  const out = await mapLimit(Array.from({ length: 50 }, (_, i) => i), 4, async (x) => {
    inFlight++
    peak = Math.max(peak, inFlight)
    await new Promise((resolve) => setImmediate(resolve))
    inFlight--
    return x * 2
  })
  t.same(out, Array.from({ length: 50 }, (_, i) => i * 2))
  t.equal(peak, 4)
  t.same(await mapLimit([], 4, async (x) => x), [])
})
