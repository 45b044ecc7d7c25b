import { createRequire } from 'node:module'
import t, { type Test } from 'tap'
import { ParleyError, type ErrorName } from '../../src/core/errors.js'
import { MAX_TOKEN_CHARS } from '../../src/services/auth/envelope.js'
import { mintUserSigV1 } from '../../src/services/auth/usersigV1.js'
import { mintUserSigV2, peekUserSig, verifyUserSigV2, type V2Expect } from '../../src/services/auth/usersigV2.js'
import { generateKeyPairSync } from 'node:crypto'
import { ALL_V2_VECTORS, KEY_A, KEY_B, V1, V2, V3, V4, rawDoc, rawToken, type V2Vector } from './fixtures/vectors.js'

// The official signer is CommonJS without types; createRequire lets us type the slice we use.
interface OfficialApi {
  genUserSig(userid: string, expire: number): string
  genPrivateMapKey(userid: string, expire: number, roomid: number, privilegeMap: number): string
  genPrivateMapKeyWithStringRoomID(userid: string, expire: number, roomstr: string, privilegeMap: number): string
}
const official = createRequire(import.meta.url)('tls-sig-api-v2') as {
  Api: new (sdkappid: number, key: string) => OfficialApi
}

const expectOf = (v: V2Vector, nowSec = v.time): V2Expect =>
  ({ sdkAppId: v.sdkAppId, userId: v.userId, key: v.key, nowSec })

function failsWith(t: Test, fn: () => unknown, name: ErrorName, msg: string): void {
  t.throws(fn, { errorName: name, code: new ParleyError(name).code }, msg)
}

/** Runs `fn` with `Date.now` returning `sec * 1000`, as the official vectors were produced. */
function atClock<T>(sec: number, fn: () => T): T {
  const real = Date.now
  Date.now = () => sec * 1000
  try {
    return fn()
  } finally {
    Date.now = real
  }
}

const nowSec = () => Math.floor(Date.now() / 1000)

t.test('every reference vector verifies at its time and at its last valid second', async (t) => {
  for (const v of ALL_V2_VECTORS) {
    t.same(verifyUserSigV2(v.token, expectOf(v)), { time: v.time, expire: v.expire }, `${v.name} at time`)
    t.same(verifyUserSigV2(v.token, expectOf(v, v.time + v.expire)), { time: v.time, expire: v.expire },
      `${v.name} at time+expire`)
    failsWith(t, () => verifyUserSigV2(v.token, expectOf(v, v.time + v.expire + 1)), 'SIG_EXPIRED',
      `${v.name} one second after expiry`)
  }
  failsWith(t, () => verifyUserSigV2(V1.token, expectOf(V1, 1715552001)), 'SIG_EXPIRED', 'V1 at 1715552001')
  t.same(verifyUserSigV2(V1.token, expectOf(V1, 1715552000)), { time: 1700000000, expire: 15552000 })
})

t.test('the vectors decode to the documented JSON', async (t) => {
  t.equal(
    JSON.stringify(rawDoc(V1.token)),
    '{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.time":1700000000,' +
      '"TLS.expire":15552000,"TLS.sig":"LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4="}',
  )
  for (const v of ALL_V2_VECTORS) t.equal(rawDoc(v.token)['TLS.sig'], v.sig, `${v.name} sig`)
  t.equal(rawDoc(V4.token)['TLS.userbuf'], V4.userbuf)
})

t.test('minting reproduces V1, V2, V3 and V4 byte for byte', async (t) => {
  for (const v of [V1, V2, V3, V4]) {
    const userbuf = v.userbuf === undefined ? undefined : Buffer.from(v.userbuf, 'base64')
    const minted = mintUserSigV2({
      sdkAppId: v.sdkAppId, key: v.key, userId: v.userId, expireSec: v.expire, nowSec: v.time, userbuf,
    })
    t.equal(minted, v.token, v.name)
  }
})

t.test('tokens minted by the official package verify', async (t) => {
  const api = new official.Api(1400000000, KEY_A)
  const plain = api.genUserSig('alice', 86400)
  const mapKey = api.genPrivateMapKey('alice', 300, 10000, 255)
  const strRoom = api.genPrivateMapKeyWithStringRoomID('alice', 300, 'room-42', 42)
  const now = nowSec()
  for (const [name, token, expire] of [['genUserSig', plain, 86400], ['genPrivateMapKey', mapKey, 300],
    ['genPrivateMapKeyWithStringRoomID', strRoom, 300]] as const) {
    const r = verifyUserSigV2(token, { sdkAppId: 1400000000, userId: 'alice', key: KEY_A, nowSec: now })
    t.equal(r.expire, expire, `${name} verifies`)
    t.ok(r.time <= now && r.time >= now - 1, `${name} time is the mint clock`)
  }
})

