/**
 * The demo chat page (src/edge/web/index.html) in a real browser: Debian's Chromium driven by
 * playwright-core, against a real node serving the page, the SDK bundle and a demo app.
 * Two isolated browser contexts are two people (or two devices of one person); every step
 * awaits what the page shows. The app's multi-login policy is the demo app's (perPlatform,
 * src/node/config/demoApp.ts): a second login of a user on Web kicks the first.
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
import { type Browser, chromium, type Page, type Route } from 'playwright-core'
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
  server = await startServer({ apps: [testApp({ demo: true, multiLogin: 'perPlatform' })] })
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

/** A new browser context with one tab at the page, `viewport` in CSS px, closed when test `t` ends. */
async function openTab(t: Test, viewport = { width: 900, height: 600 }): Promise<Tab> {
  if (!browser || !server) throw new Error('setup did not finish')
  const context = await browser.newContext({ viewport })
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

/** One tab per user, each logged in, in the order given. */
async function loggedInTabs(t: Test, ...userIds: string[]): Promise<Tab[]> {
  const tabs: Tab[] = []
  for (const id of userIds) {
    const tab = await openTab(t)
    await login(tab, id)
    tabs.push(tab)
  }
  return tabs
}

/**
 * Two logged-in tabs (of users `fromId` and `toId`) open their conversation with each other,
 * `from` sends `text`, and it arrives at `to`.
 */
async function chatBothWays(from: Tab, fromId: string, to: Tab, toId: string, text: string, via: 'button' | 'enter'): Promise<void> {
  await openConversation(from, toId)
  await openConversation(to, fromId)
  await typeAndSend(from, text, via)
  await messageLine(to, fromId, text).waitFor()
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
  return tab.page.$$eval('aside, main, .row, #messages', (els) => els
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
  const [d, c] = await loggedInTabs(t, 'dave', 'carol')

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

/** Waits until the status line contains `text`. */
async function awaitStatus(tab: Tab, text: string): Promise<void> {
  await tab.page.locator('#status', { hasText: text }).waitFor()
}

/** The chat controls that work only in a live session, and whether each is disabled. */
async function chatDisabled(tab: Tab): Promise<Record<string, boolean>> {
  const ids = ['peer', 'open', 'text', 'send']
  return Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await tab.page.isDisabled('#' + id)] as const)))
}

const allDisabled = { peer: true, open: true, text: true, send: true }

t.test('a newer login of the same user on Web kicks the older tab: it says so and disables its chat until it logs in again', async (t) => {
  const first = await openTab(t)
  const second = await openTab(t)
  const kim = await openTab(t)
  await login(kim, 'kim')
  await login(first, 'ivan')
  await openConversation(kim, 'ivan')
  await openConversation(first, 'kim')
  await typeAndSend(first, 'from the first tab', 'button')
  await messageLine(kim, 'ivan', 'from the first tab').waitFor()
  await first.page.fill('#text', 'half typed')

  await login(second, 'ivan')
  await awaitStatus(first, 'ivan: kicked')
  t.equal(await first.page.textContent('#status'), 'ivan: kicked (kicked by a newer login on Web); log in again to chat', 'the status says why')
  t.same(await chatDisabled(first), allDisabled, 'the kicked tab cannot send, type or open a conversation')
  t.equal(await first.page.inputValue('#text'), 'half typed', 'what was typed stays')
  t.same(await bubbles(first), [{ side: 'mine', text: 'ivan: from the first tab' }], 'the conversation stays readable')

  await openConversation(second, 'kim')
  await typeAndSend(second, 'from the second tab', 'enter')
  await messageLine(kim, 'ivan', 'from the second tab').waitFor()

  // Logging in again in the kicked tab gives it a working chat, and kicks the second tab in turn.
  await login(first, 'ivan')
  await awaitStatus(second, 'ivan: kicked')
  t.same(await chatDisabled(second), allDisabled, 'the second tab is kicked now')
  t.same(await chatDisabled(first), { peer: false, open: false, text: false, send: true }, 'typing works again; Send waits for a conversation')
  await openConversation(first, 'kim')
  await messageLine(first, 'ivan', 'from the second tab').waitFor()
  await typeAndSend(first, 'back again', 'enter')
  await messageLine(kim, 'ivan', 'back again').waitFor()
  await messageLine(first, 'ivan', 'back again').waitFor()
  t.equal(await first.page.textContent('#status'), 'ivan: online', 'and it is online')

  t.same(first.errors, [], 'no errors in the first tab')
  t.same(second.errors, [], 'no errors in the second tab')
  t.same(kim.errors, [], "no errors in kim's tab")
})

