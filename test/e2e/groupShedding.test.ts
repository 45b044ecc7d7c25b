/**
 * Priority shedding over real sockets. The server runs as its own process so the test can
 * read its structured log, where each move of a socket between shed tiers is a line (the
 * test's only view of a tier, the same one an operator has). An AVChatRoom with a fast
 * member and a slow one whose client stops reading (its TCP socket paused): the owner floods
 * the room with every priority plus tips and leaves until the server has moved the slow
 * socket to the last tier; then the slow client reads again. It must have every High message
 * and every non-message event, in order, the lower priorities shed first; the fast member
 * everything; and the slow socket stays open. A member that never reads again is closed with
 * 4100, even on the last tier.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { mintUserSigV2 } from '../../src/services/auth/usersigV2.js'
import { loadConfig } from '../../src/node/config/load.js'
import { type Frame, GroupMember } from '../helpers/groupMember.js'
import { ServerLog } from '../helpers/serverLog.js'
import { testApp, type TestServer } from '../helpers/server.js'
import { freePort, type ServerProcess, spawnServer } from '../helpers/serverProcess.js'
import { Rest } from '../rest/fixtures/rest.js'

/**
 * The backpressure limit. The first sign of a stalled reader is the gateway's once-a-second
 * sweep (later checks come before every flush), so the limit must hold several seconds of
 * this test's traffic to one socket (about 6 MB/s of 8 KB messages here).
 */
const LIMIT = 24 * 1024 * 1024
/** Message text size, bytes: big messages fill the kernel's socket buffers (~4 MB) sooner. */
const PAD = 'x'.repeat(8 * 1024)
/** No flood goes on for ever: far above what the limit plus the kernel's buffers (~4 MB) take. */
const MAX_SENDS = 20_000
const Priorities = ['Lowest', 'Low', 'Normal', 'Lowest', 'High', 'Low', 'Lowest', 'Normal'] as const
type Priority = (typeof Priorities)[number]
const Rank: Record<Priority, number> = { Lowest: 0, Low: 1, Normal: 2, High: 3 }

const app = testApp()
const dataDir = mkdtempSync(join(tmpdir(), 'parley-shed-'))
let srv: ServerProcess
let server: TestServer
let rest: Rest
let log: ServerLog

