import { createPublicKey, createSign, generateKeyPairSync } from 'node:crypto'
import t, { type Test } from 'tap'
import { ParleyError, type ErrorName } from '../../src/core/errors.js'
import { mintUserSigV1, verifyUserSigV1, type V1Expect } from '../../src/services/auth/usersigV1.js'
import { rawDoc, rawToken } from './fixtures/vectors.js'

function pemPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  }
}

function failsWith(t: Test, fn: () => unknown, name: ErrorName, msg: string): void {
  t.throws(fn, { errorName: name, code: new ParleyError(name).code }, msg)
}

const APP = 1400000000
const T0 = 1700000000
const keys = pemPair()
const other = pemPair()
const token = mintUserSigV1({ sdkAppId: APP, privateKeyPem: keys.privateKeyPem, userId: 'dave', expireSec: 3600, nowSec: T0 })
const expect: V1Expect = { sdkAppId: APP, userId: 'dave', publicKeyPem: keys.publicKeyPem, nowSec: T0 }

t.test('a minted token has the legacy layout and verifies until its last second', async (t) => {
  const doc = rawDoc(token)
  t.same(Object.keys(doc), ['TLS.account_type', 'TLS.identifier', 'TLS.appid_at_3rd', 'TLS.sdk_appid',
    'TLS.expire_after', 'TLS.version', 'TLS.time', 'TLS.sig'])
  t.match(doc, { 'TLS.account_type': '0', 'TLS.identifier': 'dave', 'TLS.appid_at_3rd': '0',
    'TLS.sdk_appid': '1400000000', 'TLS.expire_after': '3600', 'TLS.version': '201610110000', 'TLS.time': '1700000000' })
  t.same(verifyUserSigV1(token, expect), { time: T0, expire: 3600 })
  t.same(verifyUserSigV1(token, { ...expect, nowSec: T0 + 3600 }), { time: T0, expire: 3600 })
  failsWith(t, () => verifyUserSigV1(token, { ...expect, nowSec: T0 + 3601 }), 'SIG_EXPIRED', 'one second late')
})

t.test('a token signed the way the legacy tls-sig-api does verifies', async (t) => {
  // Re-implements TLSAPI.js genSig with createSign: base64 DER over the six signed lines.
  const doc: Record<string, string> = {
    'TLS.account_type': '0', 'TLS.identifier': 'erin', 'TLS.appid_at_3rd': '0', 'TLS.sdk_appid': String(APP),
    'TLS.expire_after': '15552000', 'TLS.version': '201610110000', 'TLS.time': String(T0),
  }
  const content = ['TLS.appid_at_3rd', 'TLS.account_type', 'TLS.identifier', 'TLS.sdk_appid', 'TLS.time',
    'TLS.expire_after'].map((k) => `${k}:${doc[k]}\n`).join('')
  const signer = createSign('sha256')
  signer.update(content, 'utf8')
  doc['TLS.sig'] = signer.sign(keys.privateKeyPem, 'base64')
  const legacy = rawToken(JSON.stringify(doc))
  t.same(verifyUserSigV1(legacy, { ...expect, userId: 'erin' }), { time: T0, expire: 15552000 })
  const shuffled = rawToken(JSON.stringify(Object.fromEntries(Object.entries(doc).reverse())), 0)
  t.same(verifyUserSigV1(shuffled, { ...expect, userId: 'erin' }), { time: T0, expire: 15552000 }, 'any order, level 0')
})

t.test('userbuf is signed', async (t) => {
  const withBuf = mintUserSigV1({
    sdkAppId: APP, privateKeyPem: keys.privateKeyPem, userId: 'dave', expireSec: 60, nowSec: T0, userbuf: Buffer.from('room=7'),
  })
  t.equal(rawDoc(withBuf)['TLS.userbuf'], Buffer.from('room=7').toString('base64'))
  t.same(verifyUserSigV1(withBuf, expect), { time: T0, expire: 60 })
  const swapped = rawToken(JSON.stringify({ ...rawDoc(withBuf), 'TLS.userbuf': Buffer.from('room=8').toString('base64') }))
  failsWith(t, () => verifyUserSigV1(swapped, expect), 'SIG_BAD_SIGNATURE', 'userbuf replaced')
  const dropped = rawToken(JSON.stringify({ ...rawDoc(withBuf), 'TLS.userbuf': undefined }))
  failsWith(t, () => verifyUserSigV1(dropped, expect), 'SIG_BAD_SIGNATURE', 'userbuf removed')
})

