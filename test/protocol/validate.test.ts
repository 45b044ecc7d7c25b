import t, { type Test } from 'tap'
import { bodyBytes } from '../../src/protocol/elements.js'
import { Platforms } from '../../src/model/platform.js'
import { type ClientFrame, type ClientOp } from '../../src/protocol/frames.js'
import { Limits } from '../../src/core/limits.js'
import type { MsgElement } from '../../src/model/message.js'
import { ClientOps, frameRid, parseClientFrame } from '../../src/protocol/validate.js'
import { isUserId } from '../../src/core/ids.js'
import { expectError } from './expectError.js'
import { groupOps, groupValidFrames } from './groupFrameFixtures.js'

const Code = {
  INVALID_PACKET: 20001,
  UNKNOWN_OP: 9002,
  BAD_MSGBODY: 90002,
  BAD_TO_ACCOUNT: 90003,
  BAD_MSG_RANDOM: 90005,
  LIFETIME_TOO_LONG: 90048,
  BODY_TOO_LARGE: 93000,
} as const

const text = (s: string): MsgElement => ({ MsgType: 'TIMTextElem', MsgContent: { Text: s } })

// Every op with its fields: the frame must come back equal (a full and a minimal form where
// the op has optional fields).
const validFrames: ClientFrame[] = [
  { op: 'login', rid: 1, sdkAppId: 1400000001, userId: 'alice', userSig: 'eJy...sig', platform: 'Web' },
  { op: 'ping' },
  { op: 'ping', rid: 0 },
  { op: 'guest', rid: 4, sdkAppId: 1400000000, groupId: '@TGS#ROOM' },
  { op: 'sync', rid: 2, sh: 0, after: 0 },
  { op: 'sync', rid: 2, sh: Limits.convShards - 1, after: 17, limit: Limits.maxPageSize },
  { op: 'send', rid: 3, to: 'bob', body: [text('hi')] },
  {
    op: 'send', rid: 3, to: 'bob', body: [text('hi'), { MsgType: 'TIMCustomElem', MsgContent: { Data: '{}' } }],
    random: 0xffffffff, msgSeq: 0, cloudCustomData: 'cc', syncOtherMachine: 2, lifeTime: Limits.maxLifeTimeSeconds,
    onlineOnly: false, needReadReceipt: true, noUnread: true, noLastMsg: false,
  },
  { op: 'history', rid: 4, peer: 'bob' },
  { op: 'history', rid: 4, peer: 'bob', before: 100, limit: 1 },
  { op: 'recall', rid: 5, peer: 'bob', msgKey: '48374_2837546_1557481126' },
  { op: 'read', rid: 6, peer: 'bob' },
  { op: 'read', rid: 6, peer: 'bob', seq: 9 },
  { op: 'receipt', rid: 7, peer: 'bob', msgKeys: ['1_2_3', '4_5_6'] },
  { op: 'convs', rid: 8 },
  { op: 'pin', rid: 9, peer: 'bob', pinned: true },
  { op: 'deleteConv', rid: 10, peer: 'bob' },
  { op: 'deleteConv', rid: 10, peer: 'bob', clearHistory: true },
  { op: 'logout', rid: Number.MAX_SAFE_INTEGER },
  ...groupValidFrames,
]

t.test('every op of the ClientFrame union has a valid frame in the table', async (t) => {
  const expected: ClientOp[] = [
    'login', 'ping', 'guest', 'sync', 'send', 'history', 'recall', 'read', 'receipt', 'convs', 'pin', 'deleteConv', 'logout',
    ...groupOps,
  ]
  t.same([...ClientOps].sort(), [...expected].sort())
  t.same(new Set(validFrames.map((f) => f.op)), new Set(ClientOps))
})

t.test("every op's valid frame passes and comes back equal", async (t) => {
  for (const frame of validFrames) {
    const out = parseClientFrame(structuredClone(frame))
    t.same(out, frame, `${frame.op} ${JSON.stringify(frame).length}`)
    t.same(Object.keys(out).sort(), Object.keys(frame).sort(), `${frame.op}: no extra keys`)
  }
})

t.test('every platform is accepted', async (t) => {
  for (const platform of Platforms) {
    const f = { op: 'login', rid: 1, sdkAppId: 1, userId: 'u', userSig: 's', platform }
    t.same(parseClientFrame(f), f, platform)
  }
})