t.before(async () => {
  const port = await freePort()
  srv = await spawnServer({
    dataDir, port, apps: [app],
    env: { PARLEY_MAX_BACKPRESSURE: String(LIMIT), PARLEY_GROUP_MSG_RATE: '1000000', PARLEY_LOG_LEVEL: 'info' },
  })
  log = new ServerLog(srv.proc.stderr!)
  const sig = (userId: string, expireSec = 3600) =>
    mintUserSigV2({ sdkAppId: app.sdkAppId, key: app.secretKey, userId, expireSec, nowSec: Math.floor(Date.now() / 1000) })
  server = {
    url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`, port, app, dataDir,
    config: loadConfig({ env: {} }), adminSig: () => sig(app.admins[0]), userSig: sig, stop: () => srv.stop(),
  }
  rest = new Rest(server)
})
t.teardown(async () => {
  await srv?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

const login = (userId: string, json = false) => GroupMember.loginTo(server, userId, { json })
const socketOf = (m: GroupMember) => (m.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket

/** What the owner sent, in order: messages by index and priority, and the events it caused. */
type Sent = { kind: 'msg'; n: number; priority: Priority } | { kind: 'tip'; intro: string } | { kind: 'leave'; account: string }

/** One received event as a comparable key; the same key for what was sent. */
function keyOf(e: Frame): string {
  if (e.type === 'groupLeave') return `leave:${e.accounts.join(',')}`
  if (e.type !== 'groupMsg') return `${e.type}`
  const c = e.msg.body[0].MsgContent
  if (e.msg.from === '@TIM#SYSTEM') return c.OpType === 6 ? `tip:${c.GroupInfo.Introduction}` : `tip-op${c.OpType}:${(c.MemberList ?? []).join(',')}`
  return `msg:${String(c.Text).split('|')[0]}`
}

/** Tier moves that only ever went down. */
function downOnly(tiers: number[]): boolean {
  return tiers.every((x, i) => i === 0 || x > tiers[i - 1])
}

function sentKey(s: Sent): string {
  return s.kind === 'msg' ? `msg:m${s.n}` : s.kind === 'tip' ? `tip:${s.intro}` : `leave:${s.account}`
}

/** The owner's room traffic: messages of every priority, a profile tip now and then, leaves on demand. */
class Flood {
  readonly sent: Sent[] = []
  private n = 0

  constructor(private readonly owner: GroupMember, private readonly groupId: string) {}

  async message(priority: Priority): Promise<void> {
    const n = this.n++
    const r = await this.owner.request('groupSend', { groupId: this.groupId, priority, body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: `m${n}|${PAD}` } }] })
    if (r.ok !== true) throw new Error(`groupSend ${n}: ${JSON.stringify(r)}`)
    this.sent.push({ kind: 'msg', n, priority })
  }

  async tip(): Promise<void> {
    const intro = `intro ${this.n}`
    const r = await this.owner.request('groupModify', { groupId: this.groupId, introduction: intro })
    if (r.ok !== true) throw new Error(`groupModify: ${JSON.stringify(r)}`)
    this.sent.push({ kind: 'tip', intro })
  }

  async leave(m: GroupMember): Promise<void> {
    const r = await m.request('groupQuit', { groupId: this.groupId })
    if (r.ok !== true) throw new Error(`groupQuit: ${JSON.stringify(r)}`)
    this.sent.push({ kind: 'leave', account: m.userId })
  }

  /** One round: a message of each priority in the pattern, and a tip every 8 rounds. */
  async round(i: number): Promise<void> {
    for (const p of Priorities) await this.message(p)
    if (i % 8 === 0) await this.tip()
  }
}

/** An AVChatRoom, its owner and `n` members, all online and in the room; `json`: members speaking JSON text. */
async function room(n: number, json: (i: number) => boolean = () => false): Promise<{ groupId: string; owner: GroupMember; members: GroupMember[] }> {
  const [ownerId, ...ids] = await rest.newUsers(1 + n)
  const groupId = await rest.createGroup('AVChatRoom', ownerId, [])
  const owner = await login(ownerId)
  const members = await Promise.all(ids.map((id, i) => login(id, json(i))))
  for (const m of members) {
    const r = await m.request('groupApply', { groupId })
    if (r.ok !== true) throw new Error(`groupApply: ${JSON.stringify(r)}`)
  }
  return { groupId, owner, members }
}

t.test('a slow member sheds the lowest priorities first, keeps every High message and event, and stays', async (t) => {
  t.setTimeout(240_000)
  // The slow member speaks JSON text (its tier topics are the `json:` ones), the others msgpack.
  const { groupId, owner, members: [fast, slow, quitter1, quitter2] } = await room(4, (i) => i === 1)
  t.teardown(() => { for (const m of [owner, fast, slow, quitter1, quitter2]) m.ws.terminate() })
  const flood = new Flood(owner, groupId)
  const closed = new Promise<never>((_, reject) => slow.ws.once('close', (code) => reject(new Error(`the slow socket was closed (${code}); tiers ${log.tiers(slow.userId)}`))))
  closed.catch(() => {})
  socketOf(slow).pause()

  // Flood until the log shows the slow socket on the last tier; a leave on the way.
  let rounds = 0
  while (!log.tiers(slow.userId).includes(3)) {
    if (flood.sent.length > MAX_SENDS) throw new Error(`no tier 3 after ${flood.sent.length} sends; tiers ${log.tiers(slow.userId)}`)
    await flood.round(rounds++)
    if (rounds === 20) await flood.leave(quitter1)
  }
  const onLastTier = flood.sent.length
  t.ok(downOnly(log.tiers(slow.userId)), `the slow socket only moved down while it read nothing: ${log.tiers(slow.userId)}`)
  // Everything from here on is published while the slow socket is on tier 3.
  await flood.round(1)
  await flood.leave(quitter2)
  await flood.round(2)
  await flood.message('High')
  const fence = `msg:m${(flood.sent.at(-1) as { n: number }).n}`
  const want = flood.sent.map(sentKey)

  await fast.until(() => fast.events.some((e) => keyOf(e) === fence))
  const fastGot = fast.events.map(keyOf).filter((k) => !k.startsWith('tip-op'))
  t.same(fastGot, want, `the fast member got all ${want.length} messages and events, in order`)

  socketOf(slow).resume()
  await Promise.race([slow.until(() => slow.events.some((e) => keyOf(e) === fence)), closed])
  const got = slow.events.map(keyOf).filter((k) => !k.startsWith('tip-op'))
  const delivered = new Set(got)
  t.same(got, want.filter((k) => delivered.has(k)), 'the slow member got a subsequence of what was sent: nothing twice, nothing out of order')
  const missed = (s: Sent) => !delivered.has(sentKey(s))
  t.same(flood.sent.filter((s) => s.kind !== 'msg' || s.priority === 'High').filter(missed), [], 'every High message, tip and leave reached it')
  // Shed in priority order: past the first shed message of a priority, no message of that
  // priority or a lower one arrives (the tier only goes down while the socket reads nothing).
  for (const p of ['Lowest', 'Low', 'Normal'] as const) {
    const from = flood.sent.findIndex((s) => s.kind === 'msg' && s.priority === p && missed(s))
    t.ok(from >= 0, `some ${p} messages were shed`)
    const late = flood.sent.slice(from).filter((s) => s.kind === 'msg' && Rank[s.priority] <= Rank[p] && !missed(s))
    t.same(late, [], `after the first shed ${p} message (send ${from}) no message of priority ${p} or lower arrived`)
  }
  t.same(flood.sent.slice(onLastTier).filter((s) => s.kind === 'msg' && s.priority !== 'High' && !missed(s)), [], 'on the last tier only High messages and events arrive')

  await Promise.race([log.until(() => log.tiers(slow.userId).at(-1) === 0), closed])
  t.equal(log.tiers(slow.userId).at(-1), 0, 'once it read again its socket went back to the full tier')
  const convs = await slow.request('convs')
  t.equal(convs.ok, true, 'the slow member was never closed: it still gets answers')
})

t.test('a member that never reads again is closed with 4100, though it sheds all it may', async (t) => {
  t.setTimeout(240_000)
  const { groupId, owner, members: [fast, slow] } = await room(2)
  t.teardown(() => { for (const m of [owner, fast, slow]) m.ws.terminate() })
  const flood = new Flood(owner, groupId)
  const closed = new Promise<number>((resolve) => slow.ws.once('close', (code) => resolve(code)))
  socketOf(slow).pause()
  // High messages are never shed: the buffer passes every tier, then the limit. Until the
  // server has ended the socket (its user shows offline), then read again at once: uWS gives
  // an ended socket a grace period to send its close frame.
  const online = async () => (await rest.ok('openim/query_online_status', { To_Account: [slow.userId] })).QueryResult[0].Status === 'Online'
  while (flood.sent.length % 50 !== 0 || await online()) {
    if (flood.sent.length > MAX_SENDS) throw new Error(`still online after ${flood.sent.length} sends; tiers ${log.tiers(slow.userId)}`)
    await flood.message('High')
  }
  socketOf(slow).resume()
  t.equal(await closed, 4100, `closed as a slow consumer after ${flood.sent.length} messages`)
  const tiers = log.tiers(slow.userId)
  t.ok(tiers.at(-1) === 3 && downOnly(tiers), `after moving down to the last tier: ${tiers}`)
  await log.until(() => log.lines.some((l) => l.msg === 'slow consumer closed (4100)' && l.user === slow.userId))
  const line = log.lines.find((l) => l.msg === 'slow consumer closed (4100)' && l.user === slow.userId)!
  t.match(line, { level: 'warn', app: app.sdkAppId, node: String, thread: Number }, 'the close is logged as a warning, with node, thread and user')
  t.ok((line.bufferedBytes as number) > LIMIT, `with the bytes it had buffered (${line.bufferedBytes})`)
  const last = `msg:m${(flood.sent.at(-1) as { n: number }).n}`
  await fast.until(() => fast.events.some((e) => keyOf(e) === last))
  t.equal(fast.messages(groupId).length, flood.sent.length, 'the fast member got every message meanwhile')
})
