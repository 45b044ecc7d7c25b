/**
 * Every citation in the tree points at a file in the repository: no file cites documents a
 * clone does not have, each `docs/<file>.md §N` names a docs file that exists and a numbered
 * heading (`## 3.`, `### 3.2`) in it, and a bare `§N` appears only inside a docs page, where it
 * names a section of that page. (The section sign is written `\u00a7` here so that this file
 * holds no citation of its own.)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('../../', import.meta.url))
const Roots = ['src', 'actors', 'cluster', 'bench', 'test', 'docs', 'scripts', 'README.md', 'BENCH.md']
const TextFile = /\.(?:[cm]?ts|[cm]?js|md|sh|ya?ml|xml|html|json)$/
const Skipped = new Set(['node_modules', 'dist', 'data'])

/** Documents that live outside the repository, in the ways the tree used to cite them. */
const DeadCitations: readonly RegExp[] = [
  /reference\s*\u00a7/i,
  /STYLE\s*#\s*\d/,
  /\bSTYLE\.md\b/,
  /shared\/reference\//,
]

const Num = String.raw`\d+(?:\.\d+)*`
/** `docs/x.md §N`, optionally `–M`, `, §M` or ` and §M` after it. */
const Citation = new RegExp(String.raw`(docs/[\w.-]+\.md) \u00a7(${Num}(?:[–-]\u00a7?${Num}|(?:, | and )\u00a7${Num})*)`, 'g')
const Section = new RegExp(String.raw`\u00a7(${Num})`, 'g')
/** Section numbers of external standards, which are not files of this repository. */
const External = /RFC \d+ $/

function walk(path: string, out: string[]): string[] {
  const full = join(root, path)
  if (!existsSync(full)) return out
  if (!statSync(full).isDirectory()) {
    if (TextFile.test(path)) out.push(path)
    return out
  }
  for (const e of readdirSync(full, { withFileTypes: true })) {
    if (e.name.startsWith('.') || Skipped.has(e.name)) continue
    const child = join(path, e.name)
    if (e.isDirectory()) walk(child, out)
    else if (e.isFile() && TextFile.test(e.name)) out.push(child)
  }
  return out
}

const files = Roots.flatMap((r) => walk(r, []))
const text = new Map(files.map((f) => [f, readFileSync(join(root, f), 'utf8')]))

const sectionCache = new Map<string, Set<string> | undefined>()
/** The numbered headings of a docs page (`## 3. Messages` → 3, `### 3.2 Elements` → 3.2); undefined if it does not exist. */
function sectionsOf(doc: string): Set<string> | undefined {
  if (!sectionCache.has(doc)) {
    const full = join(root, doc)
    const found = existsSync(full)
      ? new Set([...readFileSync(full, 'utf8').matchAll(new RegExp(String.raw`^#{1,6}\s+(${Num})\.?\s`, 'gm'))].map((m) => m[1]!))
      : undefined
    sectionCache.set(doc, found)
  }
  return sectionCache.get(doc)
}

function checkSections(doc: string, numbers: string[], where: string, problems: string[]): void {
  const sections = sectionsOf(doc)
  if (sections === undefined) {
    problems.push(`${where}: cites ${doc}, which does not exist`)
    return
  }
  for (const n of numbers) if (!sections.has(n)) problems.push(`${where}: ${doc} has no section ${n}`)
}

function lineOf(s: string, index: number): number {
  return s.slice(0, index).split('\n').length
}

t.test('the scan covers the tree', async (t) => {
  t.ok(files.length > 200, `${files.length} files scanned`)
  t.ok(files.includes('docs/tencent-compat.md'), 'the compatibility page is scanned')
  t.ok(files.includes('README.md') && files.includes('BENCH.md'), 'README and BENCH are scanned')
})

t.test('no file cites a document outside the repository', async (t) => {
  const problems: string[] = []
  for (const [f, s] of text) {
    for (const dead of DeadCitations) {
      const m = dead.exec(s)
      if (m) problems.push(`${f}:${lineOf(s, m.index)}: ${JSON.stringify(m[0])}`)
    }
  }
  t.same(problems, [], 'cite docs/tencent-compat.md §N, or the file that states the rule')
})

t.test('every docs/<file>.md section citation names a file and a section that exist', async (t) => {
  const problems: string[] = []
  let citations = 0
  for (const [f, s] of text) {
    for (const m of s.matchAll(Citation)) {
      citations++
      const numbers = [...m[2]!.matchAll(new RegExp(Num, 'g'))].map((x) => x[0])
      checkSections(m[1]!, numbers, `${f}:${lineOf(s, m.index)}`, problems)
    }
  }
  t.ok(citations >= 50, `${citations} citations found`)
  t.same(problems, [])
})

t.test('a bare section number appears only in a docs page and names one of its sections', async (t) => {
  const problems: string[] = []
  for (const [f, s] of text) {
    const cited = new Set<number>()
    for (const m of s.matchAll(Citation)) {
      for (const x of m[0].matchAll(/\u00a7/g)) cited.add(m.index + x.index)
    }
    for (const m of s.matchAll(Section)) {
      if (cited.has(m.index) || External.test(s.slice(Math.max(0, m.index - 12), m.index))) continue
      const where = `${f}:${lineOf(s, m.index)}`
      if (f.startsWith('docs/') && f.endsWith('.md')) checkSections(f, [m[1]!], where, problems)
      else problems.push(`${where}: ${JSON.stringify(m[0])} does not say which document it cites`)
    }
  }
  t.same(problems, [])
})
