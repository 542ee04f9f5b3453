"""Whitelisted methods the realtime tests call to publish events as app code would."""

from __future__ import annotations

import os
from typing import Any

from docframe import errors
from docframe.context import Context
from docframe.methods.registry import whitelist
from docframe.realtime import publish_progress, publish_realtime


@whitelist(methods=["POST"])
def publish(
    ctx: Context,
    event: str,
    message: Any = None,
    room: str | None = None,
    user: str | None = None,
    doctype: str | None = None,
    docname: str | None = None,
    after_commit: int = 1,
    fail: int = 0,
    times: int = 1,
) -> str:
    """Publish ``event`` (``times`` times); with ``fail`` the request then fails (it rolls back)."""
    body = message if isinstance(message, dict) else {"text": message}
    for _ in range(max(1, min(int(times), 10))):
        publish_realtime(event, body, room=room, user=user, doctype=doctype, docname=docname,
                         after_commit=bool(int(after_commit)), ctx=ctx)  # fmt: skip
    if int(fail):
        raise errors.ValidationError("failing on purpose")
    return "ok"


@whitelist(methods=["POST"])
def progress(ctx: Context, percent: float, task_id: str | None = None) -> str:
    """Publish a ``progress`` event (to ``task_id``'s room, else to the user)."""
    publish_progress(float(percent), title="Test", task_id=task_id, ctx=ctx)
    return "ok"


def explode_after_insert(doc: Any, _event: str) -> None:
    """A ToDo described ``explode:<tag>`` inserts a ToDo ``<tag>``, then fails (a savepoint undoes both)."""
    description = str(doc.get("description") or "")
    if not description.startswith("explode:"):
        return
    from docframe.model import lifecycle, persistence

    ctx = doc.ctx
    inner = persistence.new_document(ctx, ctx.meta("ToDo"), {"description": description.split(":", 1)[1]})
    lifecycle.insert(ctx, inner, ignore_permissions=True)
    raise errors.ValidationError("exploding after an insert")


@whitelist(methods=["POST"])
def publish_pid(ctx: Context) -> int:
    """Publish ``from_worker`` {pid} to every System User and return the pid of the worker that did."""
    publish_realtime("from_worker", {"pid": os.getpid()}, room="all", ctx=ctx)
    return os.getpid()
