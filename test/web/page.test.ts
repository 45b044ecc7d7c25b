/**
 * The demo chat page (src/edge/web/index.html) in a real browser: Debian's Chromium driven by
 * playwright-core, against a real node serving the page, the SDK bundle and a demo app.
 * Two isolated browser contexts are two people; every step awaits what the page shows.
 *
 * Needs dist/web/client.js (`npm run build`; `npm test` builds first) and Chromium at
 * /usr/bin/chromium (scripts/test-setup.sh installs it), or at PARLEY_TEST_CHROMIUM. A
 * missing bundle or a browser that does not launch fails the test; it never skips.
 * Screenshots go to <os tmpdir>/parley-artifacts/test-web/, outside the repository.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { startServer, testApp, type TestServer } from '../helpers/server.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const bundlePath = join(root, 'dist/web/client.js')
const chromiumPath = process.env.PARLEY_TEST_CHROMIUM ?? '/usr/bin/chromium'
const artifactsDir = join(tmpdir(), 'parley-artifacts', 'test-web')

/**
 * What this machine's Chromium needs: no sandbox (root), no GPU, and no background traffic,
 * which the closed network would refuse. playwright-core gives every launch a fresh empty
 * profile directory itself (it refuses --user-data-dir in `args`).
 */
const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]

/** Upper bound for any single wait on the page, ms: long enough for a loaded CI machine, short enough to fail clearly. */
const StepTimeoutMs = 15_000

/** One person: a tab in a browser context of its own (own storage), and what went wrong in it. */
interface Tab {
  page: Page
  /** Uncaught page exceptions and console errors, in order. */
  errors: string[]
}

let server: TestServer | undefined
let browser: Browser | undefined

t.before(async () => {
  if (!existsSync(bundlePath)) {
    throw new Error(`${bundlePath} is missing: run \`npm run build\` first (npm test builds it); the page imports the SDK from it`)
  }
  mkdirSync(artifactsDir, { recursive: true })
  server = await startServer({ apps: [testApp({ demo: true })] })
  try {
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 60_000 })
  } catch (e) {
    throw new Error(`Chromium did not launch from ${chromiumPath} (scripts/test-setup.sh installs Debian's chromium): ${(e as Error).message}`, { cause: e })
  }
})

t.teardown(async () => {
  await browser?.close()
  await server?.stop()
})

/** A new browser context with one tab at the page, closed when test `t` ends. */
async function openTab(t: Test): Promise<Tab> {
  if (!browser || !server) throw new Error('setup did not finish')
  const context = await browser.newContext({ viewport: { width: 900, height: 600 } })
  t.teardown(() => context.close())
  context.setDefaultTimeout(StepTimeoutMs)
  const page = await context.newPage()
  const tab: Tab = { page, errors: [] }
  page.on('pageerror', (e) => tab.errors.push(`uncaught: ${e.message}`))
  page.on('console', (m) => { if (m.type() === 'error') tab.errors.push(`console: ${m.text()} (${m.location().url})`) })
  await page.goto(server.url)
  return tab
}

async function login(tab: Tab, userId: string, via: 'button' | 'enter' = 'button'): Promise<void> {
  await tab.page.fill('#userId', userId)
  if (via === 'enter') await tab.page.press('#userId', 'Enter')
  else await tab.page.click('#login')
  await tab.page.locator('#status', { hasText: `${userId}: online` }).waitFor()
}

/** Opens the conversation by typing the peer's id; done when its history is shown and Send is enabled. */
async function openConversation(tab: Tab, peer: string, via: 'button' | 'enter' = 'button'): Promise<void> {
  await tab.page.fill('#peer', peer)
  if (via === 'enter') await tab.page.press('#peer', 'Enter')
  else await tab.page.click('#open')
  await tab.page.locator('#send:enabled').waitFor()
}

async function typeAndSend(tab: Tab, text: string, via: 'button' | 'enter'): Promise<void> {
  await tab.page.fill('#text', text)
  if (via === 'enter') await tab.page.press('#text', 'Enter')
  else await tab.page.click('#send')
}

/** The message line whose bubble reads exactly `from: text`, in the open conversation. */
function messageLine(tab: Tab, from: string, text: string) {
  return tab.page.locator('#messages li').filter({ has: tab.page.getByText(`${from}: ${text}`, { exact: true }) })
}

/**
 * The conversation list as the page shows it: each entry's peer (its own text) and unread
 * badge (0 when none). Runs in the page, so it is self-contained.
 */