t.test('minting matches the official package at a pinned clock', async (t) => {
  const cases: Array<[number, string, string, number, number]> = [
    [1400000000, KEY_A, 'xiaojun', 86400 * 180, 1600000000],
    [1, 'k', 'a', 1, 0],
    [4294967295, 'clé-ünïcode-key', '用户-😀', 3600, 1999999999],
    [1400123456, KEY_B, 'quote"back\\slash', 10, 1735689600],
  ]
  for (const [sdkAppId, key, userId, expireSec, at] of cases) {
    const theirs = atClock(at, () => new official.Api(sdkAppId, key).genUserSig(userId, expireSec))
    t.equal(mintUserSigV2({ sdkAppId, key, userId, expireSec, nowSec: at }), theirs, `${userId}@${sdkAppId}`)
    t.same(verifyUserSigV2(theirs, { sdkAppId, userId, key, nowSec: at }), { time: at, expire: expireSec })
  }
  const theirs = atClock(1700000000, () =>
    new official.Api(1400000000, KEY_A).genPrivateMapKeyWithStringRoomID('bob', 600, 'lobby', 255))
  const userbuf = Buffer.from(rawDoc(theirs)['TLS.userbuf'] as string, 'base64')
  t.equal(mintUserSigV2({ sdkAppId: 1400000000, key: KEY_A, userId: 'bob', expireSec: 600, nowSec: 1700000000, userbuf }),
    theirs, 'with userbuf')
})

t.test('decoding accepts any zlib level, key order and trailing whitespace', async (t) => {
  const doc = rawDoc(V1.token)
  for (let level = 0; level <= 9; level++) {
    t.ok(verifyUserSigV2(rawToken(JSON.stringify(doc), level), expectOf(V1)), `level ${level}`)
  }
  const reversed = Object.fromEntries(Object.entries(doc).reverse())
  t.ok(verifyUserSigV2(rawToken(JSON.stringify(reversed)), expectOf(V1)), 'reversed keys')
  t.ok(verifyUserSigV2(rawToken(`${JSON.stringify(doc, null, 2)} \r\n\t`), expectOf(V1)), 'pretty + whitespace')
})

t.test('signatures are compared as bytes, not as text', async (t) => {
  // The last base64 digit of a 32-byte MAC carries 2 unused bits: '4' and '5' decode to the same bytes.
  const doc = { ...rawDoc(V1.token), 'TLS.sig': V1.sig.replace(/4=$/, '5=') }
  t.not(doc['TLS.sig'], V1.sig)
  t.ok(verifyUserSigV2(rawToken(JSON.stringify(doc)), expectOf(V1)))
})

t.test('tampering fails with 70009', async (t) => {
  const doc = rawDoc(V1.token)
  const sig = V1.sig
  for (const i of [0, 10, 20, 42]) {
    const flipped = sig.slice(0, i) + (sig[i] === 'A' ? 'B' : 'A') + sig.slice(i + 1)
    failsWith(t, () => verifyUserSigV2(rawToken(JSON.stringify({ ...doc, 'TLS.sig': flipped })), expectOf(V1)),
      'SIG_BAD_SIGNATURE', `sig char ${i} flipped`)
  }
  const longer = rawToken(JSON.stringify({ ...doc, 'TLS.expire': 15552001 }))
  failsWith(t, () => verifyUserSigV2(longer, expectOf(V1)), 'SIG_BAD_SIGNATURE', 'expire extended')
  const later = rawToken(JSON.stringify({ ...doc, 'TLS.time': 1700000001 }))
  failsWith(t, () => verifyUserSigV2(later, expectOf(V1)), 'SIG_BAD_SIGNATURE', 'time moved')
  const other = rawToken(JSON.stringify({ ...doc, 'TLS.identifier': 'mallory' }))
  failsWith(t, () => verifyUserSigV2(other, { ...expectOf(V1), userId: 'mallory' }), 'SIG_BAD_SIGNATURE',
    'identifier replaced')
  const app = rawToken(JSON.stringify({ ...doc, 'TLS.sdkappid': 1400000001 }))
  failsWith(t, () => verifyUserSigV2(app, { ...expectOf(V1), sdkAppId: 1400000001 }), 'SIG_BAD_SIGNATURE',
    'sdkappid replaced')
  const withBuf = rawToken(JSON.stringify({ ...doc, 'TLS.userbuf': 'AAAA' }))
  failsWith(t, () => verifyUserSigV2(withBuf, expectOf(V1)), 'SIG_BAD_SIGNATURE', 'userbuf added')
  const v4 = rawDoc(V4.token)
  const noBuf = rawToken(JSON.stringify({ ...v4, 'TLS.userbuf': undefined }))
  failsWith(t, () => verifyUserSigV2(noBuf, expectOf(V4)), 'SIG_BAD_SIGNATURE', 'userbuf removed')
  const shortSig = rawToken(JSON.stringify({ ...doc, 'TLS.sig': sig.slice(0, 40) }))
  failsWith(t, () => verifyUserSigV2(shortSig, expectOf(V1)), 'SIG_BAD_SIGNATURE', 'sig of another length')
})