/** Kicks `userId` off every device through the REST API, as the app's admin. */
async function adminKick(userId: string): Promise<void> {
  if (!server) throw new Error('setup did not finish')
  const q = new URLSearchParams({
    sdkappid: String(server.app.sdkAppId), identifier: server.app.admins[0], usersig: server.adminSig(),
    random: String(Math.floor(Math.random() * 0xffffffff)), contenttype: 'json',
  })
  const r = await fetch(`${server.url}/v4/im_open_login_svc/kick?${q}`, { method: 'POST', body: JSON.stringify({ UserID: userId }) })
  const reply = await r.json() as { ActionStatus?: string; ErrorInfo?: string }
  if (reply.ActionStatus !== 'OK') throw new Error(`kick failed: ${JSON.stringify(reply)}`)
}

t.test('a tab kicked by the app admin says so and disables its chat; logging in again restores it', async (t) => {
  const [l, j] = await loggedInTabs(t, 'leo', 'jade')
  await openConversation(j, 'leo')

  await adminKick('jade')
  await awaitStatus(j, 'jade: kicked')
  t.equal(await j.page.textContent('#status'), 'jade: kicked (kicked by the app backend); log in again to chat', 'the status says why')
  t.same(await chatDisabled(j), allDisabled, 'the kicked tab cannot send, type or open a conversation')

  await login(j, 'jade')
  await chatBothWays(j, 'jade', l, 'leo', 'still here', 'button')
  t.same(j.errors, [], "no errors in jade's tab")
  t.same(l.errors, [], "no errors in leo's tab")
})

t.test('an invalid user id is refused on the page with a clear message, and changes nothing', async (t) => {
  const n = await openTab(t)
  const m = await openTab(t)
  const tooLong = 'x'.repeat(33)
  // Consecutive cases differ in their message, so each wait sees its own attempt's outcome.
  const cases: Array<[string, string]> = [
    ['', 'enter a user id'],
    ['two words', '"two words" is not a valid user id'],
    ['   ', 'enter a user id'],
    [tooLong, `"${tooLong}" is too long: a user id has at most 32 characters`],
    ['bell\u0007', '"bell\\u0007" is not a valid user id'],
    ['café', '"café" is not a valid user id'],
  ]
  const tryAll = async () => {
    for (const [id, message] of cases) {
      await n.page.fill('#userId', id)
      await n.page.click('#login')
      await n.page.locator('#notice', { hasText: message }).waitFor()
    }
  }

  await tryAll()
  t.equal(await n.page.textContent('#status'), 'offline', 'offline still')
  t.same(await chatDisabled(n), allDisabled, 'no chat without a session')

  await login(m, 'milo')
  await login(n, 'nora')
  t.equal(await n.page.textContent('#notice'), '', 'a login clears the previous complaint')
  await chatBothWays(n, 'nora', m, 'milo', 'first', 'enter')

  // While logged in, a bad id leaves the session as it was.
  await tryAll()
  t.equal(await n.page.textContent('#status'), 'nora: online', 'the session is kept')
  t.same(await chatDisabled(n), { peer: false, open: false, text: false, send: false }, 'and its chat works')
  await typeAndSend(n, 'second', 'button')
  await messageLine(m, 'nora', 'second').waitFor()
  t.same(await bubbles(n), [{ side: 'mine', text: 'nora: first' }, { side: 'mine', text: 'nora: second' }], 'the conversation is intact')
  t.same(n.errors, [], 'nothing uncaught, no console errors')
  t.same(m.errors, [], "no errors in milo's tab")
})