function readConversations(): Array<{ peer: string; unread: number }> {
  return Array.from(document.querySelectorAll('#convs li'), (li) => {
    const badge = li.querySelector('.unread')
    const own = Array.from(li.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE)
    return { peer: own.map((n) => n.textContent ?? '').join('').trim(), unread: badge ? Number(badge.textContent) : 0 }
  })
}

function conversationList(tab: Tab): Promise<Array<{ peer: string; unread: number }>> {
  return tab.page.evaluate(readConversations)
}

/** Waits until the conversation list shows `peer` with `unread` unread messages. */
async function awaitConversation(tab: Tab, peer: string, unread: number): Promise<void> {
  const expression = `(${readConversations})().some((c) => c.peer === ${JSON.stringify(peer)} && c.unread === ${unread})`
  await tab.page.waitForFunction(expression, undefined, { timeout: StepTimeoutMs })
}

async function bubbles(tab: Tab): Promise<Array<{ side: string; text: string }>> {
  return tab.page.$$eval('#messages li', (lis) => lis.map((li) => ({ side: li.className.split(' ')[0], text: li.textContent ?? '' })))
}

/** Elements whose content is wider than their box (a layout that does not fit the viewport). */
function overflowing(tab: Tab): Promise<string[]> {
  return tab.page.$$eval('aside, main, .row', (els) => els
    .filter((el) => el.scrollWidth > el.clientWidth)
    .map((el) => `${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}: ${el.scrollWidth}px in ${el.clientWidth}px`))
}

async function screenshot(tab: Tab, file: string): Promise<string> {
  const path = join(artifactsDir, file)
  await tab.page.screenshot({ path })
  return path
}

t.test('two people chat through the page', async (t) => {
  const a = await openTab(t)
  const b = await openTab(t)
  t.equal(await a.page.title(), 'Parley — demo chat', 'the page is served at /')
  t.equal(await a.page.textContent('#status'), 'offline', 'offline before logging in')
  t.equal(await a.page.isDisabled('#send'), true, 'Send is disabled until a conversation is open')

  await login(a, 'alice')
  await login(b, 'bob', 'enter')
  await openConversation(a, 'bob', 'enter')
  await openConversation(b, 'alice')
  t.same(await bubbles(a), [], 'a new conversation has no history')

  await typeAndSend(a, 'hello bob', 'enter')
  await messageLine(b, 'alice', 'hello bob').waitFor()
  t.equal(await messageLine(b, 'alice', 'hello bob').getAttribute('class'), 'theirs', "bob sees alice's message as theirs")
  await messageLine(a, 'alice', 'hello bob').waitFor()
  t.equal(await messageLine(a, 'alice', 'hello bob').getAttribute('class'), 'mine', 'alice sees her own message as hers')
  t.equal(await a.page.inputValue('#text'), '', 'the input is cleared after sending')

  await typeAndSend(b, 'hi alice', 'button')
  await messageLine(a, 'bob', 'hi alice').waitFor()
  t.same(await bubbles(a), [{ side: 'mine', text: 'alice: hello bob' }, { side: 'theirs', text: 'bob: hi alice' }], "alice's view, in order")
  t.same(await bubbles(b), [{ side: 'theirs', text: 'alice: hello bob' }, { side: 'mine', text: 'bob: hi alice' }], "bob's view, in order")

  // Each reads the other's message in the open conversation, so neither shows an unread badge.
  await awaitConversation(b, 'alice', 0)
  await awaitConversation(a, 'bob', 0)
  t.same(await conversationList(b), [{ peer: 'alice', unread: 0 }], "bob's conversation list shows alice")
  t.same(await conversationList(a), [{ peer: 'bob', unread: 0 }], "alice's conversation list shows bob")

  t.same(await overflowing(a), [], 'nothing in the page overflows sideways')
  t.comment(`screenshots: ${await screenshot(a, 'alice.png')} ${await screenshot(b, 'bob.png')}`)

  // A reload loses the session; logging in again and reopening the conversation shows its history.
  await b.page.reload()
  t.equal(await b.page.textContent('#status'), 'offline', 'offline after a reload')
  await login(b, 'bob')
  await awaitConversation(b, 'alice', 0)
  await openConversation(b, 'alice')
  await messageLine(b, 'bob', 'hi alice').waitFor()
  t.same(await bubbles(b), [{ side: 'theirs', text: 'alice: hello bob' }, { side: 'mine', text: 'bob: hi alice' }], 'history, oldest first')

  t.same(a.errors, [], "no errors in alice's tab")
  t.same(b.errors, [], "no errors in bob's tab")
})

