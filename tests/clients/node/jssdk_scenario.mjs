// frappe-js-sdk (npm, unmodified) against a real `docframe serve`: login, CRUD, lists, counts,
// methods, a file upload and logout. Run by tests/clients/test_js_clients.py with BASE_URL,
// USR and PWD in the environment; prints one line per step and exits non-zero on the first failure.
//
// In a browser the session cookie is kept by the browser; Node's axios keeps none, so this script
// gives the SDK's own axios instance (`app.axios`) a two-line cookie jar. The SDK is not changed.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { FrappeApp } = require('frappe-js-sdk')

const { BASE_URL, USR, PWD } = process.env
const app = new FrappeApp(BASE_URL)
const jar = new Map()
app.axios.interceptors.request.use((config) => {
  if (jar.size) config.headers.Cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  return config
})
app.axios.interceptors.response.use((response) => {
  for (const line of response.headers['set-cookie'] ?? []) {
    const [pair] = line.split(';')
    const [key, value] = pair.split('=')
    jar.set(key.trim(), value)
  }
  return response
})

const auth = app.auth()
const db = app.db()
const call = app.call()
const file = app.file()
const tag = Math.random().toString(16).slice(2, 10)
const step = (name) => console.log(`ok ${name}`)

const login = await auth.loginWithUsernamePassword({ username: USR, password: PWD })
assert.equal(login.message, 'Logged In')
assert.equal(await auth.getLoggedInUser(), USR)
step('login')

const created = await db.createDoc('ToDo', { description: `js-sdk ${tag}`, priority: 'Medium' })
assert.equal(created.description, `js-sdk ${tag}`)
await db.createDoc('ToDo', { description: `js-sdk ${tag} second` })
const fetched = await db.getDoc('ToDo', created.name)
assert.equal(fetched.priority, 'Medium')
const updated = await db.updateDoc('ToDo', created.name, { description: `js-sdk ${tag} edited` })
assert.equal(updated.description, `js-sdk ${tag} edited`)
step('crud')

const rows = await db.getDocList('ToDo', {
  fields: ['name', 'description'],
  filters: [['description', 'like', `js-sdk ${tag}%`]],
  orderBy: { field: 'description', order: 'asc' },
  limit: 10,
})
assert.deepEqual(rows.map((r) => r.description), [`js-sdk ${tag} edited`, `js-sdk ${tag} second`])
assert.equal(await db.getCount('ToDo', [['description', 'like', `js-sdk ${tag}%`]]), 2)
const value = await db.getValue('ToDo', 'description', [['name', '=', created.name]])
assert.equal(value.message.description, `js-sdk ${tag} edited`)
await db.setValue('ToDo', created.name, 'status', 'Closed')
assert.equal((await db.getDoc('ToDo', created.name)).status, 'Closed')
step('lists and counts')

assert.equal((await call.get('frappe.ping')).message, 'pong')
const roles = await call.get('frappe.core.doctype.user.user.get_all_roles')
assert.ok(roles.message.includes('System Manager'))
const meta = await call.get('frappe.desk.form.load.getdoctype', { doctype: 'ToDo' })
assert.equal(meta.docs[0].name, 'ToDo')
step('methods')

const blob = new Blob([`uploaded ${tag}`], { type: 'text/plain' })
blob.name = `js-sdk-${tag}.txt`
const uploaded = await file.uploadFile(blob, { isPrivate: false, doctype: 'ToDo', docname: created.name })
const url = uploaded.data.message.file_url
const served = await fetch(`${BASE_URL}${url}`)
assert.equal(await served.text(), `uploaded ${tag}`)
step('file upload')

await db.deleteDoc('ToDo', created.name)
await assert.rejects(db.getDoc('ToDo', created.name), (err) => err.httpStatus === 404)
step('delete')

await auth.logout()
await assert.rejects(auth.getLoggedInUser(), (err) => err.httpStatus === 403 || err.httpStatus === 401)
step('logout')
