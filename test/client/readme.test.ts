/**
 * The SDK's README (src/client/README.md) lists exactly the public API: for ParleyClient and
 * ParleyGuest, the rows of its Properties and Methods tables are the class's public members
 * and the rows of its Events table are the keys of its events interface — read from the
 * sources with the TypeScript parser, so a member added without a row (or a row left for a
 * removed one) fails here. Its client error table is ClientErrorCodes, row for row.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import ts from 'typescript'
import { ClientErrorCodes, isRetryableCode } from '../../src/client/index.js'

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/client')
const readme = readFileSync(join(dir, 'README.md'), 'utf8')

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(join(dir, file), 'utf8'), ts.ScriptTarget.ES2022, true)
}

const isPrivate = (m: ts.ClassElement) =>
  ts.getCombinedModifierFlags(m as unknown as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) ||
  (m.name !== undefined && ts.isPrivateIdentifier(m.name))

/** Names of the public methods, accessors and properties of class `name` in `file`. */
function publicMembers(file: string, name: string): string[] {
  const cls = parse(file).statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === name)
  if (!cls) throw new Error(`no class ${name} in ${file}`)
  const names = cls.members
    .filter((m) => !ts.isConstructorDeclaration(m) && !isPrivate(m) && m.name !== undefined && ts.isIdentifier(m.name))
    .map((m) => (m.name as ts.Identifier).text)
  return [...new Set(names)].sort()
}

/** Keys of interface `name` in `file`. */
function interfaceKeys(file: string, name: string): string[] {
  const decl = parse(file).statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name)
  if (!decl) throw new Error(`no interface ${name} in ${file}`)
  return decl.members.map((m) => (m.name as ts.Identifier).text).sort()
}

/** The first-cell names (`` `name` `` or `` `name(…)` ``) of the table under heading `### sub` of `## section`. */
function tableNames(section: string, sub: string): string[] {
  const body = readme.split(/^## /m).find((s) => s.startsWith(`${section}\n`))
  if (!body) throw new Error(`README has no section ${section}`)
  const part = body.split(/^### /m).find((s) => s.startsWith(`${sub}\n`))
  if (!part) throw new Error(`README section ${section} has no ${sub}`)
  return [...part.matchAll(/^\| `([A-Za-z]\w*)/gm)].map((m) => m[1]).sort()
}

const members = (section: string) => [...tableNames(section, 'Properties'), ...tableNames(section, 'Methods')].sort()

t.test('ParleyClient: every public member and event has its row, and no row is stale', async (t) => {
  t.same(members('ParleyClient'), publicMembers('ParleyClient.ts', 'ParleyClient'))
  t.same(tableNames('ParleyClient', 'Events'), interfaceKeys('types.ts', 'ParleyClientEvents'))
})

t.test('ParleyGuest: every public member and event has its row, and no row is stale', async (t) => {
  t.same(members('ParleyGuest'), publicMembers('ParleyGuest.ts', 'ParleyGuest'))
  t.same(tableNames('ParleyGuest', 'Events'), interfaceKeys('ParleyGuest.ts', 'ParleyGuestEvents'))
})

t.test('the README tells how to install the package by its name', async (t) => {
  const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }
  t.match(readme, `npm install ${name}`)
  t.match(readme, `from '${name}'`, 'and the example imports it by that name')
})

t.test('the client error table is ClientErrorCodes, with each code\'s retryable flag', async (t) => {
  const rows = [...readme.matchAll(/^\| (\d+) \| `(\w+)` \| (yes|no) \|/gm)].map((m) => [Number(m[1]), m[2], m[3]])
  const codes = Object.entries(ClientErrorCodes).map(([name, code]) => [code, name, isRetryableCode(code) ? 'yes' : 'no'])
  t.same(rows, codes)
})