t.test('a message to a closed conversation is unread until opened from the list', async (t) => {
  const d = await openTab(t)
  const c = await openTab(t)
  await login(d, 'dave')
  await login(c, 'carol')

  await openConversation(d, 'carol')
  await typeAndSend(d, 'are you there, carol?', 'button')
  await messageLine(d, 'dave', 'are you there, carol?').waitFor()
  await awaitConversation(c, 'dave', 1)
  t.same(await bubbles(c), [], 'nothing is shown in the message pane while no conversation is open')
  t.comment(`screenshot: ${await screenshot(c, 'carol-unread.png')}`)

  await c.page.locator('#convs li').filter({ hasText: 'dave' }).click()
  await messageLine(c, 'dave', 'are you there, carol?').waitFor()
  t.equal(await c.page.inputValue('#peer'), 'dave', 'clicking the conversation fills the peer box')
  t.equal(await c.page.isEnabled('#send'), true, 'and enables Send')
  await awaitConversation(c, 'dave', 0)
  t.same(await conversationList(c), [{ peer: 'dave', unread: 0 }], 'opening the conversation reads it')

  t.comment(`screenshot: ${await screenshot(c, 'carol.png')}`)
  t.same(d.errors, [], "no errors in dave's tab")
  t.same(c.errors, [], "no errors in carol's tab")
})

t.test('logging in again as someone else replaces the session in that tab', async (t) => {
  const x = await openTab(t)
  const e = await openTab(t)
  await login(x, 'frank')
  await login(x, 'erin')
  await openConversation(x, 'frank')
  await typeAndSend(x, 'hi frank', 'button')
  await messageLine(x, 'erin', 'hi frank').waitFor()

  // Reopening the conversation starts requests (history, read, list) that the next login may cut off:
  // the page must drop their failures, not leak them as uncaught rejections.
  await x.page.click('#open')
  await login(x, 'frank')
  t.same(await bubbles(x), [], 'the previous conversation is cleared')
  t.equal(await x.page.isDisabled('#send'), true, 'Send is disabled until a conversation is open')
  await awaitConversation(x, 'erin', 1)
  t.same(await conversationList(x), [{ peer: 'erin', unread: 1 }], "the list is frank's")

  // Erin writes from another device: frank's list counts it; erin's closed session in this tab shows nothing.
  await login(e, 'erin')
  await openConversation(e, 'frank')
  await typeAndSend(e, 'are you frank?', 'button')
  await awaitConversation(x, 'erin', 2)
  t.same(await bubbles(x), [], 'nothing reaches the message pane from the replaced session')
  t.equal(await x.page.textContent('#status'), 'frank: online', "the status is frank's")
  t.same(x.errors, [], 'no errors in the tab that logged in twice')
  t.same(e.errors, [], "no errors in erin's second tab")
})

t.test('a message the server refuses stays in the input, and the status says why', async (t) => {
  const g = await openTab(t)
  await login(g, 'gina')
  await openConversation(g, 'nobody')
  await typeAndSend(g, 'hello?', 'button')
  await g.page.locator('#status', { hasText: 'gina: not sent:' }).waitFor()
  t.match(await g.page.textContent('#status'), /20003|not imported/, 'the SDK error is shown')
  t.equal(await g.page.inputValue('#text'), 'hello?', 'the text is given back')
  t.same(await bubbles(g), [], 'no message line for a message that was not sent')
  t.same(g.errors, [], 'no errors in the tab')
})

t.test('the page refuses to log in as an App admin and says why', async (t) => {
  const a = await openTab(t)
  await a.page.fill('#userId', 'administrator')
  await a.page.click('#login')
  await a.page.locator('#status', { hasText: 'cannot get a token:' }).waitFor()
  t.match(await a.page.textContent('#status'), /administrator is an App admin.*npx parley usersig administrator/, 'the status shows the server\'s reason')
  t.equal(await a.page.isDisabled('#send'), true, 'nothing to send as: not logged in')
  // Chromium reports the refused request itself as a console error; nothing else may go wrong.
  t.same(a.errors.filter((e) => !/status of 403/.test(e)), [], 'no other errors in the tab')
  await login(a, 'hana')
  t.equal(await a.page.textContent('#status'), 'hana: online', 'a normal user still logs in from the same tab')
})