t.test('unknown top-level keys are stripped; null reads as absent', async (t) => {
  t.same(parseClientFrame({ op: 'convs', rid: 1, admin: true, __proto__x: 1 }), { op: 'convs', rid: 1 })
  t.same(
    parseClientFrame({ op: 'history', rid: 1, peer: 'bob', before: null, limit: null, peerRead: true }),
    { op: 'history', rid: 1, peer: 'bob' },
  )
  t.same(
    parseClientFrame({ op: 'send', rid: 1, to: 'bob', body: [{ ...text('x'), Junk: 1 }], from: 'mallory' }),
    { op: 'send', rid: 1, to: 'bob', body: [text('x')] },
  )
})

t.test('the frame and its op', async (t) => {
  const cases: Array<[unknown, number, string]> = [
    [null, Code.INVALID_PACKET, 'frame'],
    [[{ op: 'ping' }], Code.INVALID_PACKET, 'frame'],
    ['ping', Code.INVALID_PACKET, 'frame'],
    [new Map([['op', 'ping']]), Code.INVALID_PACKET, 'frame'],
    [{ rid: 1 }, Code.UNKNOWN_OP, 'op'],
    [{ op: 'shout', rid: 1 }, Code.UNKNOWN_OP, 'op: "shout"'],
    [{ op: 'toString', rid: 1 }, Code.UNKNOWN_OP, 'op'],
    [{ op: 'Login', rid: 1 }, Code.UNKNOWN_OP, 'op'],
    [{ op: 7, rid: 1 }, Code.UNKNOWN_OP, 'op'],
    [{ op: 'res', rid: 1, ok: true }, Code.UNKNOWN_OP, 'op'],
  ]
  for (const [raw, code, field] of cases) expectError(t, () => parseClientFrame(raw), code, field)
})

