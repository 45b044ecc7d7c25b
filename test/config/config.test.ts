import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ensureDemoApp } from '../../src/node/config/demoApp.js'
import { deploymentOf } from '../../src/node/config/deployment.js'
import { ConfigError, loadConfig } from '../../src/node/config/load.js'

const dir = mkdtempSync(join(tmpdir(), 'parley-config-'))

t.test('defaults, then file, then environment', async (t) => {
  const d = loadConfig({ env: {} })
  t.equal(d.port, 8080)
  t.equal(d.dataDir, './data')
  t.same(d.apps, [])
  const file = join(dir, 'c.json')
  writeFileSync(file, JSON.stringify({ port: 9001, dataDir: '/tmp/x', apps: [{ sdkAppId: 1400000001, secretKey: 'k' }] }))
  const f = loadConfig({ file, env: {} })
  t.equal(f.port, 9001)
  t.equal(f.apps[0].sdkAppId, 1400000001)
  t.same(f.apps[0].admins, ['administrator'], 'admins default to administrator')
  t.equal(f.apps[0].multiLogin, 'perPlatform')
  const e = loadConfig({ file, env: { PARLEY_PORT: '9002', PARLEY_APPS: '[{"sdkAppId":1400000002,"secretKey":"s","admins":["boss"],"multiLogin":"single"}]' } })
  t.equal(e.port, 9002, 'environment wins over the file')
  t.equal(e.dataDir, '/tmp/x', 'file wins over the default')
  t.same(e.apps.map((a) => [a.sdkAppId, a.admins, a.multiLogin]), [[1400000002, ['boss'], 'single']])
  t.equal(loadConfig({ env: { PARLEY_CONFIG: file } }).port, 9001, 'PARLEY_CONFIG names the file')
})

t.test('validation errors name the field', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PARLEY_PORT: 'abc' }, /PARLEY_PORT: must be an integer/],
    [{ PARLEY_PORT: '70000' }, /PARLEY_PORT: must be an integer in 0\.\.65535/],
    [{ PARLEY_PORT: '80 80' }, /PARLEY_PORT: must be an integer/],
    [{ PARLEY_LOG_LEVEL: 'loud' }, /PARLEY_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ PARLEY_APPS: '[{"sdkAppId":1,"secretKey":"k","multilogin":"single"}]' }, /PARLEY_APPS\[0\]\.multilogin: unknown key/],
    [{ PARLEY_APPS: '{"sdkAppId":1}' }, /PARLEY_APPS: must be an array/],
    [{ PARLEY_APPS: 'null' }, /PARLEY_APPS: must be an array/],
    [{ PARLEY_PORT: '1.5' }, /PARLEY_PORT: must be an integer/],
    [{ PARLEY_THREADS: '0' }, /PARLEY_THREADS/],
    [{ PARLEY_APPS: 'not json' }, /PARLEY_APPS: must be a JSON array/],
    [{ PARLEY_APPS: '[{"sdkAppId":-1,"secretKey":"k"}]' }, /PARLEY_APPS\[0\]\.sdkAppId/],
    [{ PARLEY_APPS: '[{"sdkAppId":1,"secretKey":""}]' }, /PARLEY_APPS\[0\]\.secretKey/],
    [{ PARLEY_APPS: '[{"sdkAppId":1,"secretKey":"k","multiLogin":"many"}]' }, /PARLEY_APPS\[0\]\.multiLogin/],
  ]
  for (const [env, re] of cases) t.throws(() => loadConfig({ env }), { constructor: ConfigError, message: re })
  const typo = join(dir, 'typo.json')
  writeFileSync(typo, JSON.stringify({ prot: 9001 }))
  t.throws(() => loadConfig({ file: typo, env: {} }), { constructor: ConfigError, message: /prot in .*typo\.json: unknown key/ }, 'an unknown key in the file names it')
  const range = join(dir, 'range.json')
  writeFileSync(range, JSON.stringify({ threads: 0, apps: [{ sdkAppId: 7, secretKey: 'k', recallWindowSeconds: -1 }] }))
  t.throws(() => loadConfig({ file: range, env: {} }), { constructor: ConfigError, message: /threads in .*range\.json: must be an integer in 1\.\.256/ })
  writeFileSync(range, JSON.stringify({ apps: [{ sdkAppId: 7, secretKey: 'k', recallWindowSeconds: -1 }] }))
  t.throws(() => loadConfig({ file: range, env: {} }), { constructor: ConfigError, message: /apps\[0\]\.recallWindowSeconds in .*range\.json: must be a non-negative integer/ })
  t.equal(loadConfig({ env: { PARLEY_LOG_LEVEL: 'debug' } }).logLevel, 'debug')
  t.equal(loadConfig({ env: { PARLEY_ACTOR_IDLE_MS: '3e5' } }).actorIdleMs, 300000, 'an integer environment value as Number reads it')
  const nulls = join(dir, 'nulls.json')
  writeFileSync(nulls, JSON.stringify({ apps: null }))
  t.throws(() => loadConfig({ file: nulls, env: {} }), { constructor: ConfigError, message: /apps in .*nulls\.json: must be an array/ }, 'null in the file is a wrong type, not "use the default" (which would start the open demo app)')
  const bad = join(dir, 'bad.json')
  writeFileSync(bad, '{ nope')
  t.throws(() => loadConfig({ file: bad, env: {} }), { message: /config file .*bad\.json/ })
})

