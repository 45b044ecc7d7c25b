/**
 * `group_open_http_svc/get_appid_group_list` against a real node: the app's groups paged
 * with an integer `Next` until it is 0, each listed once, with `TotalCount`; filtered by
 * `GroupType`; destroyed groups gone, a re-created one back; other apps' groups never
 * listed; bad `Limit`, `Next` and `GroupType` refused with 10004.
 */
import t, { type Test } from 'tap'
import { mintUserSigV2 } from '../../src/services/auth/usersigV2.js'
import type { AppConfig } from '../../src/model/apps.js'
import { startServer, testApp, type TestServer } from '../helpers/server.js'
import { type Reply, Rest } from './fixtures/rest.js'

const LIST = 'group_open_http_svc/get_appid_group_list'
const G = (cmd: string) => `group_open_http_svc/${cmd}`

const [appA, appB, appC] = [testApp(), testApp(), testApp()]
let server: TestServer
/** One REST client per app; `rest.A` is the server's first app. */
const rest: Record<'A' | 'B' | 'C', Rest> = {} as never

/** `server` as seen by `app`'s admin (the fixture signs with the server's first app). */
function as(app: AppConfig): Rest {
  const adminSig = () => mintUserSigV2({
    sdkAppId: app.sdkAppId, key: app.secretKey, userId: app.admins[0]!, expireSec: 3600, nowSec: Math.floor(Date.now() / 1000),
  })
  return new Rest({ ...server, app, adminSig })
}

t.before(async () => {
  server = await startServer({ apps: [appA, appB, appC] })
  rest.A = as(appA)
  rest.B = as(appB)
  rest.C = as(appC)
})
t.teardown(() => server.stop())

/** Walks the listing with `body` (Limit etc.) until `Next` is 0; checks every page; resolves with the GroupIds. */
async function walk(t: Test, r: Rest, body: Record<string, unknown>, total: number): Promise<string[]> {
  const ids: string[] = []
  let next = 0
  for (let page = 1; ; page++) {
    if (page > total + 2) throw new Error('the walk did not end')
    const reply: Reply = await r.ok(LIST, { ...body, ...(next ? { Next: next } : {}) })
    t.equal(reply.TotalCount, total, `page ${page}: TotalCount`)
    t.ok(Number.isSafeInteger(reply.Next) && reply.Next >= 0, `page ${page}: Next is an integer`)
    if (typeof body['Limit'] === 'number') t.ok(reply.GroupIdList.length <= body['Limit'], `page ${page}: at most Limit ids`)
    ids.push(...reply.GroupIdList.map((g: Reply) => { t.same(Object.keys(g), ['GroupId']); return g.GroupId as string }))
    if (reply.Next === 0) return ids
    next = reply.Next
  }
}

const sorted = (xs: string[]) => [...xs].sort()

t.test('an app without groups: empty list, TotalCount 0, Next 0', async (t) => {
  t.match(await rest.C.call(LIST, {}), { ActionStatus: 'OK', ErrorCode: 0, TotalCount: 0, GroupIdList: [], Next: 0 })
  t.match(await rest.C.call(LIST, { Limit: 1, Next: 0, GroupType: 'Public' }), { ErrorCode: 0, TotalCount: 0, GroupIdList: [], Next: 0 })
})

t.test('paged with Limit 2 until Next is 0: every group once; by GroupType; destroy and re-create', async (t) => {
  const [owner, member] = await rest.A.newUsers(2)
  const types = ['Public', 'Public', 'Public', 'Private', 'Private', 'ChatRoom', 'ChatRoom', 'Community', 'Community', 'AVChatRoom', 'BChatRoom']
  const byType = new Map<string, string[]>()
  for (const type of types) {
    const id = await rest.A.createGroup(type, owner!, type === 'AVChatRoom' || type === 'BChatRoom' ? [] : [member!])
    byType.set(type, [...(byType.get(type) ?? []), id])
  }
  const all = [...byType.values()].flat()
  const [otherOwner] = await rest.B.newUsers(1)
  const otherIds = [await rest.B.createGroup('Public', otherOwner!), await rest.B.createGroup('Private', otherOwner!)]

  const listed = await walk(t, rest.A, { Limit: 2 }, all.length)
  t.same(sorted(listed), sorted(all), 'every group of the app exactly once')
  t.notOk(listed.some((id) => otherIds.includes(id)), "another app's groups are never listed")
  const whole = await rest.A.ok(LIST, {})
  t.match(whole, { TotalCount: all.length, Next: 0 }, 'no Limit: up to 10000, so one page')
  t.same(whole.GroupIdList.map((g: Reply) => g.GroupId), listed, 'the same order as the paged walk')
  t.same(sorted(await walk(t, rest.B, { Limit: 1 }, 2)), sorted(otherIds), 'the other app lists its own')

  for (const [type, ids] of byType) {
    t.same(sorted(await walk(t, rest.A, { Limit: 2, GroupType: type }, ids.length)), sorted(ids), `GroupType ${type}`)
  }

  const [gonePublic, gonePrivate] = [byType.get('Public')![0]!, byType.get('Private')![1]!]
  await rest.A.ok(G('destroy_group'), { GroupId: gonePublic })
  await rest.A.ok(G('destroy_group'), { GroupId: gonePrivate })
  const left = all.filter((id) => id !== gonePublic && id !== gonePrivate)
  t.same(sorted(await walk(t, rest.A, { Limit: 2 }, left.length)), sorted(left), 'destroyed groups are gone')
  t.same(sorted(await walk(t, rest.A, { Limit: 2, GroupType: 'Public' }, 2)), sorted(byType.get('Public')!.slice(1)), 'and gone from their type')

  const custom = `listed-${Date.now()}`
  await rest.A.ok(G('create_group'), { Type: 'Public', GroupId: custom, Name: 'n', Owner_Account: owner })
  await rest.A.ok(G('destroy_group'), { GroupId: custom })
  await rest.A.ok(G('create_group'), { Type: 'Community', GroupId: `@TGS#_${custom}`, Name: 'n', Owner_Account: owner })
  await rest.A.ok(G('create_group'), { Type: 'Private', GroupId: custom, Name: 'again', Owner_Account: owner })
  const now = await walk(t, rest.A, { Limit: 3, GroupType: 'Private' }, 2)
  t.ok(now.includes(custom), 'a re-created group is listed again, under its new type')
})

t.test('bad Limit, Next or GroupType: 10004, nothing listed', async (t) => {
  const cases: [string, Record<string, unknown>][] = [
    ['Limit above 10000', { Limit: 10001 }],
    ['Limit 0', { Limit: 0 }],
    ['negative Limit', { Limit: -1 }],
    ['fractional Limit', { Limit: 1.5 }],
    ['Limit as a string', { Limit: '10' }],
    ['negative Next', { Next: -5 }],
    ['Next as a string', { Next: '123' }],
    ['unknown GroupType', { GroupType: 'Huge' }],
    ['GroupType not a string', { GroupType: 1 }],
  ]
  for (const [what, body] of cases) {
    const r = await rest.A.call(LIST, body)
    t.match(r, { ActionStatus: 'FAIL', ErrorCode: 10004 }, what)
    t.notOk('GroupIdList' in r, `${what}: no list`)
  }
  t.match(await rest.A.call(LIST, { Limit: 10000 }), { ErrorCode: 0 }, 'Limit 10000 is allowed')
})
