"""Publish: the app API (``publish_realtime``, ``publish_progress``) and the document events.

Events are queued on the unit of work and published only once its transaction has committed
(``after_commit``), so a write that rolls back never announces itself. Room selection follows
Frappe's ``publish_realtime``: an explicit ``room`` wins; ``list_update`` goes to the DocType's
room; otherwise the running task's progress room, then the user's room, then the document's room,
then ``all`` (every System User of the site).

The lifecycle calls :func:`doc_changed` after insert, save, submit, cancel, update after submit
and delete, and :func:`doc_renamed` after a rename.
"""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import orjson

from docframe.context import Context, get_current
from docframe.realtime import rooms
from docframe.realtime.broker import HUB, Envelope

if TYPE_CHECKING:
    from docframe.model.document import Document
    from docframe.sites import Site

__all__ = [
    "LOGOUT_EVENT",
    "doc_changed",
    "doc_renamed",
    "publish_progress",
    "publish_realtime",
    "session_ended",
    "session_key",
    "task_scope",
]

#: The control event that tells every server to drop the sockets of an ended session.
LOGOUT_EVENT = "docframe:session_ended"
#: The background task (job id) the running code belongs to; progress goes to its room.
current_task: contextvars.ContextVar[str | None] = contextvars.ContextVar("docframe_task", default=None)


@contextmanager
def task_scope(task_id: str) -> Iterator[None]:
    """Mark the code run inside as belonging to task ``task_id`` (the job runner uses it)."""
    token = current_task.set(task_id)
    try:
        yield
    finally:
        current_task.reset(token)


def _room_for(
    event: str,
    message: dict[str, Any],
    user: str | None,
    doctype: str | None,
    docname: Any,
    task_id: str | None,
) -> str:
    if event == "list_update":
        return rooms.doctype_room(str(doctype or message.get("doctype")))
    if event == "docinfo_update" and doctype and docname is not None:
        return rooms.doc_room(doctype, docname)
    if task_id:
        return rooms.task_room(task_id)
    if user:
        return rooms.user_room(user)
    if doctype and docname is not None:
        return rooms.doc_room(doctype, docname)
    return rooms.ALL


def publish_realtime(
    event: str | None = None,
    message: dict[str, Any] | None = None,
    room: str | None = None,
    user: str | None = None,
    doctype: str | None = None,
    docname: Any = None,
    task_id: str | None = None,
    after_commit: bool = True,
    *,
    ctx: Context | None = None,
) -> None:
    """Send ``event`` with ``message`` to a room of the site's sockets (Frappe's signature).

    ``ctx`` defaults to the running unit of work. With ``after_commit`` (the default) the event
    waits for the transaction to commit and is dropped if it rolls back; inside a task, progress
    events are sent at once. An event naming both ``doctype`` and ``docname`` reaches only the
    sockets whose user may read that document.
    """
    ctx = ctx or get_current()
    message = dict(message) if message else {}
    task_id = task_id or current_task.get()
    if event is None:
        event = "task_progress" if task_id else "global"
    elif event == "msgprint" and not user:
        user = ctx.user.name
    if room is None:
        room = _room_for(event, message, user, doctype, docname, task_id)
        if task_id and room == rooms.task_room(task_id):
            after_commit = False  # progress is worth showing while the task still runs
            message.setdefault("task_id", task_id)
    envelope: Envelope = {"event": event, "message": message, "room": room, "namespace": ctx.site.name}
    if doctype and docname is not None:
        envelope["doc"] = [doctype, str(docname)]
    _send(ctx, envelope, after_commit)


def publish_progress(
    percent: float,
    title: str | None = None,
    doctype: str | None = None,
    docname: Any = None,
    description: str | None = None,
    *,
    task_id: str | None = None,
    ctx: Context | None = None,
) -> None:
    """Send a ``progress`` event: to the running task's room inside a job, else to the user."""
    ctx = ctx or get_current()
    task_id = task_id or current_task.get()
    message = {"percent": percent, "title": title, "description": description}
    if task_id:
        message["task_id"] = task_id
        room = rooms.task_room(task_id)
    else:
        room = rooms.user_room(ctx.user.name)
    envelope: Envelope = {"event": "progress", "message": message, "room": room, "namespace": ctx.site.name}
    _send(ctx, envelope, after_commit=False)


#: ``ctx.state`` key of the envelopes of a committed transaction, gathered for one publish.
_OUTBOX = "realtime.outbox"