t.test('wrong app, user and key fail with their codes, in the documented order', async (t) => {
  failsWith(t, () => verifyUserSigV2(V1.token, { ...expectOf(V1), sdkAppId: 1400000001 }), 'SIG_APP_MISMATCH', 'app')
  failsWith(t, () => verifyUserSigV2(V1.token, { ...expectOf(V1), userId: 'Xiaojun' }), 'SIG_USER_MISMATCH', 'user')
  failsWith(t, () => verifyUserSigV2(V1.token, { ...expectOf(V1), key: KEY_B }), 'SIG_BAD_SIGNATURE', 'key')
  failsWith(t, () => verifyUserSigV2(V1.token, { ...expectOf(V1), key: KEY_A.toUpperCase() }), 'SIG_BAD_SIGNATURE',
    'key is used as a string, not hex bytes')
  const late = V1.time + V1.expire + 1
  failsWith(t, () => verifyUserSigV2(V1.token, { ...expectOf(V1, late), sdkAppId: 1, userId: 'x', key: 'k' }),
    'SIG_APP_MISMATCH', 'app before user, expiry and key')
  failsWith(t, () => verifyUserSigV2(V1.token, { ...expectOf(V1, late), userId: 'x', key: 'k' }),
    'SIG_USER_MISMATCH', 'user before expiry and key')
  failsWith(t, () => verifyUserSigV2(V1.token, { ...expectOf(V1, late), key: 'k' }),
    'SIG_EXPIRED', 'expiry before key')
})

t.test('empty, truncated and malformed tokens', async (t) => {
  failsWith(t, () => verifyUserSigV2('', expectOf(V1)), 'SIG_EMPTY', 'empty')
  for (let n = 1; n < V1.token.length; n++) {
    failsWith(t, () => verifyUserSigV2(V1.token.slice(0, n), expectOf(V1)), 'SIG_MALFORMED', `first ${n} chars`)
  }
  const doc = rawDoc(V1.token)
  const bad: Array<[string, string]> = [
    ['not base64', '!!!!'],
    ['base64 but not zlib', 'aGVsbG8gd29ybGQ_'],
    ['too long', 'A'.repeat(MAX_TOKEN_CHARS + 4)],
    ['not JSON', rawToken('TLS.ver=2.0')],
    ['JSON array', rawToken('[1,2]')],
    ['JSON null', rawToken('null')],
    ['sdkappid as string', rawToken(JSON.stringify({ ...doc, 'TLS.sdkappid': '1400000000' }))],
    ['sdkappid fractional', rawToken(JSON.stringify({ ...doc, 'TLS.sdkappid': 1400000000.5 }))],
    ['sdkappid negative', rawToken(JSON.stringify({ ...doc, 'TLS.sdkappid': -1 }))],
    ['time as string', rawToken(JSON.stringify({ ...doc, 'TLS.time': '1700000000' }))],
    ['expire beyond 2^53', rawToken(JSON.stringify({ ...doc, 'TLS.expire': 2 ** 60 }))],
    ['identifier as number', rawToken(JSON.stringify({ ...doc, 'TLS.identifier': 7 }))],
    ['sig missing', rawToken(JSON.stringify({ ...doc, 'TLS.sig': undefined }))],
    ['sig not base64', rawToken(JSON.stringify({ ...doc, 'TLS.sig': 'not base64!' }))],
    ['userbuf not a string', rawToken(JSON.stringify({ ...doc, 'TLS.userbuf': 12 }))],
    ['expands past the document limit', rawToken(JSON.stringify(doc) + ' '.repeat(1 << 20), 9)],
  ]
  for (const [name, token] of bad) failsWith(t, () => verifyUserSigV2(token, expectOf(V1)), 'SIG_MALFORMED', name)
})

t.test('peekUserSig reads routing fields of v1 and v2 tokens', async (t) => {
  t.same(peekUserSig(V1.token), { version: 2, sdkAppId: 1400000000, identifier: 'xiaojun', time: 1700000000 })
  t.same(peekUserSig(V3.token), { version: 2, sdkAppId: 1400123456, identifier: 'user_01-A', time: 1735689600 })
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const v1 = mintUserSigV1({
    sdkAppId: 1400000007, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    userId: 'carol', expireSec: 60, nowSec: 1700000123,
  })
  t.same(peekUserSig(v1), { version: 1, sdkAppId: 1400000007, identifier: 'carol', time: 1700000123 })
  const noVer = { ...rawDoc(V2.token), 'TLS.ver': undefined }
  t.equal(peekUserSig(rawToken(JSON.stringify(noVer))).version, 2, 'v2 without TLS.ver')
  failsWith(t, () => peekUserSig(''), 'SIG_EMPTY', 'empty')
  failsWith(t, () => peekUserSig(V1.token.slice(0, 100)), 'SIG_MALFORMED', 'truncated')
  failsWith(t, () => peekUserSig(rawToken('{"TLS.identifier":"x"}')), 'SIG_MALFORMED', 'no version, no app')
  failsWith(t, () => peekUserSig(rawToken('{"TLS.ver":"2.0","TLS.sdkappid":"1","TLS.identifier":"x","TLS.time":1}')),
    'SIG_MALFORMED', 'mistyped sdkappid')
})
