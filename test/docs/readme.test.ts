/** The README's config, error and group-type tables are generated from the code; this keeps them equal. */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { configTableMarkdown } from '../../src/node/config/load.js'
import { ErrorCatalogue, errorTableMarkdown } from '../../src/core/errors.js'
import { groupTypesTableMarkdown } from '../../actors/group/rulesTable.js'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

t.test('README config table matches the config schema', async (t) => {
  t.ok(readme.includes(configTableMarkdown()), 'run `parley config-table` and paste it into the README')
})

t.test('README error table matches the error catalogue', async (t) => {
  t.ok(readme.includes(errorTableMarkdown()), 'run `parley error-table` and paste it into the README')
  const codes = Object.values(ErrorCatalogue).map((e) => e.code)
  t.equal(new Set(codes).size, codes.length, 'every code appears once in the catalogue')
  for (const code of codes) t.match(readme, new RegExp(`\\| ${code} \\|`), `code ${code} documented`)
})

t.test('README group-type table matches the rule table', async (t) => {
  t.ok(readme.includes(groupTypesTableMarkdown()), 'run `parley group-table` and paste it into the README')
})

t.test('the README quick start names the commands CI runs', async (t) => {
  const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8')
  t.match(readme, /npm install && npm start/)
  t.match(readme, /npm test/)
  t.match(ci, /^npm test$/m, '.ci/run calls the README test command')
})
