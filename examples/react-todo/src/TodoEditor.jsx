import { useEffect, useState } from 'react'
import {
  useFrappeDeleteDoc,
  useFrappeDocumentEventListener,
  useFrappeGetDoc,
  useFrappeUpdateDoc,
} from 'frappe-react-sdk'

export default function TodoEditor({ name, onChanged }) {
  const { data: doc, mutate } = useFrappeGetDoc('ToDo', name)
  // doc_update events for this document (saved by anyone): refetch it. Also announces the viewer
  // (doc_open / doc_close) and lists who else has it open.
  const { viewers } = useFrappeDocumentEventListener('ToDo', name, () => mutate())
  const { updateDoc } = useFrappeUpdateDoc()
  const { deleteDoc } = useFrappeDeleteDoc()
  const [description, setDescription] = useState('')
  useEffect(() => setDescription(doc?.description ?? ''), [doc?.description])

  const save = async (event) => {
    event.preventDefault()
    await updateDoc('ToDo', name, { description })
    mutate()
    onChanged('saved')
  }
  const close = async () => {
    await updateDoc('ToDo', name, { status: 'Closed' })
    onChanged('closed')
  }
  const remove = async () => {
    await deleteDoc('ToDo', name)
    onChanged('deleted')
  }

  return (
    <section id="editor">
      <h2>Edit</h2>
      {!doc ? (
        <p className="muted">Loading…</p>
      ) : (
        <form className="row" onSubmit={save}>
          <input id="edit-description" value={description} onChange={(e) => setDescription(e.target.value)} />
          <button type="submit" className="save">Save</button>
          <button type="button" className="secondary close-todo" onClick={close}>Close</button>
          <button type="button" className="secondary delete" onClick={remove}>Delete</button>
        </form>
      )}
      {doc && (
        <p className="muted">
          {doc.name} · modified <span id="doc-modified">{doc.modified}</span> · viewers {viewers.length}
        </p>
      )}
    </section>
  )
}
