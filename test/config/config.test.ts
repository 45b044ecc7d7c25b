import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ensureDemoApp } from '../../src/config/demoApp.js'
import { ConfigError, loadConfig } from '../../src/config/load.js'

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
    [{ PARLEY_PORT: '70000' }, /PARLEY_PORT: must be between 0 and 65535/],
    [{ PARLEY_THREADS: '0' }, /PARLEY_THREADS/],
    [{ PARLEY_APPS: 'not json' }, /PARLEY_APPS: must be a JSON array/],
    [{ PARLEY_APPS: '[{"sdkAppId":-1,"secretKey":"k"}]' }, /PARLEY_APPS\[0\]\.sdkAppId/],
    [{ PARLEY_APPS: '[{"sdkAppId":1,"secretKey":""}]' }, /PARLEY_APPS\[0\]\.secretKey/],
    [{ PARLEY_APPS: '[{"sdkAppId":1,"secretKey":"k","multiLogin":"many"}]' }, /PARLEY_APPS\[0\]\.multiLogin/],
  ]
  for (const [env, re] of cases) t.throws(() => loadConfig({ env }), { constructor: ConfigError, message: re })
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
