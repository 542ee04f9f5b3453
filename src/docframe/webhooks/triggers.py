"""Triggers: match document events to webhooks and write the outbox in the document's transaction.

:func:`on_doc_event` is a framework document listener (``docframe.hooks.FRAMEWORK_DOC_LISTENERS``).
For each enabled webhook of the document's DocType and event whose condition holds, it notes the
(webhook, document) pair on the unit of work; the same pair noted again in the same transaction is
one delivery. Just before the commit (``ctx.before_commit``) each pair becomes a delivery built
from the document's last state (the future ``Webhook Request Log`` row, status ``Queued``); they are
written, in the same transaction, as one ``Webhook Outbox`` row per queue, plus one delivery job per
outbox row (queued when the transaction commits). The job turns the outbox row into log rows and
sends them (:mod:`.delivery`). A rollback therefore sends nothing, and a crash after the commit
loses nothing: outbox rows and log rows no job took are picked up by the scheduler's sweep. Problems of a webhook (condition, template, URL) are logged and never
fail the user's write.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import insert

from docframe.db.prepared import prepared
from docframe.jobs.queue import enqueue
from docframe.webhooks.config import webhook_settings
from docframe.webhooks.registry import WebhookDef, webhooks_for
from docframe.webhooks.render import BuildError, build_request, condition_met, doc_values, redact_headers

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
_OUTBOX_KEYS = ("name", "creation", "modified", "owner", "modified_by", "docstatus", "idx", "queue",
                "deliveries", "payload")  # fmt: skip
_STATE = "webhooks.outbox"


class Outbox:
    """The deliveries noted in one unit of work, written just before it commits."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.pending: dict[tuple[str, str, str], tuple[WebhookDef, Document, str]] = {}
        self.headers_json: dict[str, str | None] = {}

    def note(self, hook: WebhookDef, doc: Document, event: str) -> None:
        """One delivery of ``hook`` for ``doc`` in this transaction (the latest event wins)."""
        self.pending[(hook.name, doc.doctype, str(doc.name))] = (hook, doc, event)

    def _row(self, hook: WebhookDef, doc: Document, event: str, now: Any, due: Any) -> dict[str, Any]:
        user = self.ctx.user.name
        row: dict[str, Any] = {
            "name": secrets.token_hex(5), "creation": now, "modified": now, "owner": user,
            "modified_by": user, "docstatus": 0, "idx": 0, "webhook": hook.name,
            "reference_doctype": doc.doctype, "reference_document": str(doc.name), "user": user,
            "status": "Queued", "attempts": 0, "next_retry": due, "event": event,
            "request_method": hook.request_method, "timeout": hook.timeout, "queue": hook.queue,
            "url": None, "headers": None, "data": None, "error": None,
        }  # fmt: skip
        try:
            request = build_request(hook, doc)
        except BuildError as exc:
            log.warning("webhook %s: %s %s not sent: %s", hook.name, doc.doctype, doc.name, exc)
            row.update(status="Failed", error=str(exc), next_retry=None)
            return row
        row.update(url=request.url, data=request.body, headers=self._headers(hook.name, request.headers))
        return row

    def _headers(self, webhook: str, headers: dict[str, str]) -> str | None:
        """The stored (redacted) headers, made once per webhook: they do not depend on the document."""
        if webhook not in self.headers_json:
            self.headers_json[webhook] = orjson.dumps(redact_headers(headers)).decode() if headers else None
        return self.headers_json[webhook]

    def flush(self) -> None:
        """Write the deliveries as one outbox row per queue, and queue a job for each, in the unit of
        work's transaction (one row whatever the number of documents keeps a big write cheap)."""
        if not self.pending:
            return
        ctx = self.ctx
        now = ctx.now()
        # A row no job has taken by ``next_retry`` (the server died after the commit) is sent by
        # the scheduler's sweep; the delivery job takes fresh rows (no attempt yet) at once.
        due = now + timedelta(seconds=webhook_settings(ctx.site).outbox_grace)
        rows = [self._row(hook, doc, event, now, due) for hook, doc, event in self.pending.values()]
        self.pending.clear()
        by_queue: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_queue.setdefault(row["queue"], []).append(row)
        table = ctx.site.tables.get(ctx.meta(OUTBOX_DOCTYPE))
        statement = prepared(
            table, "webhook_outbox", lambda: insert(table), ctx.site.db.engine.dialect, _OUTBOX_KEYS
        )
        user = ctx.user.name
        for queue, batch in by_queue.items():
            name = secrets.token_hex(6)
            statement.execute(ctx.conn, {
                "name": name, "creation": now, "modified": now, "owner": user, "modified_by": user,
                "docstatus": 0, "idx": 0, "queue": queue, "deliveries": len(batch),
                "payload": orjson.dumps(batch, default=str).decode(),
            })  # fmt: skip
            enqueue(ctx.site, DELIVER, ctx=ctx, queue=queue, job_name="Webhook delivery", outbox=name)


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
        return condition_met(hook.condition, doc_values(doc))
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
