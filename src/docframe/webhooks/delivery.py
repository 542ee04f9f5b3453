"""Delivery: send queued webhook requests, record every attempt, retry on a schedule, replay.

The job a transaction queued first *expands* its ``Webhook Outbox`` row: it builds each delivery's
request (URL, headers, JSON body) from what the transaction captured of the document, then, in one
transaction, deletes the outbox row and inserts the deliveries as ``Webhook Request Log`` rows
(whoever deletes the outbox row does it, so it happens once). A delivery is then a log row. Whoever
sends it first *claims* it (``attempts`` + 1 and ``next_retry`` set to a lease, only if nobody else
claimed it meanwhile; a batch of rows per short transaction), so a row is sent by one sender at a
time even when the immediate job, the scheduler's sweep and a replay race. The outcomes of a batch
are written together in another short transaction: ``Success`` (2xx/3xx), else ``Failed`` with
``next_retry`` from the retry schedule, or ``Exhausted`` once the schedule is used up. A sender that
dies mid-batch leaves leases that run out, and the sweep sends those rows again (at-least-once
delivery).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from docframe.db.repos import rows as stored
from docframe.db.repos import webhooks as repo
from docframe.jobs.queue import enqueue
from docframe.webhooks.config import log_table, webhook_settings
from docframe.webhooks.triggers import DELIVER, OUTBOX_DOCTYPE

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["deliver", "deliver_outbox", "requeue", "sweep"]

log = logging.getLogger("docframe.webhooks")
SWEEP_BATCH = 500
DELIVER_NAMES = "docframe.webhooks.delivery.deliver"


def deliver(ctx: Context, names: list[str]) -> dict[str, int]:
    """Job: send the deliveries ``names``; how many ended in each status (:func:`.sending.send`)."""
    # Imported here, by the job that sends: the scheduler's sweep (every minute) and the request
    # log's replay import this module, and must not load httpx and Jinja (see .sending).
    from docframe.webhooks import sending

    return sending.send(ctx.site, names)


def deliver_outbox(ctx: Context, outbox: str) -> dict[str, int]:
    """Job: expand outbox row ``outbox`` into log rows and send them."""
    from docframe.webhooks import sending  # as in deliver()

    return sending.send(ctx.site, sending.expand(ctx.site, outbox))


def stale_outboxes(ctx: Context, limit: int = SWEEP_BATCH) -> list[tuple[str, str]]:
    """(name, queue) of outbox rows no job expanded within the outbox grace (their process died)."""
    out = ctx.site.tables.get(ctx.meta(OUTBOX_DOCTYPE))
    grace = ctx.now() - timedelta(seconds=webhook_settings(ctx.site).outbox_grace)
    return repo.stale_outboxes(ctx.conn, out, grace, limit)


def due_deliveries(ctx: Context, limit: int = SWEEP_BATCH) -> list[tuple[str, str]]:
    """(name, queue) of deliveries to send now: rows whose ``next_retry`` has come. That is failed
    ones due for a retry, queued ones no job took within the outbox grace (their process died after
    the commit), and queued ones whose sender's lease ran out (it died mid-send)."""
    return repo.due_deliveries(ctx.conn, log_table(ctx.site), ctx.now(), limit)


def sweep(ctx: Context) -> int:
    """Scheduler task: queue jobs for stale outbox rows and for every due delivery; returns how many."""
    stale = stale_outboxes(ctx)
    for name, queue in stale:
        enqueue(ctx.site, DELIVER, ctx=ctx, queue=queue, job_name="Webhook outbox", outbox=name)
    due = due_deliveries(ctx)
    by_queue: dict[str, list[str]] = {}
    for name, queue in due:
        by_queue.setdefault(queue, []).append(name)
    for queue, names in by_queue.items():
        enqueue(ctx.site, DELIVER_NAMES, ctx=ctx, queue=queue, job_name="Webhook retry", names=names)
    return len(stale) + len(due)


def requeue(ctx: Context, name: str) -> str:
    """Make delivery ``name`` due now and queue a job that sends it (the replay behind ``retry``)."""
    table = log_table(ctx.site)
    row = stored.first(ctx.conn, table, ("queue",), {"name": name})
    queue = str(row["queue"] or "default") if row is not None else "default"
    stored.update_rows(
        ctx.conn, table, {"name": name}, {"status": "Queued", "next_retry": ctx.now(), "modified": ctx.now()}
    )
    return enqueue(ctx.site, DELIVER_NAMES, ctx=ctx, queue=queue, job_name="Webhook replay", names=[name])
