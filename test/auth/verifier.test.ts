import { generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import { createSigPool, type SigPool } from '../../src/services/auth/sigPool.js'
import { mintUserSigV1 } from '../../src/services/auth/usersigV1.js'
import { createUserSigVerifier, type AppSigKeys } from '../../src/services/auth/verifier.js'
import { KEY_A, V1, V3 } from './fixtures/vectors.js'

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string

const apps = new Map<number, AppSigKeys>([
  [1400000000, { secretKey: KEY_A, publicKeyPem }], // both versions
  [1400123456, { publicKeyPem }], // v1 only
  [1400000009, { secretKey: KEY_A }], // v2 only
])

/** The real pool, wrapped to count how many verifications reach it. */
function countingPool(pool: SigPool): { pool: Pick<SigPool, 'verifyV1'>; calls: () => number } {
  let n = 0
  return {
    pool: { verifyV1: (token, expect) => (n++, pool.verifyV1(token, expect)) },
    calls: () => n,
  }
}

t.test('dispatch by version and app', async (t) => {
  const real = createSigPool({ threads: 1 })
  t.teardown(() => real.close())
  const { pool, calls } = countingPool(real)
  const verifier = createUserSigVerifier({ pool, getApp: (id) => apps.get(id) })
  const at = { sdkAppId: V1.sdkAppId, userId: V1.userId, nowSec: V1.time }

  t.same(await verifier.verify(V1.token, at), { time: V1.time, expire: V1.expire, version: 2 }, 'v2 inline')
  t.equal(calls(), 0, 'v2 does not use the pool')

  const v1 = mintUserSigV1({ sdkAppId: 1400000000, privateKeyPem, userId: 'xiaojun', expireSec: 60, nowSec: V1.time })
  t.same(await verifier.verify(v1, at), { time: V1.time, expire: 60, version: 1 }, 'v1 via pool')
  t.equal(calls(), 1, 'v1 uses the pool')

  await t.rejects(verifier.verify(v1, { ...at, nowSec: V1.time + 61 }), { code: 70001 }, 'v1 expiry via pool')
  await t.rejects(verifier.verify(V1.token, { ...at, userId: 'other' }), { code: 70013 }, 'v2 user')
  await t.rejects(verifier.verify(V1.token, { ...at, sdkAppId: 1400000001 }), { code: 70020 }, 'unknown app')
  await t.rejects(verifier.verify('', at), { code: 70002 }, 'empty')
  await t.rejects(verifier.verify(V1.token.slice(0, 30), at), { code: 70003 }, 'truncated')
  await t.rejects(verifier.verify(V3.token, { sdkAppId: V3.sdkAppId, userId: V3.userId, nowSec: V3.time }),
    { code: 70009, message: /no v2 secret key/ }, 'v2 token, app has only a v1 key')
  const v1Other = mintUserSigV1({ sdkAppId: 1400000009, privateKeyPem, userId: 'u', expireSec: 60, nowSec: V1.time })
  await t.rejects(verifier.verify(v1Other, { sdkAppId: 1400000009, userId: 'u', nowSec: V1.time }),
    { code: 70009, message: /no v1 public key/ }, 'v1 token, app has only a v2 key')
  await t.rejects(verifier.verify(V1.token, { ...at, sdkAppId: 1400000009 }), { code: 70014 },
    'known app that is not the token\'s')
})