// Field classes. Each row: [frame, expected code, field named in the detail].
const base = {
  login: { op: 'login', rid: 1, sdkAppId: 1400000001, userId: 'alice', userSig: 'sig', platform: 'iOS' },
  send: { op: 'send', rid: 1, to: 'bob', body: [text('hi')] },
}
const invalidFrames: Array<[Record<string, unknown>, number, string]> = [
  // rid: required (except ping), non-negative safe integer
  [{ op: 'convs' }, Code.INVALID_PACKET, 'rid: required'],
  [{ op: 'sync', rid: -1, sh: 0, after: 0 }, Code.INVALID_PACKET, 'rid'],
  [{ op: 'sync', rid: 1.5, sh: 0, after: 0 }, Code.INVALID_PACKET, 'rid'],
  [{ op: 'sync', rid: '1', sh: 0, after: 0 }, Code.INVALID_PACKET, 'rid'],
  [{ op: 'logout', rid: 2 ** 53 }, Code.INVALID_PACKET, 'rid'],
  [{ op: 'ping', rid: 'x' }, Code.INVALID_PACKET, 'rid'],
  [{ op: 'guest', rid: 1, sdkAppId: 1400000000 }, 10004, 'groupId'],
  [{ op: 'guest', rid: 1, sdkAppId: 1400000000, groupId: 'a\u0001b' }, 10015, 'groupId'],
  [{ op: 'guest', rid: 1, groupId: 'room' }, Code.INVALID_PACKET, 'sdkAppId'],
  // login
  [{ ...base.login, sdkAppId: '1400000001' }, Code.INVALID_PACKET, 'sdkAppId'],
  [{ ...base.login, sdkAppId: 0 }, Code.INVALID_PACKET, 'sdkAppId'],
  [{ ...base.login, sdkAppId: undefined }, Code.INVALID_PACKET, 'sdkAppId: required'],
  [{ ...base.login, userId: '' }, Code.INVALID_PACKET, 'userId'],
  [{ ...base.login, userId: 'a'.repeat(33) }, Code.INVALID_PACKET, 'userId'],
  [{ ...base.login, userId: 'al ice' }, Code.INVALID_PACKET, 'userId'],
  [{ ...base.login, userId: 'alicé' }, Code.INVALID_PACKET, 'userId'],
  [{ ...base.login, userId: 'a\nb' }, Code.INVALID_PACKET, 'userId'],
  [{ ...base.login, userId: 42 }, Code.INVALID_PACKET, 'userId'],
  [{ ...base.login, userSig: 5 }, Code.INVALID_PACKET, 'userSig'],
  [{ ...base.login, userSig: undefined }, Code.INVALID_PACKET, 'userSig: required'],
  [{ ...base.login, platform: 'BeOS' }, Code.INVALID_PACKET, 'platform'],
  [{ ...base.login, platform: 'web' }, Code.INVALID_PACKET, 'platform'],
  // cursors and page limits
  [{ op: 'sync', rid: 1, sh: 0 }, Code.INVALID_PACKET, 'after: required'],
  [{ op: 'sync', rid: 1, after: 0 }, Code.INVALID_PACKET, 'sh: required'],
  [{ op: 'sync', rid: 1, sh: -1, after: 0 }, Code.INVALID_PACKET, 'sh'],
  [{ op: 'sync', rid: 1, sh: Limits.convShards, after: 0 }, Code.INVALID_PACKET, 'sh'],
  [{ op: 'sync', rid: 1, sh: 0.5, after: 0 }, Code.INVALID_PACKET, 'sh'],
  [{ op: 'sync', rid: 1, sh: 0, after: -1 }, Code.INVALID_PACKET, 'after'],
  [{ op: 'sync', rid: 1, sh: 0, after: 0, limit: 0 }, Code.INVALID_PACKET, 'limit'],
  [{ op: 'sync', rid: 1, sh: 0, after: 0, limit: Limits.maxPageSize + 1 }, Code.INVALID_PACKET, 'limit'],
  [{ op: 'history', rid: 1, peer: 'bob', limit: 2.5 }, Code.INVALID_PACKET, 'limit'],
  [{ op: 'history', rid: 1, peer: 'bob', limit: '20' }, Code.INVALID_PACKET, 'limit'],
  [{ op: 'history', rid: 1, peer: 'bob', before: -5 }, Code.INVALID_PACKET, 'before'],
  [{ op: 'read', rid: 1, peer: 'bob', seq: 'x' }, Code.INVALID_PACKET, 'seq'],
  // peer ids
  [{ op: 'history', rid: 1 }, Code.INVALID_PACKET, 'peer: required'],
  [{ op: 'history', rid: 1, peer: '' }, Code.INVALID_PACKET, 'peer'],
  [{ op: 'pin', rid: 1, peer: 7, pinned: true }, Code.INVALID_PACKET, 'peer'],
  [{ op: 'read', rid: 1, peer: 'x'.repeat(33) }, Code.INVALID_PACKET, 'peer'],
  // booleans
  [{ op: 'pin', rid: 1, peer: 'bob' }, Code.INVALID_PACKET, 'pinned: required'],
  [{ op: 'pin', rid: 1, peer: 'bob', pinned: 1 }, Code.INVALID_PACKET, 'pinned'],
  [{ op: 'deleteConv', rid: 1, peer: 'bob', clearHistory: 'true' }, Code.INVALID_PACKET, 'clearHistory'],
  [{ ...base.send, onlineOnly: 1 }, Code.INVALID_PACKET, 'onlineOnly'],
  [{ ...base.send, needReadReceipt: 'yes' }, Code.INVALID_PACKET, 'needReadReceipt'],
  [{ ...base.send, noUnread: 0 }, Code.INVALID_PACKET, 'noUnread'],
  [{ ...base.send, noLastMsg: [] }, Code.INVALID_PACKET, 'noLastMsg'],
  // message keys
  [{ op: 'recall', rid: 1, peer: 'bob' }, Code.INVALID_PACKET, 'msgKey: required'],
  [{ op: 'recall', rid: 1, peer: 'bob', msgKey: '' }, Code.INVALID_PACKET, 'msgKey'],
  [{ op: 'recall', rid: 1, peer: 'bob', msgKey: 'k'.repeat(51) }, Code.INVALID_PACKET, 'msgKey'],
  [{ op: 'receipt', rid: 1, peer: 'bob' }, Code.INVALID_PACKET, 'msgKeys: required'],
  [{ op: 'receipt', rid: 1, peer: 'bob', msgKeys: '1_2_3' }, Code.INVALID_PACKET, 'msgKeys'],
  [{ op: 'receipt', rid: 1, peer: 'bob', msgKeys: [] }, Code.INVALID_PACKET, 'msgKeys'],
  [{ op: 'receipt', rid: 1, peer: 'bob', msgKeys: Array.from({ length: 101 }, (_, i) => `${i}_1_1`) }, Code.INVALID_PACKET, 'msgKeys'],
  [{ op: 'receipt', rid: 1, peer: 'bob', msgKeys: ['1_2_3', 4] }, Code.INVALID_PACKET, 'msgKeys[1]'],
  // send: to, body, u32s, enums, lifeTime, strings
  [{ ...base.send, to: undefined }, Code.BAD_TO_ACCOUNT, 'to: required'],
  [{ ...base.send, to: 42 }, Code.BAD_TO_ACCOUNT, 'to'],
  [{ ...base.send, to: '' }, Code.BAD_TO_ACCOUNT, 'to'],
  [{ ...base.send, to: 'b'.repeat(33) }, Code.BAD_TO_ACCOUNT, 'to'],
  [{ ...base.send, body: undefined }, Code.BAD_MSGBODY, 'body'],
  [{ ...base.send, body: [] }, Code.BAD_MSGBODY, 'body'],
  [{ ...base.send, body: [{ MsgType: 'TIMTextElem', MsgContent: { Text: 1 } }] }, Code.BAD_MSGBODY, 'body[0].MsgContent.Text'],
  [{ ...base.send, random: -1 }, Code.BAD_MSG_RANDOM, 'random'],
  [{ ...base.send, random: 2 ** 32 }, Code.BAD_MSG_RANDOM, 'random'],
  [{ ...base.send, random: '7' }, Code.BAD_MSG_RANDOM, 'random'],
  [{ ...base.send, msgSeq: 2 ** 32 }, Code.INVALID_PACKET, 'msgSeq'],
  [{ ...base.send, msgSeq: 0.5 }, Code.INVALID_PACKET, 'msgSeq'],
  [{ ...base.send, syncOtherMachine: 3 }, Code.INVALID_PACKET, 'syncOtherMachine'],
  [{ ...base.send, syncOtherMachine: '1' }, Code.INVALID_PACKET, 'syncOtherMachine'],
  [{ ...base.send, lifeTime: Limits.maxLifeTimeSeconds + 1 }, Code.LIFETIME_TOO_LONG, 'lifeTime'],
  [{ ...base.send, lifeTime: -1 }, Code.INVALID_PACKET, 'lifeTime'],
  [{ ...base.send, lifeTime: 1.5 }, Code.INVALID_PACKET, 'lifeTime'],
  [{ ...base.send, lifeTime: '60' }, Code.INVALID_PACKET, 'lifeTime'],
  [{ ...base.send, cloudCustomData: 5 }, Code.INVALID_PACKET, 'cloudCustomData'],
]

