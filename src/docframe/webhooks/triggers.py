"""Triggers: match document events to webhooks and write the outbox in the document's transaction.

:func:`on_doc_event` is a framework document listener (``docframe.hooks.FRAMEWORK_DOC_LISTENERS``).
For each enabled webhook of the document's DocType and event whose condition holds, it notes the
(webhook, document) pair on the unit of work; the same pair noted again in the same transaction is
one delivery. Just before the commit (``ctx.before_commit``) each pair takes what its request needs
of the document's last state (the data rows' values, or the document's dict for a template:
:func:`~docframe.webhooks.render.capture`), and they are written, in the same transaction, as one
``Webhook Outbox`` row per queue, plus one delivery job per outbox row (queued when the transaction
commits). The job builds the requests (URL, headers, JSON body), turns the outbox row into
``Webhook Request Log`` rows and sends them (:mod:`.delivery`): the user's request pays only for
the capture and one row. A rollback therefore sends nothing, and a crash after the commit loses
nothing: outbox rows and log rows no job took are picked up by the scheduler's sweep. Problems of a
webhook (condition, template, URL) are logged and never fail the user's write.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import TYPE_CHECKING, Any

import orjson

from docframe.db.repos.webhooks import insert_outbox
from docframe.jobs.queue import enqueue
from docframe.webhooks.registry import WebhookDef, webhooks_for
from docframe.webhooks.render import LazyValues, capture, condition_met, request_spec

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.model.document import Document

__all__ = ["DELIVER", "EVENTS", "Outbox", "on_doc_event"]

log = logging.getLogger("docframe.webhooks")
EVENTS = frozenset(
    {"after_insert", "on_update", "on_submit", "on_cancel", "on_trash", "on_update_after_submit", "on_change"}
)
DELIVER = "docframe.webhooks.delivery.deliver_outbox"
OUTBOX_DOCTYPE = "Webhook Outbox"
_STATE = "webhooks.outbox"


class Outbox:
    """The deliveries noted in one unit of work, written just before it commits."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.pending: dict[tuple[str, str, str], tuple[WebhookDef, Document, str]] = {}

    def note(self, hook: WebhookDef, doc: Document, event: str) -> None:
        """One delivery of ``hook`` for ``doc`` in this transaction (the latest event wins)."""
        self.pending[(hook.name, doc.doctype, str(doc.name))] = (hook, doc, event)

    def payloads(self) -> dict[str, dict[str, Any]]:
        """The pending deliveries as one outbox payload per job queue (and none pending after).

        A payload holds the transaction's user and time, each webhook's :func:`request_spec` once,
        and per delivery ``(webhook, doctype, name, event, data, values, error)`` (:func:`capture`:
        only what the request needs of the document's last state).
        """
        at = self.ctx.now().isoformat(sep=" ")
        user = self.ctx.user.name
        payloads: dict[str, dict[str, Any]] = {}
        for hook, doc, event in self.pending.values():
            payload = payloads.get(hook.queue)
            if payload is None:
                payload = payloads[hook.queue] = {"user": user, "at": at, "hooks": {}, "items": []}
            if hook.name not in payload["hooks"]:
                payload["hooks"][hook.name] = request_spec(hook)
            # a tuple of strings and plain dicts: once the collector has seen it, it stops tracking it
            payload["items"].append((hook.name, doc.doctype, str(doc.name), event, *capture(hook, doc)))
        self.pending.clear()
        return payloads

    def flush(self) -> None:
        """Write the deliveries as one outbox row per queue, and queue a job for each, in the unit of
        work's transaction (one row whatever the number of documents keeps a big write cheap)."""
        if not self.pending:
            return
        ctx = self.ctx
        payloads = self.payloads()
        table = ctx.site.tables.get(ctx.meta(OUTBOX_DOCTYPE))
        dialect = ctx.site.db.engine.dialect
        now, user = ctx.now(), ctx.user.name
        for queue, payload in payloads.items():
            name = secrets.token_hex(6)
            insert_outbox(ctx.conn, table, dialect, {
                "name": name, "creation": now, "modified": now, "owner": user, "modified_by": user,
                "docstatus": 0, "idx": 0, "queue": queue, "deliveries": len(payload["items"]),
                "payload": _dumps(payload),
            })  # fmt: skip
            enqueue(ctx.site, DELIVER, ctx=ctx, queue=queue, job_name="Webhook delivery", outbox=name)


def _dumps(payload: dict[str, Any]) -> str:
    try:
        return orjson.dumps(payload, default=str).decode()
    except orjson.JSONEncodeError:  # an integer beyond 64 bits: the standard library takes it
        return json.dumps(payload, default=str)


def _outbox(ctx: Context) -> Outbox:
    outbox: Outbox | None = ctx.state.get(_STATE)
    if outbox is None:
        outbox = ctx.state[_STATE] = Outbox(ctx)
        ctx.before_commit.append(outbox.flush)
    return outbox


def _matches(hook: WebhookDef, doc: Document) -> bool:
    if not hook.condition:
        return True
    try:
        return condition_met(hook.condition, LazyValues(doc))
    except Exception as exc:  # a broken condition skips this webhook, never the user's write
        log.warning("webhook %s: condition failed for %s %s: %s: %s", hook.name, doc.doctype, doc.name,
                    type(exc).__name__, exc)  # fmt: skip
        return False


def on_doc_event(doc: Document, event: str) -> None:
    """Note the deliveries ``event`` on ``doc`` causes (a framework document listener)."""
    if event not in EVENTS:
        return
    ctx = doc.ctx
    if ctx.in_install or not ctx.writable:
        return
    hooks = webhooks_for(ctx, doc.doctype, event)
    if not hooks:
        return
    outbox = _outbox(ctx)
    for hook in hooks:
        if _matches(hook, doc):
            outbox.note(hook, doc, event)