def _send(ctx: Context, envelope: Envelope, after_commit: bool) -> None:
    if after_commit:
        # One callback per event, so that a bulk item rolled back to its savepoint (which cuts
        # ``ctx.after_commit`` back) drops exactly its own events.
        ctx.after_commit.append(lambda: _gather(ctx, envelope))
    else:
        HUB.publish(ctx.site.settings, envelope)


def _gather(ctx: Context, envelope: Envelope) -> None:
    """After the commit: add ``envelope`` to the transaction's outbox (published by :func:`_flush`).

    An event identical to one already gathered (event, message, room and all) is dropped, as
    Frappe drops it.
    """
    outbox: tuple[list[Envelope], set[bytes]] | None = ctx.state.get(_OUTBOX)
    if outbox is None:
        outbox = ctx.state[_OUTBOX] = ([], set())
        # The callbacks are running in order: appended now, the flush runs after the last event.
        ctx.after_commit.append(lambda: _flush(ctx))
    key = orjson.dumps(envelope, default=str, option=orjson.OPT_SORT_KEYS)
    if key not in outbox[1]:
        outbox[1].add(key)
        outbox[0].append(envelope)


def _flush(ctx: Context) -> None:
    outbox: tuple[list[Envelope], set[bytes]] | None = ctx.state.pop(_OUTBOX, None)
    if outbox is not None:
        HUB.publish_many(ctx.site.settings, outbox[0])


def _lists_changes(doc: Document) -> bool:
    meta = doc.meta
    return not (meta.issingle or meta.istable or meta.raw.get("read_only"))


def doc_changed(ctx: Context, doc: Document, *, deleted: bool = False) -> None:
    """Queue ``doc_update`` (document room) and ``list_update`` (DocType room) for after commit."""
    if ctx.in_install:
        return
    doctype, name = doc.doctype, str(doc.name)
    modified = doc.get("modified")
    site = ctx.site.name
    mark = [doctype, name]
    update: Envelope = {
        "event": "doc_update",
        "message": {
            "doctype": doctype,
            "name": name,
            "modified": None if modified is None else str(modified),
        },
        "room": rooms.doc_room(doctype, name),
        "namespace": site,
        "doc": mark,
    }
    if deleted:
        update["snapshot"] = _snapshot(doc)
    _send(ctx, update, after_commit=True)
    if _lists_changes(doc):
        listed: Envelope = {
            "event": "list_update",
            "message": {"doctype": doctype, "name": name, "user": ctx.user.name},
            "room": rooms.doctype_room(doctype),
            "namespace": site,
            "doc": mark,
        }
        if deleted:
            listed["snapshot"] = update["snapshot"]
        _send(ctx, listed, after_commit=True)


def _snapshot(doc: Document) -> dict[str, Any]:
    """The deleted document's own fields (JSON-safe), to judge read permission once it is gone."""
    out: dict[str, Any] = {}
    for key in doc.meta.valid_columns:
        value = doc.get(key)
        out[key] = value if value is None or isinstance(value, str | int | float | bool) else str(value)
    return out


def doc_renamed(ctx: Context, doctype: str, old: Any, new: Any) -> None:
    """Queue ``doc_rename`` {doctype, old, new} to the old document's room and ``list_update``."""
    if ctx.in_install:
        return
    site = ctx.site.name
    message = {"doctype": doctype, "old": str(old), "new": str(new)}
    _send(ctx, {"event": "doc_rename", "message": message, "room": rooms.doc_room(doctype, old),
                "namespace": site, "doc": [doctype, str(new)]}, after_commit=True)  # fmt: skip
    meta = ctx.meta(doctype)
    if not (meta.issingle or meta.istable or meta.raw.get("read_only")):
        _send(ctx, {"event": "list_update", "message": {"doctype": doctype, "name": str(new), "user": ctx.user.name},
                    "room": rooms.doctype_room(doctype), "namespace": site, "doc": [doctype, str(new)]},
              after_commit=True)  # fmt: skip


def session_key(sid: str) -> str:
    """What sockets remember of their session id (a digest: the sid itself never travels)."""
    return hashlib.sha256(sid.encode()).hexdigest()[:32]


def session_ended(site: Site, sid: str | None) -> None:
    """Disconnect every socket opened with session ``sid`` (on every worker); sent at once."""
    if not sid or sid == "Guest":
        return
    HUB.publish(site.settings, {"event": LOGOUT_EVENT, "message": {"session": session_key(sid)},
                                "room": None, "namespace": site.name})  # fmt: skip