t.test('wrong app, user, key and tampering fail with their codes', async (t) => {
  failsWith(t, () => verifyUserSigV1(token, { ...expect, sdkAppId: APP + 1 }), 'SIG_APP_MISMATCH', 'app')
  failsWith(t, () => verifyUserSigV1(token, { ...expect, userId: 'Dave' }), 'SIG_USER_MISMATCH', 'user')
  failsWith(t, () => verifyUserSigV1(token, { ...expect, publicKeyPem: other.publicKeyPem }), 'SIG_BAD_SIGNATURE', 'key')
  const doc = rawDoc(token)
  const edits: Array<[string, Record<string, unknown>, Partial<V1Expect>]> = [
    ['expire extended', { 'TLS.expire_after': '3601' }, {}],
    ['time moved', { 'TLS.time': String(T0 + 1) }, {}],
    ['identifier replaced', { 'TLS.identifier': 'mallory' }, { userId: 'mallory' }],
    ['app replaced', { 'TLS.sdk_appid': String(APP + 1) }, { sdkAppId: APP + 1 }],
    ['account_type changed', { 'TLS.account_type': '1' }, {}],
    ['sig bytes changed', { 'TLS.sig': Buffer.from('not a DER signature').toString('base64') }, {}],
  ]
  for (const [name, patch, exp] of edits) {
    failsWith(t, () => verifyUserSigV1(rawToken(JSON.stringify({ ...doc, ...patch })), { ...expect, ...exp }),
      'SIG_BAD_SIGNATURE', name)
  }
})

t.test('empty, truncated and malformed tokens', async (t) => {
  failsWith(t, () => verifyUserSigV1('', expect), 'SIG_EMPTY', 'empty')
  for (const n of [1, 10, 50, 100, token.length - 3, token.length - 1]) {
    failsWith(t, () => verifyUserSigV1(token.slice(0, n), expect), 'SIG_MALFORMED', `first ${n} chars`)
  }
  const doc = rawDoc(token)
  const bad: Array<[string, Record<string, unknown>]> = [
    ['sdk_appid as number', { 'TLS.sdk_appid': APP }],
    ['time as number', { 'TLS.time': T0 }],
    ['expire_after not decimal', { 'TLS.expire_after': '1e3' }],
    ['identifier missing', { 'TLS.identifier': undefined }],
    ['appid_at_3rd missing', { 'TLS.appid_at_3rd': undefined }],
    ['sig missing', { 'TLS.sig': undefined }],
    ['sig not base64', { 'TLS.sig': '***' }],
  ]
  for (const [name, patch] of bad) {
    failsWith(t, () => verifyUserSigV1(rawToken(JSON.stringify({ ...doc, ...patch })), expect), 'SIG_MALFORMED', name)
  }
})

t.test('an unparsable or non-EC public key is a server fault, not a client code', async (t) => {
  const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string
  for (const [name, publicKeyPem] of [['not a PEM', 'not a pem'], ['Ed25519 key', ed]]) {
    let caught: unknown
    try {
      verifyUserSigV1(token, { ...expect, publicKeyPem })
    } catch (err) {
      caught = err
    }
    t.type(caught, Error, name)
    t.notOk(caught instanceof ParleyError, `${name}: not a ParleyError`)
  }
})

t.test('a caching key parser is used instead of parsing the PEM', async (t) => {
  const parsed: string[] = []
  const parseKey = (pem: string) => {
    parsed.push(pem)
    return createPublicKey(pem)
  }
  t.same(verifyUserSigV1(token, expect, parseKey), { time: T0, expire: 3600 })
  t.same(parsed, [keys.publicKeyPem])
})
