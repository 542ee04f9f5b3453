import { useContext, useEffect, useState } from 'react'
import {
  FrappeContext,
  useFrappeAuth,
  useFrappeCreateDoc,
  useFrappeDocTypeEventListener,
  useFrappeGetDocList,
} from 'frappe-react-sdk'
import TodoEditor from './TodoEditor.jsx'

// window.todo_user is this app's own boot value (see react_todo/boot.py).
const user = window.todo_user || 'Guest'
const fields = ['name', 'description', 'status', 'modified']

function useSocketStatus() {
  const { socket } = useContext(FrappeContext)
  const [status, setStatus] = useState(socket?.connected ? 'connected' : 'connecting')
  useEffect(() => {
    if (!socket) return
    const up = () => setStatus('connected')
    const down = () => setStatus('disconnected')
    socket.on('connect', up)
    socket.on('disconnect', down)
    if (socket.connected) up()
    return () => {
      socket.off('connect', up)
      socket.off('disconnect', down)
    }
  }, [socket])
  return status
}

function Login() {
  const { login, error } = useFrappeAuth()
  const [usr, setUsr] = useState('')
  const [pwd, setPwd] = useState('')
  const submit = async (event) => {
    event.preventDefault()
    await login({ username: usr, password: pwd })
    // A fresh page gets the new session's CSRF token in its boot values.
    window.location.reload()
  }
  return (
    <section>
      <h2>Log in</h2>
      <form id="login-form" className="row" onSubmit={submit}>
        <input name="usr" value={usr} onChange={(e) => setUsr(e.target.value)} placeholder="User" />
        <input name="pwd" type="password" value={pwd} onChange={(e) => setPwd(e.target.value)} placeholder="Password" />
        <button type="submit">Log in</button>
      </form>
      {error && <p className="error">{error.message}</p>}
    </section>
  )
}

function Todos() {
  const [selected, setSelected] = useState(null)
  const [draft, setDraft] = useState('')
  const open = useFrappeGetDocList('ToDo', {
    fields,
    filters: [['status', '=', 'Open']],
    orderBy: { field: 'creation', order: 'desc' },
    limit: 50,
  })
  const closed = useFrappeGetDocList('ToDo', {
    fields,
    filters: [['status', '=', 'Closed']],
    orderBy: { field: 'modified', order: 'desc' },
    limit: 20,
  })
  // list_update events for ToDo (any session, any worker): refetch both lists.
  useFrappeDocTypeEventListener('ToDo', () => {
    open.mutate()
    closed.mutate()
  })
  const { createDoc } = useFrappeCreateDoc()

  const add = async (event) => {
    event.preventDefault()
    await createDoc('ToDo', { description: draft })
    setDraft('')
    open.mutate()
  }
  const changed = (kind) => {
    if (kind === 'deleted' || kind === 'closed') setSelected(null)
    open.mutate()
    closed.mutate()
  }

  return (
    <>
      <section>
        <h2>Open</h2>
        <form id="new-todo" className="row" onSubmit={add}>
          <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="What needs doing?" />
          <button type="submit" disabled={!draft}>Add</button>
        </form>
        <ul id="open-list">
          {(open.data ?? []).map((todo) => (
            <li
              key={todo.name}
              data-name={todo.name}
              className={todo.name === selected ? 'selected' : ''}
              onClick={() => setSelected(todo.name)}
            >
              {todo.description}
            </li>
          ))}
        </ul>
        {open.data && !open.data.length && <p className="muted">Nothing open.</p>}
      </section>
      {selected && <TodoEditor key={selected} name={selected} onChanged={changed} />}
      <section>
        <h2>Closed</h2>
        <ul id="closed-list">
          {(closed.data ?? []).map((todo) => (
            <li key={todo.name} data-name={todo.name}>{todo.description}</li>
          ))}
        </ul>
      </section>
    </>
  )
}

export default function App() {
  const status = useSocketStatus()
  const { logout } = useFrappeAuth()
  const leave = async () => {
    await logout()
    window.location.reload()
  }
  return (
    <main>
      <header>
        <h1>ToDo</h1>
        <span className="muted">
          <span id="user">{user}</span> · realtime <span id="socket-status">{status}</span>
          {user !== 'Guest' && (
            <button className="secondary" id="logout" onClick={leave}>Log out</button>
          )}
        </span>
      </header>
      {user === 'Guest' ? <Login /> : <Todos />}
    </main>
  )
}
