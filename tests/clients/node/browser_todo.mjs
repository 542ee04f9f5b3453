// Drive one of the example ToDo apps (examples/frappe-ui-todo, examples/react-todo) in headless
// Chromium with puppeteer-core: log in, create, edit, close, delete, and watch a change made by
// another session appear without a reload. Both apps share this DOM: #login-form, #new-todo,
// #open-list li[data-name], #editor (#edit-description, .save, .close-todo, .delete),
// #closed-list, #socket-status.
//
// Environment: BASE_URL, ROUTE (e.g. /todo), USR, PWD, CHROMIUM (the browser binary),
// SCREENSHOT (where to write the PNG), REALTIME=1 to check the change made elsewhere, DOC_FOLLOWS=1
// when the open editor itself follows the document's changes (react-todo's document listener).
// Prints "ok <step>" per step; exits non-zero on the first failure.
import puppeteer from 'puppeteer-core'

const { BASE_URL, ROUTE, USR, PWD, CHROMIUM, SCREENSHOT, REALTIME, DOC_FOLLOWS } = process.env
const tag = Math.random().toString(16).slice(2, 8)
const step = (name) => console.log(`ok ${name}`)
const TIMEOUT = 20000

const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1000,800'],
  defaultViewport: { width: 1000, height: 800 },
})
const failures = []
try {
  const page = await browser.newPage()
  page.setDefaultTimeout(TIMEOUT)
  page.on('pageerror', (err) => failures.push(`page error: ${err.message}`))
  page.on('console', (msg) => {
    if (msg.type() === 'error') console.error(`console: ${msg.text()}`)
  })

  const openTexts = () => page.$$eval('#open-list li', (items) => items.map((li) => li.textContent.trim()))
  const waitText = (selector, text) =>
    page.waitForFunction(
      (sel, want) => [...document.querySelectorAll(sel)].some((el) => el.textContent.trim() === want),
      { timeout: TIMEOUT },
      selector,
      text,
    )
  const waitGone = (selector, text) =>
    page.waitForFunction(
      (sel, want) => ![...document.querySelectorAll(sel)].some((el) => el.textContent.trim() === want),
      { timeout: TIMEOUT },
      selector,
      text,
    )
  const select = async (text) => {
    await waitText('#open-list li', text)
    const items = await page.$$('#open-list li')
    for (const li of items) {
      if ((await li.evaluate((el) => el.textContent.trim())) === text) {
        await li.click()
        break
      }
    }
    await page.waitForSelector('#edit-description')
    await page.waitForFunction(
      (want) => document.querySelector('#edit-description')?.value === want,
      { timeout: TIMEOUT },
      text,
    )
  }
  const add = async (text) => {
    await page.type('#new-todo input', text)
    await page.click('#new-todo button')
    await waitText('#open-list li', text)
  }

  // -- log in ------------------------------------------------------------------------------------
  await page.goto(`${BASE_URL}${ROUTE}`, { waitUntil: 'networkidle0' })
  await page.waitForSelector('#login-form')
  await page.type('#login-form input[name=usr]', USR)
  await page.type('#login-form input[name=pwd]', PWD)
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('#login-form button')])
  await page.waitForSelector('#new-todo')
  const boot = await page.evaluate(() => ({ user: window.todo_user, csrf: window.csrf_token }))
  if (boot.user !== USR || !boot.csrf) throw new Error(`boot values after login: ${JSON.stringify(boot)}`)
  step('login')

  // -- create, list, edit --------------------------------------------------------------------------
  const first = `browser ${tag} one`
  await add(first)
  await add(`browser ${tag} two`)
  step('create and list')

  await select(first)
  const edited = `browser ${tag} one edited`
  await page.$eval('#edit-description', (input) => (input.value = ''))
  await page.click('#edit-description', { clickCount: 3 })
  await page.keyboard.press('Backspace')
  await page.type('#edit-description', edited)
  await page.click('#editor .save')
  await waitText('#open-list li', edited)
  step('edit')

  // -- a change made by another session appears without a reload ---------------------------------
  if (REALTIME === '1') {
    await page.waitForFunction(
      () => document.querySelector('#socket-status')?.textContent.trim() === 'connected',
      { timeout: TIMEOUT },
    )
    const name = await page.$$eval(
      '#open-list li',
      (items, want) => items.find((li) => li.textContent.trim() === want)?.dataset.name,
      edited,
    )
    await page.evaluate(() => (window.__not_reloaded = true))
    const login = await fetch(`${BASE_URL}/api/method/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ usr: USR, pwd: PWD }),
    })
    const sid = login.headers.getSetCookie().find((c) => c.startsWith('sid=')).split(';')[0]
    const remote = `changed elsewhere ${tag}`
    const put = await fetch(`${BASE_URL}/api/v2/document/ToDo/${encodeURIComponent(name)}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Cookie: sid },
      body: JSON.stringify({ description: remote }),
    })
    if (!put.ok) throw new Error(`remote update failed: ${put.status} ${await put.text()}`)
    await waitText('#open-list li', remote)
    if (DOC_FOLLOWS === '1') {
      // The editor still shows that document; its doc_update listener refetched it too.
      await page.waitForFunction(
        (want) => document.querySelector('#edit-description')?.value === want,
        { timeout: TIMEOUT },
        remote,
      )
    }
    if (!(await page.evaluate(() => window.__not_reloaded))) throw new Error('the page was reloaded')
    step('realtime')
    await select(`browser ${tag} two`) // open another document, then this one again (fresh editor)
    await select(remote)
  }

  // -- close, delete --------------------------------------------------------------------------------
  const current = REALTIME === '1' ? `changed elsewhere ${tag}` : edited
  if (REALTIME !== '1') await select(current)
  await page.click('#editor .close-todo')
  await waitText('#closed-list li', current)
  await waitGone('#open-list li', current)
  step('close')

  await select(`browser ${tag} two`)
  await page.click('#editor .delete')
  await waitGone('#open-list li', `browser ${tag} two`)
  step('delete')

  await add(`screenshot ${tag}`)
  await page.screenshot({ path: SCREENSHOT, fullPage: true })
  console.log(`open: ${JSON.stringify(await openTexts())}`)
  step('screenshot')
  if (failures.length) throw new Error(failures.join('\n'))
} finally {
  await browser.close()
}
