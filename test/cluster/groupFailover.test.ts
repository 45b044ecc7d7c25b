/**
 * Groups in a two-node cluster over real Redis and Cassandra: management and messages work
 * from either node (the group's actor lives on one of them), and after the node hosting the
 * groups is killed with -9 their actors re-activate on the survivor from Cassandra and the
 * message sequence continues — no seq is repeated or lost, and a send retried with the same
 * Random across the failover is stored once.
 */
import t from 'tap'
import { mintUserSigV2 } from '../../src/services/auth/usersigV2.js'
import { restCall, type RestReply } from '../helpers/restAdmin.js'
import { startLocalCluster } from '../helpers/cluster.js'
import { testApp } from '../helpers/server.js'
import { uid } from '../helpers/sdkClients.js'
import { textBody } from '../rest/fixtures/rest.js'

t.setTimeout(400_000)
const app = testApp()

t.test('groups survive the loss of the node hosting them; seqs continue', async (t) => {
  const cluster = await startLocalCluster({ app, nodes: 2 })
  t.teardown(() => cluster.close())
  const node = (i: number) => ({
    url: `http://127.0.0.1:${cluster.ports[i]}`, app,
    adminSig: () => mintUserSigV2({ sdkAppId: app.sdkAppId, key: app.secretKey, userId: app.admins[0]!, expireSec: 3600, nowSec: Math.floor(Date.now() / 1000) }),
  })
  const call = (i: number, cmd: string, body: unknown): Promise<RestReply> => restCall(node(i), `group_open_http_svc/${cmd}`, body)
  const send = (i: number, groupId: string, n: number) =>
    call(i, 'send_group_msg', { GroupId: groupId, From_Account: a, Random: n, MsgBody: textBody(`m${n}`) })
  const [owner, a] = [uid('o'), uid('a')]
  t.same((await restCall(node(0), 'im_open_login_svc/multiaccount_import', { Accounts: [owner, a] })).FailAccounts, [])
  // Placement hashes the node ids with their boot incarnations, which a test cannot see; with
  // eight groups, node 0 hosts at least one of them unless 1 in 256.
  const groups = Array.from({ length: 8 }, () => `fail-${uid()}`)
  for (const groupId of groups) {
    const created = await call(0, 'create_group', { Type: 'Public', GroupId: groupId, Name: 'f', Owner_Account: owner, MemberList: [{ Member_Account: a }] })
    t.equal(created.ErrorCode, 0)
    for (const n of [1, 2, 3]) t.equal((await send(n % 2, groupId, n)).MsgSeq, n, `${groupId}: message ${n} via node ${n % 2}`)
  }
  t.match((await call(1, 'get_group_info', { GroupIdList: [groups[0]] })).GroupInfo[0], { MemberNum: 2, NextMsgSeq: 4 })

  await cluster.kill9(0)
  // The survivor answers with a retryable code until the membership drops node 0.
  await cluster.untilMembers(1)
  for (const groupId of groups) {
    let sent: RestReply | undefined
    for (let attempt = 1; ; attempt++) {
      sent = await send(1, groupId, 4)
      if (sent.ErrorCode === 0 || attempt >= 60) break
    }
    t.equal(sent?.MsgSeq, 4, `${groupId}: the sequence continues from Cassandra`)
    t.equal((await send(1, groupId, 4)).MsgSeq, 4, `${groupId}: a retried Random is not stored twice`)
  }
  await cluster.startNode(0)
  for (const groupId of groups) {
    t.equal((await send(0, groupId, 5)).MsgSeq, 5, `${groupId}: seq 5 after node 0 is back`)
    const hist = await call(1, 'group_msg_get_simple', { GroupId: groupId, ReqMsgNumber: 20 })
    t.same(hist.RspMsgList.map((m: RestReply) => m.MsgSeq), [5, 4, 3, 2, 1], `${groupId}: every seq once`)
  }
  t.same((await call(0, 'get_joined_group_list', { Member_Account: a })).TotalCount, groups.length)
})
