/**
 * Groups through the client SDK against a real node (worker threads, uWS, LMDB): every group
 * op as a typed SDK call with coded errors; catch-up of a device that was offline through
 * `groupHistory`, costing one probe per joined group plus exactly what was missed; and live
 * delivery (`gev` pushes): each message once and in seq order on every device of a member,
 * also across a reconnect where pushes and catch-up pages overlap.
 *
 * Devices are held offline by a `getUserSig` that waits on a gate the test opens; sockets are
 * broken through the SDK's `WebSocketImpl` injection point (test/helpers/sdkClients.ts).
 */
import t, { type Test } from 'tap'
import type { GroupMessageEvent, ParleyClient } from '../../src/client/index.js'
import { importAccounts } from '../helpers/restAdmin.js'
import {
  type ClientPool, codeOf, SigGate, type Frame, type ProbedSocket, testPool, type TestClient, uid, waitEvent, withDeadline, WaitMs,
} from '../helpers/sdkClients.js'
import { startServer, type TestServer } from '../helpers/server.js'

let server: TestServer
// The tests send bursts of up to 150 messages to one group: above the default 40/s per group.
t.before(async () => { server = await startServer({ config: { groupMsgRate: 1000 } }) })
t.teardown(() => server.stop())

const pool = (t: Test): ClientPool => testPool(t, () => server)

/** Every `groupMessage` of one client, in the order surfaced. */
class GroupInbox {
  readonly events: GroupMessageEvent[] = []
  private waiters: { pred: () => boolean; resolve: () => void }[] = []

  constructor(readonly client: ParleyClient) {
    client.on('groupMessage', (ev) => {
      this.events.push(ev)
      for (const w of this.waiters.filter((x) => x.pred())) {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        w.resolve()
      }
    })
  }

  /** Seqs surfaced for `groupId`, in order. */
  seqs(groupId: string): number[] {
    return this.events.filter((e) => e.groupId === groupId).map((e) => e.message.seq)
  }

  /** Resolves once `n` messages of `groupId` were surfaced. */
  count(groupId: string, n: number): Promise<void> {
    const check = () => this.seqs(groupId).length >= n
    if (check()) return Promise.resolve()
    const p = new Promise<void>((resolve) => this.waiters.push({ pred: check, resolve }))
    return withDeadline(p, WaitMs, `${this.client.userId}: ${n} messages of ${groupId} (have ${this.seqs(groupId).length})`)
  }
}