t.test('a failed token fetch or a refused login says why, throws nothing, and the page still logs in', async (t) => {
  if (!server) throw new Error('setup did not finish')
  const o = await openTab(t)
  const p = await openTab(t)
  const tokenUrl = (u: URL) => u.pathname === '/demo/usersig'
  /** Answers the page's next token requests with `answer` (fault injection at the network edge). */
  const tokenAnswers = async (answer: (route: Route) => Promise<void>) => {
    await o.page.unroute(tokenUrl)
    await o.page.route(tokenUrl, answer)
  }
  const attemptLogin = async (notice: string) => {
    await o.page.fill('#userId', 'olga')
    await o.page.click('#login')
    await o.page.locator('#notice', { hasText: notice }).waitFor()
  }

  await tokenAnswers((route) => route.abort('connectionrefused'))
  await attemptLogin('cannot get a token for olga: Failed to fetch')
  await tokenAnswers((route) => route.fulfill({ status: 500, contentType: 'text/plain', body: 'token service down' }))
  await attemptLogin('cannot get a token for olga: token service down')
  // What the demo endpoint answers for a refused id: an error body (its status is not relied on).
  await tokenAnswers((route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ error: 'bad userId' }) }))
  await attemptLogin('cannot get a token for olga: bad userId')
  t.equal(await o.page.textContent('#status'), 'offline', 'no session was started for a missing token')

  // A token the server refuses: the login itself fails.
  const sdkAppId = server.app.sdkAppId
  await tokenAnswers((route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ sdkAppId, userId: 'olga', userSig: 'not-a-usersig' }) }))
  await attemptLogin('cannot log in as olga:')
  await awaitStatus(o, 'olga: not logged in')
  t.same(await chatDisabled(o), allDisabled, 'no chat after a refused login')

  await o.page.unroute(tokenUrl)
  await login(p, 'pia')
  await login(o, 'olga')
  t.equal(await o.page.textContent('#notice'), '', 'the complaint is gone')
  await chatBothWays(o, 'olga', p, 'pia', 'made it', 'enter')

  // The browser logs each failed token request itself ("Failed to load resource"); nothing else may appear.
  const own = o.errors.filter((e) => !/^console: Failed to load resource: .*\/demo\/usersig\?/.test(e))
  t.same(own, [], 'nothing uncaught, no console errors of the page')
  t.same(p.errors, [], "no errors in pia's tab")
})

t.test('at 375 × 667 px nothing overflows sideways and every control is on screen and usable', async (t) => {
  const viewport = { width: 375, height: 667 }
  const phone = await openTab(t, viewport)
  const desk = await openTab(t)
  const longId = 'a-user-id-of-32-characters-long!'
  t.equal(longId.length, 32, 'the longest user id')
  const word = 'w'.repeat(300)

  await login(desk, 'quinn')
  await login(phone, longId)
  await chatBothWays(phone, longId, desk, 'quinn', word, 'button')
  await messageLine(phone, longId, word).waitFor()
  await typeAndSend(desk, 'got your long word', 'enter')
  await messageLine(phone, 'quinn', 'got your long word').waitFor()
  await awaitConversation(desk, longId, 0)

  const width = await phone.page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }))
  t.ok(width.scroll <= width.client, `the page is no wider than the screen (${width.scroll}px in ${width.client}px)`)
  t.same(await overflowing(phone), [], 'no part of the page overflows sideways')
  t.same(await overflowing(desk), [], 'nor at desktop width with a 32-character peer')
  for (const id of ['userId', 'login', 'peer', 'open', 'text', 'send']) {
    const box = await phone.page.locator('#' + id).boundingBox()
    const inside = box !== null && box.x >= 0 && box.y >= 0 && box.x + box.width <= viewport.width && box.y + box.height <= viewport.height
    t.ok(inside, `#${id} is inside the screen: ${JSON.stringify(box)}`)
    t.ok(box !== null && box.width >= 40, `#${id} is wide enough to use`)
  }
  const messages = await phone.page.locator('#messages').boundingBox()
  t.ok(messages !== null && messages.height >= 150, `the message pane keeps room (${messages?.height}px high)`)
  t.comment(`screenshot: ${await screenshot(phone, 'phone-375.png')}`)

  // Clicking checks that nothing covers the control; the message arrives.
  await phone.page.fill('#text', 'sent from a phone')
  await phone.page.click('#send')
  await messageLine(desk, longId, 'sent from a phone').waitFor()
  t.same(phone.errors, [], 'no errors in the phone tab')
  t.same(desk.errors, [], 'no errors in the desktop tab')
})

t.test('the page refuses to log in as an App admin and says why', async (t) => {
  const a = await openTab(t)
  await a.page.fill('#userId', 'administrator')
  await a.page.click('#login')
  await a.page.locator('#notice', { hasText: 'cannot get a token for administrator' }).waitFor()
  t.match(await a.page.textContent('#notice'), /administrator is an App admin.*npx parley usersig administrator/, 'the notice shows the server\'s reason')
  t.equal(await a.page.isDisabled('#send'), true, 'nothing to send as: not logged in')
  // Chromium reports the refused request itself as a console error; nothing else may go wrong.
  t.same(a.errors.filter((e) => !/status of 403/.test(e)), [], 'no other errors in the tab')
  await login(a, 'hana')
  t.equal(await a.page.textContent('#status'), 'hana: online', 'a normal user still logs in from the same tab')
})