t.test('wrong values for each field class fail with the right code, naming the field', async (t) => {
  for (const [frame, code, field] of invalidFrames) expectError(t, () => parseClientFrame(frame), code, field)
})

t.test('send enforces the 12 KB limit on body plus cloudCustomData', async (t) => {
  const overhead = bodyBytes([text('')])
  const body = [text('x'.repeat(Limits.messageBodyBytes - overhead - 4))]
  const atLimit = { ...base.send, body, cloudCustomData: 'abcd' }
  t.same(parseClientFrame(structuredClone(atLimit)), atLimit)
  expectError(t, () => parseClientFrame({ ...atLimit, cloudCustomData: 'abcde' }), Code.BODY_TOO_LARGE, '12289 bytes')
})

t.test('the result shares no objects with the input', async (t) => {
  const raw = { op: 'receipt', rid: 1, peer: 'bob', msgKeys: ['1_2_3'] }
  const out = parseClientFrame(raw)
  t.not(out, raw)
  t.not((out as { msgKeys: string[] }).msgKeys, raw.msgKeys)
  const send = { ...base.send, body: [text('hi')] }
  const sent = parseClientFrame(send) as { body: MsgElement[] }
  t.not(sent.body, send.body)
  t.not(sent.body[0], send.body[0])
})

t.test('isUserId: 1..32 printable ASCII characters without space', async (t) => {
  t.ok(isUserId('a'))
  t.ok(isUserId('x'.repeat(32)))
  t.ok(isUserId('user_1-@example.com#~'))
  t.notOk(isUserId(''))
  t.notOk(isUserId('x'.repeat(33)))
  t.notOk(isUserId('a b'))
  t.notOk(isUserId('ü'))
  t.notOk(isUserId('a\u007f'))
  t.notOk(isUserId(1))
})

t.test('frameRid returns a safe-integer rid of any raw frame, else undefined', async (t) => {
  t.equal(frameRid({ op: 'nonsense', rid: 5 }), 5)
  t.equal(frameRid({ rid: 0 }), 0)
  t.equal(frameRid({ rid: -3 }), -3)
  t.equal(frameRid({ rid: 1.5 }), undefined)
  t.equal(frameRid({ rid: '5' }), undefined)
  t.equal(frameRid({ rid: 2 ** 53 }), undefined)
  t.equal(frameRid({ op: 'ping' }), undefined)
  t.equal(frameRid([5]), undefined)
  t.equal(frameRid(null), undefined)
  t.equal(frameRid(5), undefined)
})
