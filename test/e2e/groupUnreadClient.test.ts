/**
 * Group unread counts through the SDK against a real node: `groupUnreadCounts` lists every
 * joined group with this member's count and read position, `markGroupRead` moves the
 * position (forward only, never past the newest message), a sender's own messages never
 * count, rooms without history count 0, and bad calls are refused with their codes.
 */
import t from 'tap'
import type { GroupUnread } from '../../src/client/index.js'
import { importAccounts } from '../helpers/restAdmin.js'
import { codeOf, testPool, uid } from '../helpers/sdkClients.js'
import { startServer, type TestServer } from '../helpers/server.js'

let server: TestServer
t.before(async () => { server = await startServer() })
t.teardown(() => server.stop())

const of = (list: GroupUnread[], groupId: string) => list.find((g) => g.groupId === groupId)

t.test('unread counts and read positions as SDK calls', async (t) => {
  const p = testPool(t, () => server)
  const owner = uid('o'), mem = uid('m'), outsider = uid('x')
  await importAccounts(server, owner, mem, outsider)
  const [o, m, x] = await Promise.all([owner, mem, outsider].map((u) => p.connect(u)))
  const team = await o.client.createGroup({ type: 'Public', name: 'team', members: [mem] })
  const room = await o.client.createGroup({ type: 'AVChatRoom', name: 'room' })
  t.equal(await m.client.applyToGroup(room), 'joined')

  const start = await m.client.markGroupRead(team)
  t.match(start, { unread: 0 }, 'marking read: nothing unread')
  t.equal(start.readSeq, start.lastSeq)
  for (const s of ['one', 'two', 'three']) await o.client.sendGroupText(team, s)
  await o.client.sendGroupText(room, 'live')

  const counts = await m.client.groupUnreadCounts()
  t.same(counts.map((g) => g.groupId).sort(), [team, room].sort(), 'every joined group')
  t.match(of(counts, team), { lastSeq: start.lastSeq + 3, readSeq: start.lastSeq, unread: 3 }, 'three messages unread')
  t.type(of(counts, team)?.joinTime, 'number')
  t.match(of(counts, room), { unread: 0 }, 'a room without history counts 0')
  t.match(of(await o.client.groupUnreadCounts(), team), { unread: 0 }, "the sender's own messages are not unread")

  t.same(await m.client.markGroupRead(team, start.lastSeq + 2), { lastSeq: start.lastSeq + 3, readSeq: start.lastSeq + 2, unread: 1 }, 'read up to the second')
  t.match(await m.client.markGroupRead(team, start.lastSeq + 1), { readSeq: start.lastSeq + 2, unread: 1 }, 'the position never moves back')
  t.match(await m.client.markGroupRead(team, 1e9), { readSeq: start.lastSeq + 3, unread: 0 }, 'nor past the newest message')
  t.match(of(await m.client.groupUnreadCounts(), team), { unread: 0 })

  t.same(await x.client.groupUnreadCounts(), [], 'a user in no group')
  t.equal(await codeOf(x.client.markGroupRead(team)), 10007, 'members only')
  t.equal(await codeOf(m.client.markGroupRead('')), 10015, 'a malformed GroupId')
  t.equal(await codeOf(m.client.markGroupRead(team, -1)), 10004, 'a negative seq')
  t.equal(await codeOf(m.client.markGroupRead(uid('nosuch'))), 10010, 'no such group')
})