/** A client listening to group messages, connected, with its first group catch-up done. */
async function member(p: ClientPool, userId: string, o: Parameters<ClientPool['make']>[1] = {}): Promise<TestClient & { groups: GroupInbox }> {
  const c = p.make(userId, o)
  const groups = new GroupInbox(c.client)
  const synced = waitEvent(c.client, 'groupsSynced')
  await withDeadline(c.client.connect(), WaitMs, `${userId} connect`)
  await synced
  return { ...c, groups }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** The `groupHistory` requests written on `sock`, with the number of messages each answer carried. */
function historyCalls(sock: ProbedSocket, groupId: string): { before?: number; limit: number; got: number }[] {
  const answers = new Map(sock.in.filter((f) => f.op === 'res').map((f) => [f.rid, f]))
  return sock.out.filter((f: Frame) => f.op === 'groupHistory' && f.groupId === groupId).map((f) => {
    const call: { before?: number; limit: number; got: number } = { limit: f.limit, got: answers.get(f.rid)?.data?.messages?.length ?? -1 }
    if (f.before !== undefined && f.before !== null) call.before = f.before
    return call
  })
}

/**
 * Resolves when `c`'s socket receives the push of message `seq` of `groupId`, whether or not
 * the SDK uses it: a barrier proving that push can no longer arrive later.
 */
function pushed(c: TestClient, groupId: string, seq: number): Promise<void> {
  const p = new Promise<void>((resolve) => {
    c.probe.interceptor = (_sock, f) => {
      if (f.op === 'gev' && f.evs.some((e: Frame) => e.groupId === groupId && e.msg.seq === seq)) resolve()
      return false
    }
  })
  return withDeadline(p, WaitMs, `${c.userId}: the push of ${groupId} #${seq}`).finally(() => { c.probe.interceptor = undefined })
}

async function sendTexts(c: TestClient, groupId: string, n: number, label: string): Promise<number[]> {
  const seqs: number[] = []
  for (let i = 0; i < n; i++) seqs.push((await c.client.sendGroupText(groupId, `${label} ${i}`)).seq)
  return seqs
}

t.test('every group op through the SDK, with typed results and coded errors', async (t) => {
  const p = pool(t)
  const owner = uid('o'), mem = uid('m'), applicant = uid('a')
  await importAccounts(server, owner, mem, applicant)
  const [o, m, a] = await Promise.all([owner, mem, applicant].map((u) => p.connect(u)))

  const id = await o.client.createGroup({ type: 'Public', name: 'sdk group', introduction: 'hello', members: [] })
  t.type(id, 'string')
  const info = await o.client.groupInfo(id)
  t.match(info, { group: { groupId: id, type: 'Public', name: 'sdk group', introduction: 'hello', owner }, memberNum: 1, nextMsgSeq: 1 })

  const missing = uid('nobody')
  t.same(await o.client.inviteToGroup(id, [mem, missing]), [{ account: mem, result: 1 }, { account: missing, result: 0 }])
  t.same((await m.client.joinedGroups()).map((g) => g.groupId), [id], 'the member\'s joined list')
  t.match(await o.client.modifyGroup(id, { notification: 'rules' }), { group: { notification: 'rules' } })
  await o.client.setGroupMember(id, mem, { role: 'Admin' })
  await m.client.setGroupMember(id, mem, { nameCard: 'M' })
  const page = await m.client.groupMembers(id, { limit: 10 })
  t.equal(page.memberNum, 2)
  t.match(page.members, [{ account: owner, role: 'Owner' }, { account: mem, role: 'Admin', nameCard: 'M' }])

  await o.client.muteGroupMembers(id, [mem], 600)
  t.equal(await codeOf(m.client.sendGroupText(id, 'muted')), 10017, 'a muted member cannot send')
  await o.client.muteGroupMembers(id, [mem], 0)
  // Seqs 1-5 are the tips of the invitation, the notification, the appointment, the mute and the unmute.
  const s1 = await o.client.sendGroupText(id, 'one')
  const s2 = await m.client.sendGroupMessage(id, [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'two' } }], { cloudCustomData: 'cc', random: 4242 })
  t.match([s1, s2], [{ seq: 6, duplicate: false, message: { seq: 6, from: owner } }, { seq: 7, message: { from: mem, random: 4242, cloudCustomData: 'cc' } }])
  t.match(await m.client.sendGroupText(id, 'two again', { random: 4242 }), { seq: 7, duplicate: true }, 'the same random is stored once')
  const h = await m.client.groupHistory(id)
  const tip = '@TIM#SYSTEM'
  t.same(h.messages.map((x) => [x.seq, x.from]), [[7, mem], [6, owner], [5, tip], [4, tip], [3, tip], [2, tip], [1, tip]], 'history: newest first')
  t.same(h.messages.slice(2).map((x) => x.body[0]?.MsgContent['OpType']), [7, 7, 4, 6, 1], 'the tips, by op type')
  t.equal(h.complete, true)
  t.same((await m.client.groupHistory(id, { before: 7, limit: 1 })).messages.map((x) => x.seq), [6], 'paged with before')

  t.equal(await a.client.applyToGroup(id, 'me too'), 'pending')
  t.match(await m.client.groupRequests(id), [{ account: applicant, message: 'me too' }], 'admins see requests')
  await o.client.handleGroupApply(id, applicant, true)
  t.equal(await codeOf(a.client.applyToGroup(id)), 10013, 'already a member')
  t.same(await m.client.kickFromGroup(id, [applicant]), [applicant])
  t.equal(await codeOf(a.client.groupHistory(id)), 10007, 'a former member reads nothing')

  await o.client.changeGroupOwner(id, mem)
  t.equal((await m.client.groupInfo(id)).group.owner, mem)
  await o.client.quitGroup(id)
  t.same(await o.client.joinedGroups(), [], 'the former owner left')
  await m.client.destroyGroup(id)
  t.equal(await codeOf(m.client.groupInfo(id)), 10010, 'destroyed')
  t.equal(await codeOf(m.client.groupInfo('')), 10015, 'a malformed GroupId')
  t.equal(await codeOf(m.client.createGroup({ type: 'Public', name: '' })), 10004, 'an empty name')
})

