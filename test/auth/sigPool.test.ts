import { generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import { ErrorCatalogue, ParleyError } from '../../src/core/errors.js'
import { createSigPool } from '../../src/services/auth/sigPool.js'
import { mintUserSigV1, type V1Expect } from '../../src/services/auth/usersigV1.js'

function pemPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  }
}

const APP = 1400000000
const T0 = 1700000000
const keys = pemPair()
const other = pemPair()
const mint = (userId: string, expireSec = 600) =>
  mintUserSigV1({ sdkAppId: APP, privateKeyPem: keys.privateKeyPem, userId, expireSec, nowSec: T0 })
const expectFor = (userId: string, patch: Partial<V1Expect> = {}): V1Expect =>
  ({ sdkAppId: APP, userId, publicKeyPem: keys.publicKeyPem, nowSec: T0, ...patch })

t.test('v1 verification on real worker threads', async (t) => {
  const pool = createSigPool({ threads: 2 })
  t.teardown(() => pool.close())

  const users = Array.from({ length: 20 }, (_, i) => `user${i}`)
  const results = await Promise.all(users.map((u) => pool.verifyV1(mint(u), expectFor(u))))
  t.same(results, users.map(() => ({ time: T0, expire: 600 })), '20 concurrent verifications')

  const cases: Array<[string, Promise<unknown>, number]> = [
    ['wrong key', pool.verifyV1(mint('a'), expectFor('a', { publicKeyPem: other.publicKeyPem })), 70009],
    ['expired', pool.verifyV1(mint('a', 60), expectFor('a', { nowSec: T0 + 61 })), 70001],
    ['wrong user', pool.verifyV1(mint('a'), expectFor('b')), 70013],
    ['wrong app', pool.verifyV1(mint('a'), expectFor('a', { sdkAppId: APP + 1 })), 70014],
    ['truncated', pool.verifyV1(mint('a').slice(0, 60), expectFor('a')), 70003],
    ['empty', pool.verifyV1('', expectFor('a')), 70002],
    ['bad PEM', pool.verifyV1(mint('a'), expectFor('a', { publicKeyPem: 'nope' })), 20005],
  ]
  const settled = await Promise.allSettled(cases.map(([, promise]) => promise))
  cases.forEach(([name, , code], i) => {
    const o = settled[i]
    const err: unknown = o?.status === 'rejected' ? o.reason : undefined
    t.type(err, ParleyError, `${name}: rebuilt as ParleyError`)
    t.equal((err as ParleyError).code, code, `${name}: code ${code}`)
  })
  const wrongKey = await pool.verifyV1(mint('a'), expectFor('a', { publicKeyPem: other.publicKeyPem })).catch((e) => e)
  t.equal((wrongKey as ParleyError).errorName, 'SIG_BAD_SIGNATURE')
  t.match((wrongKey as ParleyError).message, /does not match/, 'message crosses the thread')
})

t.test('a full pool rejects with BUSY instead of queueing without bound', async (t) => {
  const pool = createSigPool({ threads: 1, maxPending: 2 })
  t.teardown(() => pool.close())
  const token = mint('z')
  // Submitted in one synchronous burst, so none can finish before the third is offered.
  const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => pool.verifyV1(token, expectFor('z'))))
  t.same(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected'])
  for (const o of outcomes.slice(2)) t.equal((o as PromiseRejectedResult).reason.errorName, 'BUSY')
  t.same(await pool.verifyV1(token, expectFor('z')), { time: T0, expire: 600 }, 'capacity returns once settled')
})

t.test('close finishes queued work, then refuses new work', async (t) => {
  const pool = createSigPool({ threads: 1 })
  const inFlight = pool.verifyV1(mint('q'), expectFor('q'))
  const closed = pool.close()
  t.equal(pool.close(), closed, 'idempotent')
  t.same(await inFlight, { time: T0, expire: 600 })
  await closed
  await t.rejects(pool.verifyV1(mint('q'), expectFor('q')), { code: ErrorCatalogue.SHUTTING_DOWN.code }, 'refused after close')
})
