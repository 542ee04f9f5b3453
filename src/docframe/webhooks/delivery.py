"""Delivery: send queued webhook requests, record every attempt, retry on a schedule, replay.

The job a transaction queued first *expands* its ``Webhook Outbox`` row: in one transaction the
outbox row is deleted and its deliveries inserted as ``Webhook Request Log`` rows (whoever deletes
the outbox row does it, so it happens once). A delivery is then a log row. Whoever sends it first *claims* it in a short
transaction of its own (``attempts`` + 1 and ``next_retry`` set to a lease, only if nobody else
claimed it meanwhile), so a row is sent by one sender at a time even when the immediate job, the
scheduler's sweep and a replay race. The outcome is written in another short transaction:
``Success`` (2xx/3xx), else ``Failed`` with ``next_retry`` from the retry schedule, or ``Exhausted``
once the schedule is used up. A sender that dies mid-request leaves a lease that runs out, and the
sweep sends the row again (at-least-once delivery).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import orjson
from sqlalchemy import delete, insert, or_, select, update

from docframe.auth.passwords import get_secret
from docframe.db.prepared import prepared
from docframe.jobs.queue import enqueue
from docframe.jobs.records import now_for
from docframe.users import User
from docframe.webhooks.config import webhook_settings
from docframe.webhooks.render import REDACTED, SIGNATURE_HEADER, sign
from docframe.webhooks.triggers import DELIVER, OUTBOX_DOCTYPE

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site

__all__ = ["deliver", "deliver_one", "deliver_outbox", "expand", "requeue", "sweep"]

log = logging.getLogger("docframe.webhooks")
LOG_DOCTYPE = "Webhook Request Log"
SWEEP_BATCH = 500
DELIVER_NAMES = "docframe.webhooks.delivery.deliver"
_DATETIMES = ("creation", "modified", "next_retry")


def _table(site: Site) -> Any:
    return site.tables.get(site.metas.get(LOG_DOCTYPE))


def _claim(site: Site, names: list[str]) -> list[dict[str, Any]]:
    """Claim the due deliveries among ``names`` in one transaction; the claimed rows, in order.

    Each row's lease covers the sends queued before it in this batch (``timeout`` each) plus the
    claim margin, so the sweep never takes a row this sender is still going to send.
    """
    table = _table(site)
    now = now_for(site)
    margin = webhook_settings(site).claim_margin
    claimed: list[dict[str, Any]] = []
    waited = 0.0
    with site.unit_of_work(User.administrator()) as ctx:
        rows = {
            r["name"]: r for r in ctx.conn.execute(select(table).where(table.c.name.in_(names))).mappings()
        }
        for name in names:
            row = rows.get(name)
            if row is None or row["status"] not in ("Queued", "Failed") or not row["url"]:
                continue
            fresh = row["status"] == "Queued" and not row["attempts"]
            if not fresh and (row["next_retry"] is None or row["next_retry"] > now):
                continue
            attempts = int(row["attempts"] or 0)
            waited += float(row["timeout"] or 5)
            done = ctx.conn.execute(
                update(table)
                .where(table.c.name == name, table.c.attempts == attempts, table.c.status.in_(("Queued", "Failed")),
                       or_(table.c.attempts == 0, table.c.next_retry <= now))
                .values(attempts=attempts + 1, next_retry=now + timedelta(seconds=waited + margin), modified=now)
            )  # fmt: skip
            if done.rowcount == 1:
                claimed.append({**row, "attempts": attempts + 1})
    return claimed


def _webhook_secrets(site: Site, webhook: str) -> tuple[bool, str | None, dict[str, str]] | None:
    """(enable_security, secret, header values) of ``webhook``; None when it no longer exists."""
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        hook_table = site.tables.get(ctx.meta("Webhook"))
        row = ctx.conn.execute(select(hook_table).where(hook_table.c.name == webhook)).first()
        if row is None:
            return None
        header_table = site.tables.get(ctx.meta("Webhook Header"))
        headers = {
            str(r.key): str(r.value)
            for r in ctx.conn.execute(
                select(header_table).where(
                    header_table.c.parent == webhook, header_table.c.parenttype == "Webhook"
                )
            )
            if r.key and r.value
        }
        secret = get_secret(ctx, "Webhook", webhook, "webhook_secret") if row.enable_security else None
        return bool(row.enable_security), secret, headers


def _headers(row: dict[str, Any], current: dict[str, str], body: bytes, secret: str | None) -> dict[str, str]:
    stored = orjson.loads(row["headers"]) if row["headers"] else {}
    headers = {k: (current.get(k, "") if v == REDACTED else str(v)) for k, v in stored.items()}
    headers = {k: v for k, v in headers.items() if v}
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    return headers


Secrets = dict[str, tuple[bool, str | None, dict[str, str]] | None]


def _send(
    site: Site, row: dict[str, Any], client: httpx.Client, known: Secrets
) -> tuple[bool, int | None, str | None, str | None]:
    """(success, response status, response excerpt, error)."""
    webhook = str(row["webhook"])
    if webhook not in known:
        known[webhook] = _webhook_secrets(site, webhook)
    found = known[webhook]
    if found is None:
        return False, None, None, f"Webhook {webhook} no longer exists"
    enabled_security, secret, current = found
    if enabled_security and not secret:
        return False, None, None, "Invalid Webhook Secret: none is stored"
    body = (row["data"] or "").encode("utf8")
    headers = _headers(row, current, body, secret)
    excerpt = webhook_settings(site).response_excerpt
    try:
        response = client.request(
            str(row["request_method"] or "POST"), str(row["url"]), content=body, headers=headers,
            timeout=float(row["timeout"] or 5),
        )  # fmt: skip
    except httpx.TimeoutException as exc:
        return False, None, None, f"Timed out after {row['timeout'] or 5} s ({type(exc).__name__})"
    except httpx.HTTPError as exc:
        return False, None, None, f"{type(exc).__name__}: {exc}"
    text = response.text[:excerpt]
    if response.status_code >= 400:
        return False, response.status_code, text, f"HTTP {response.status_code} {response.reason_phrase}"
    return True, response.status_code, text, None


def _record(site: Site, row: dict[str, Any], outcome: tuple[bool, int | None, str | None, str | None]) -> str:
    ok, status_code, text, error = outcome
    now = now_for(site)
    attempts = int(row["attempts"])
    schedule = webhook_settings(site).retry_schedule
    next_retry: datetime | None = None
    if ok:
        status = "Success"
    elif attempts <= len(schedule):
        status, next_retry = "Failed", now + timedelta(seconds=schedule[attempts - 1])
    else:
        status = "Exhausted"
    table = _table(site)
    with site.unit_of_work(User.administrator()) as ctx:
        ctx.conn.execute(
            update(table).where(table.c.name == row["name"], table.c.attempts == attempts)
            .values(status=status, next_retry=next_retry, response_status=status_code or 0, response=text,
                    error=error, modified=now)
        )  # fmt: skip
    log.info("webhook %s delivery %s attempt %d: %s%s", row["webhook"], row["name"], attempts, status,
             f" ({error})" if error else "")  # fmt: skip
    return status


def _attempt(site: Site, row: dict[str, Any], client: httpx.Client, known: Secrets) -> str:
    try:
        outcome = _send(site, row, client, known)
    except Exception as exc:  # a bug or an odd response must not crash the worker: record it
        log.exception("webhook %s delivery %s failed unexpectedly", row["webhook"], row["name"])
        outcome = (False, None, None, f"{type(exc).__name__}: {exc}")
    return _record(site, row, outcome)


def deliver_one(site: Site, name: str, client: httpx.Client) -> str:
    """Claim and send delivery ``name``; its new status, or ``"skipped"`` when not due or taken."""
    claimed = _claim(site, [name])
    return _attempt(site, claimed[0], client, {}) if claimed else "skipped"


CLAIM_BATCH = 20


def deliver(ctx: Context, names: list[str]) -> dict[str, int]:
    """Job: send the deliveries ``names`` (claimed a batch at a time); how many ended in each status."""
    counts: dict[str, int] = {}
    known: Secrets = {}
    names = [str(n) for n in names]
    with httpx.Client(follow_redirects=True) as client:
        for start in range(0, len(names), CLAIM_BATCH):
            chunk = names[start : start + CLAIM_BATCH]
            claimed = _claim(ctx.site, chunk)
            counts["skipped"] = counts.get("skipped", 0) + len(chunk) - len(claimed)
            for row in claimed:
                status = _attempt(ctx.site, row, client, known)
                counts[status] = counts.get(status, 0) + 1
    return counts


def expand(site: Site, outbox: str) -> list[str]:
    """Turn outbox row ``outbox`` into its ``Webhook Request Log`` rows (exactly once, whoever calls
    first); the names of those to send."""
    out = site.tables.get(site.metas.get(OUTBOX_DOCTYPE))
    with site.unit_of_work(User.administrator()) as ctx:
        found = ctx.conn.execute(select(out.c.payload).where(out.c.name == outbox)).first()
        if found is None or ctx.conn.execute(delete(out).where(out.c.name == outbox)).rowcount != 1:
            return []  # expanded by someone else
        rows: list[dict[str, Any]] = orjson.loads(found.payload)
        if not rows:
            return []
        for row in rows:
            for key in _DATETIMES:
                if row.get(key):
                    row[key] = datetime.fromisoformat(row[key])
        table = _table(site)
        keys = tuple(rows[0])
        statement = prepared(
            table, ("webhook_log", keys), lambda: insert(table), site.db.engine.dialect, keys
        )
        statement.execute_many(ctx.raw, rows)
    return [str(r["name"]) for r in rows if r["status"] == "Queued"]


def deliver_outbox(ctx: Context, outbox: str) -> dict[str, int]:
    """Job: expand outbox row ``outbox`` into log rows and send them."""
    return deliver(ctx, expand(ctx.site, outbox))


def stale_outboxes(ctx: Context, limit: int = SWEEP_BATCH) -> list[tuple[str, str]]:
    """(name, queue) of outbox rows no job expanded within the outbox grace (their process died)."""
    out = ctx.site.tables.get(ctx.meta(OUTBOX_DOCTYPE))
    grace = ctx.now() - timedelta(seconds=webhook_settings(ctx.site).outbox_grace)
    stmt = (
        select(out.c.name, out.c.queue).where(out.c.creation <= grace).order_by(out.c.creation).limit(limit)
    )
    return [(str(r.name), str(r.queue or "default")) for r in ctx.conn.execute(stmt)]


def due_deliveries(ctx: Context, limit: int = SWEEP_BATCH) -> list[tuple[str, str]]:
    """(name, queue) of deliveries to send now: rows whose ``next_retry`` has come. That is failed
    ones due for a retry, queued ones no job took within the outbox grace (their process died after
    the commit), and queued ones whose sender's lease ran out (it died mid-send)."""
    table = _table(ctx.site)
    stmt = (
        select(table.c.name, table.c.queue)
        .where(table.c.next_retry <= ctx.now(), table.c.status.in_(("Queued", "Failed")))
        .order_by(table.c.next_retry)
        .limit(limit)
    )
    return [(str(r.name), str(r.queue or "default")) for r in ctx.conn.execute(stmt)]


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
    table = _table(ctx.site)
    row = ctx.conn.execute(select(table.c.queue).where(table.c.name == name)).first()
    queue = str(row.queue or "default") if row is not None else "default"
    ctx.conn.execute(
        update(table)
        .where(table.c.name == name)
        .values(status="Queued", next_retry=ctx.now(), modified=ctx.now())
    )
    return enqueue(ctx.site, DELIVER_NAMES, ctx=ctx, queue=queue, job_name="Webhook replay", names=[name])