t.test('a device that was offline catches up from history: one probe per group plus exactly what it missed', async (t) => {
  const p = pool(t)
  const owner = uid('o'), mem = uid('m')
  await importAccounts(server, owner, mem)
  const o = await p.connect(owner)
  const busy = await o.client.createGroup({ type: 'Private', name: 'busy', members: [mem] })
  const quiet = await o.client.createGroup({ type: 'Private', name: 'quiet', members: [mem] })
  const gate = new SigGate(server.app)
  const m = await p.connect(mem, { getUserSig: gate.sig(mem) })
  const arrived = pushed(m, quiet, 1)
  await o.client.sendGroupText(quiet, 'before the member listens')
  await arrived
  t.notOk(m.probe.current.out.some((f) => f.op === 'groupJoined' || f.op === 'groupHistory'), 'no listener: no group requests')

  const listening = waitEvent(m.client, 'groupsSynced')
  const groups = new GroupInbox(m.client)
  t.same(await listening, { groups: 2 }, 'a first listener added online starts a catch-up')
  t.same(historyCalls(m.probe.current, busy), [{ limit: 1, got: 0 }], 'the empty group is probed')
  t.same(historyCalls(m.probe.current, quiet), [{ limit: 1, got: 1 }], 'the quiet group starts at its head')
  t.same(groups.events, [], 'history is not replayed')

  gate.shut()
  const offline = waitEvent(m.client, 'state', (s) => s.state === 'offline')
  m.probe.drop()
  await offline
  const n = 150
  t.same(await sendTexts(o, busy, n, 'missed'), range(1, n))
  const synced = waitEvent(m.client, 'groupsSynced')
  gate.open()
  t.same(await synced, { groups: 2 })

  t.same(groups.seqs(busy), range(1, n), 'every missed message once, in seq order')
  t.same(groups.seqs(quiet), [], 'nothing new in the quiet group')
  t.ok(groups.events.every((e) => e.message.from === owner && e.message.body.length === 1))
  const sock = m.probe.current
  t.equal(sock.index, 1, 'the same client reconnected')
  // Pushes queued before the drop may still reach the new socket (the server flushes them
  // after a coalescing window), so some messages may come live: the pages then ask for less.
  const calls = historyCalls(sock, busy)
  const probes = calls.filter((c) => c.before === undefined)
  const pages = calls.filter((c) => c.before !== undefined)
  t.same(probes, [{ limit: 1, got: 1 }], 'one probe: the newest message')
  t.ok(pages.every((c) => c.got === c.limit && c.limit <= 100), 'each page asked for exactly the seqs still missing, and got them all')
  t.ok(pages.length <= 2, `pages of up to 100: ${pages.length}`)
  t.ok(pages.reduce((sum, c) => sum + c.got, 0) <= n, 'the pages carried no message twice and none that was not missed')
  t.same(historyCalls(sock, quiet), [{ limit: 1, got: 1 }], 'one request for the quiet group')
  t.equal(sock.out.filter((f) => f.op === 'groupJoined').length, 1, 'one groupJoined per login')
})

t.test('live: each of a member\'s devices gets every message once, in seq order; the sender\'s other device too', async (t) => {
  const p = pool(t)
  const owner = uid('o'), mem = uid('m')
  await importAccounts(server, owner, mem)
  const o1 = await member(p, owner, { platform: 'Web' })
  const id = await o1.client.createGroup({ type: 'Private', name: 'live', members: [mem] })
  const o2 = await member(p, owner, { platform: 'Android' })
  const m1 = await member(p, mem, { platform: 'Web' })
  const m2 = await member(p, mem, { platform: 'iOS' })

  const n = 40
  const sent: number[] = []
  for (let i = 0; i < n; i += 5) {
    // Five at a time: seqs are assigned in arrival order, not call order.
    const batch = await Promise.all(range(i, i + 4).map((k) => o1.client.sendGroupText(id, `live ${k}`)))
    sent.push(...batch.map((s) => s.seq))
  }
  t.same([...sent].sort((a, b) => a - b), range(1, n), 'stored at seqs 1..n')
  for (const [name, d] of [['m1', m1], ['m2', m2], ['o2', o2]] as const) {
    await d.groups.count(id, n)
    t.same(d.groups.seqs(id), range(1, n), `${name}: each message once, in seq order`)
  }
  t.ok(m1.probe.current.in.some((f) => f.op === 'gev'), 'they came as live pushes')
  const reply = await m1.client.sendGroupText(id, 'reply')
  await o1.groups.count(id, 1)
  t.same(o1.groups.seqs(id), [reply.seq], 'the sending device surfaced none of its own sends, only the reply')
  await m2.groups.count(id, n + 1)
  t.same(m1.groups.seqs(id), range(1, n), 'the replying device did not surface its own reply')
})

t.test('live and catch-up overlap across a reconnect: every message once, in order, at the cost of what was missed', async (t) => {
  const p = pool(t)
  const owner = uid('o'), mem = uid('m')
  await importAccounts(server, owner, mem)
  const o = await p.connect(owner)
  const id = await o.client.createGroup({ type: 'Private', name: 'overlap', members: [mem] })
  const gate = new SigGate(server.app)
  const m = await member(p, mem, { getUserSig: gate.sig(mem) })

  await sendTexts(o, id, 5, 'before')
  await m.groups.count(id, 5)
  t.same(m.groups.seqs(id), range(1, 5), 'live before the drop')

  gate.shut()
  const offline = waitEvent(m.client, 'state', (s) => s.state === 'offline')
  m.probe.drop()
  await offline
  await sendTexts(o, id, 5, 'offline')
  const synced = waitEvent(m.client, 'groupsSynced')
  gate.open()
  // Sent while the device logs in and catches up: each arrives live, by a page, or both.
  await sendTexts(o, id, 10, 'during')
  await synced
  await m.groups.count(id, 20)
  t.same(m.groups.seqs(id), range(1, 20), 'each message once, in seq order, across the drop')
  const calls = historyCalls(m.probe.current, id)
  t.same(calls.filter((c) => c.before === undefined), [{ limit: 1, got: 1 }], 'the login probed the group once')
  const pages = calls.filter((c) => c.before !== undefined)
  t.ok(pages.every((c) => c.before! > 6 && c.got <= c.limit), 'pages only above the cursor the device had (5)')
  const carried = pages.reduce((sum, c) => sum + c.got, 0)
  t.ok(carried <= 15, `the catch-up pages carried only missed messages (${carried} ≤ 15)`)
})
