/** docs/fields.md is exactly what the input schemas generate (`parley fields-doc`), so it cannot drift from the checks. */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { fieldsDocMarkdown } from '../../src/node/fieldsDoc.js'

t.test('docs/fields.md matches the schemas', async (t) => {
  const doc = readFileSync(new URL('../../docs/fields.md', import.meta.url), 'utf8')
  t.equal(doc, fieldsDocMarkdown() + '\n', 'run `parley fields-doc > docs/fields.md`')
})

t.test('it has a table for every socket op, element type and REST command', async (t) => {
  const doc = fieldsDocMarkdown()
  for (const name of ['send', 'login', 'groupSend', 'TIMImageElem', 'TIMRelayElem', 'openim/sendmsg', 'group_open_http_svc/import_group_msg']) {
    t.match(doc, `### \`${name}\``, name)
  }
  t.match(doc, /\| `To_Account` \| string \(a UserID\) \| yes \| 90003 \|/, 'a field row: type, required, code')
})
