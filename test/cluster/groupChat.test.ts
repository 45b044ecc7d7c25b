/**
 * Group chat across three Parley nodes (separate processes, 2, 1 and 2 worker threads) over
 * a real Redis and Cassandra: members connected to different nodes, one of them on two
 * nodes at once, all get every group message once and in the group's seq order, whichever
 * node each sender is on; a user added while online on another node gets the next message
 * live; an AVChatRoom's seq-0 messages reach members on every node.
 */
import t from 'tap'
import { mintUserSigV2 } from '../../src/services/auth/usersigV2.js'
import { startLocalCluster } from '../helpers/cluster.js'
import { GroupMember } from '../helpers/groupMember.js'
import { restOk } from '../helpers/restAdmin.js'
import { testApp } from '../helpers/server.js'
import { uid } from '../helpers/sdkClients.js'

t.setTimeout(300_000)
const app = testApp({ multiLogin: 'unlimited' })
const sig = (userId: string) =>
  mintUserSigV2({ sdkAppId: app.sdkAppId, key: app.secretKey, userId, expireSec: 3600, nowSec: Math.floor(Date.now() / 1000) })
const text = (s: string) => [{ MsgType: 'TIMTextElem', MsgContent: { Text: s } }]

t.test('group chat across three nodes', async (t) => {
  const cluster = await startLocalCluster({ app, threads: [2, 1, 2] })
  const members: GroupMember[] = []
  t.teardown(async () => {
    members.forEach((m) => m.close())
    await cluster.close()
  })
  await cluster.untilMembers(3)
  const node = (i: number) => ({ url: `http://127.0.0.1:${cluster.ports[i]}`, app, adminSig: () => sig(app.admins[0]!) })
  const G = (cmd: string) => `group_open_http_svc/${cmd}`
  const login = async (userId: string, i: number, platform = 'Web') => {
    const m = await GroupMember.login(cluster.wsUrls[i]!, app.sdkAppId, userId, sig(userId), { platform })
    members.push(m)
    return m
  }
  const send = async (m: GroupMember, groupId: string, s: string) => {
    const r = await m.request('groupSend', { groupId, body: text(s) })
    if (r.ok !== true) throw new Error(`groupSend: ${JSON.stringify(r)}`)
    return r.data.seq as number
  }

  await t.test('members on every node get every message once, in seq order', async (t) => {
    const users = Array.from({ length: 6 }, () => uid('g'))
    await restOk(node(0), 'im_open_login_svc/multiaccount_import', { Accounts: users })
    const { GroupId: groupId } = await restOk(node(1), G('create_group'), {
      Type: 'Public', Name: 'across', Owner_Account: users[0], MemberList: users.slice(1).map((Member_Account) => ({ Member_Account })),
    })
    const devices = [...await Promise.all(users.map((u, i) => login(u, i % 3))), await login(users[1]!, 2, 'Android')]
    const senders = [devices[0]!, devices[1]!, devices[2]!] // on nodes 0, 1, 2
    const seqs = (await Promise.all(senders.map(async (s, k) => {
      const out: number[] = []
      for (let n = 0; n < 5; n++) out.push(await send(s, groupId, `${k}.${n}`))
      return out
    }))).flat().sort((a, b) => a - b)
    t.same(seqs, Array.from({ length: 15 }, (_, i) => i + 1), 'one seq per message, 1..15, none twice')
    for (const d of devices) {
      await d.until(() => d.messages(groupId).length >= 15)
      const got = d.messages(groupId)
      t.same(got.map((m) => m.seq), seqs, `${d.userId}: all 15 once, in seq order`)
    }
  })

  await t.test('a user added while online on another node gets the next message live', async (t) => {
    const [owner, late] = [uid('o'), uid('late')]
    await restOk(node(0), 'im_open_login_svc/multiaccount_import', { Accounts: [owner, late] })
    const { GroupId: groupId } = await restOk(node(0), G('create_group'), { Type: 'Public', Name: 'late', Owner_Account: owner })
    const dOwner = await login(owner, 0)
    const dLate = await login(late, 2)
    await restOk(node(1), G('add_group_member'), { GroupId: groupId, MemberList: [{ Member_Account: late }] })
    // The invitation notice leaves the user's session after the subscription, on the same path.
    await dLate.until(() => dLate.frames.some((f) => f.op === 'ev' && f.ev.msg?.from === '@TIM#SYSTEM' && f.ev.msg.body[0].MsgContent.Data.includes(groupId)))
    const seq = await send(dOwner, groupId, 'hello late')
    await dLate.until(() => dLate.messages(groupId).length === 1)
    t.match(dLate.messages(groupId)[0], { seq, from: owner }, 'delivered live across nodes')
  })

  await t.test("an AVChatRoom's messages reach members on every node", async (t) => {
    const owner = uid('av')
    const viewers = Array.from({ length: 6 }, () => uid('v'))
    await restOk(node(0), 'im_open_login_svc/multiaccount_import', { Accounts: [owner, ...viewers] })
    const { GroupId: groupId } = await restOk(node(2), G('create_group'), { Type: 'AVChatRoom', Name: 'live', Owner_Account: owner })
    const dOwner = await login(owner, 1)
    const dViewers = await Promise.all(viewers.map((v, i) => login(v, i % 3)))
    for (const d of dViewers) t.equal((await d.request('groupApply', { groupId })).ok, true, 'joined')
    for (let n = 0; n < 3; n++) t.equal(await send(dOwner, groupId, `live ${n}`), 0, 'seq 0: not stored')
    for (const d of dViewers) {
      await d.until(() => d.messages(groupId).length >= 3)
      t.same(d.messages(groupId).map((m) => m.body[0].MsgContent.Text), ['live 0', 'live 1', 'live 2'], `${d.userId}: all three, in order`)
    }
  })
})