t.test('the demo app is created once and kept', async (t) => {
  const data = join(dir, 'data')
  const first = ensureDemoApp(data)
  t.equal(first.created, true)
  t.match(first.app.secretKey, /^[0-9a-f]{64}$/)
  t.equal(first.app.demo, true)
  const again = ensureDemoApp(data)
  t.equal(again.created, false)
  t.same(again.app, first.app, 'same SDKAppID and key after a restart')
  t.match(readFileSync(join(data, 'demo-app.json'), 'utf8'), String(first.app.sdkAppId))
})

t.test('deployment: embedded, Cassandra only, cluster; refusals name the setting', async (t) => {
  t.same(deploymentOf(loadConfig({ env: {} })), { mode: 'embedded', cassandra: undefined })
  const cas = deploymentOf(loadConfig({ env: { PARLEY_CASSANDRA_CONTACT_POINTS: ' 10.0.0.1, 10.0.0.2:9043 ' } }))
  t.equal(cas.mode, 'embedded', 'Cassandra alone keeps one node')
  t.same(cas.cassandra?.contactPoints, ['10.0.0.1', '10.0.0.2:9043'])
  t.same(cas.cassandra?.replication, { class: 'SimpleStrategy', replication_factor: 1 })
  t.same(cas.cassandra?.consistency, { read: 'LOCAL_QUORUM', write: 'LOCAL_QUORUM', serial: 'LOCAL_SERIAL' })
  const cl = deploymentOf(loadConfig({ env: {
    PARLEY_REDIS_URL: 'redis://r:6379', PARLEY_CASSANDRA_CONTACT_POINTS: 'c', PARLEY_CLUSTER_HEARTBEAT_MS: '300',
    PARLEY_CASSANDRA_REPLICATION: 'NetworkTopologyStrategy:dc1=3,dc2=2', PARLEY_CASSANDRA_CONSISTENCY: 'quorum',
  } }))
  t.equal(cl.mode, 'cluster')
  t.match(cl.redis, { url: 'redis://r:6379', prefix: 'parley', heartbeatMs: 300, ttlMs: 5000 })
  t.same(cl.cassandra?.replication, { class: 'NetworkTopologyStrategy', dc1: 3, dc2: 2 })
  t.equal(cl.cassandra?.consistency?.read, 'QUORUM')
  const refused: [Record<string, string>, RegExp][] = [
    [{ PARLEY_REDIS_URL: 'redis://r' }, /PARLEY_CASSANDRA_CONTACT_POINTS is not/],
    [{ PARLEY_REDIS_URL: 'redis://r', PARLEY_CASSANDRA_CONTACT_POINTS: 'c', PARLEY_CLUSTER_NODE_TTL_MS: '1000' }, /PARLEY_CLUSTER_NODE_TTL_MS \(1000\) must be above/],
    [{ PARLEY_CASSANDRA_CONTACT_POINTS: 'c', PARLEY_CASSANDRA_REPLICATION: 'SimpleStrategy:0' }, /PARLEY_CASSANDRA_REPLICATION/],
    [{ PARLEY_CASSANDRA_CONTACT_POINTS: 'c', PARLEY_CASSANDRA_REPLICATION: 'Everywhere:3' }, /PARLEY_CASSANDRA_REPLICATION/],
    [{ PARLEY_CASSANDRA_CONTACT_POINTS: 'c', PARLEY_CASSANDRA_CONSISTENCY: 'ANY' }, /PARLEY_CASSANDRA_CONSISTENCY.*consistency\.read must be one of/],
    [{ PARLEY_CASSANDRA_CONTACT_POINTS: 'c', PARLEY_CASSANDRA_SERIAL_CONSISTENCY: 'ONE' }, /PARLEY_CASSANDRA_SERIAL_CONSISTENCY.*consistency\.serial must be one of/],
    [{ PARLEY_CASSANDRA_CONTACT_POINTS: 'c', PARLEY_CASSANDRA_KEYSPACE: 'Bad-Name' }, /PARLEY_CASSANDRA_KEYSPACE: keyspace name "Bad-Name"/],
  ]
  for (const [env, re] of refused) t.throws(() => deploymentOf(loadConfig({ env })), { constructor: ConfigError, message: re })
})
