"""Sending webhook deliveries: expand an outbox row into its log rows, claim, send over HTTP, record.

What :mod:`.delivery`'s jobs run (see its docstring for the protocol). Apart from it so that httpx
(with what it imports, a few MiB) and Jinja (the templates, :mod:`.templates`) are loaded by a
process when it sends, not by every process whose scheduler sweeps for due deliveries.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from docframe.auth.passwords import get_secret
from docframe.db.repos import rows as stored
from docframe.db.repos import webhooks as repo
from docframe.jobs.records import now_for
from docframe.users import User
from docframe.webhooks.config import log_table, webhook_settings
from docframe.webhooks.render import REDACTED, SIGNATURE_HEADER, BuildError, sign
from docframe.webhooks.templates import build_request
from docframe.webhooks.triggers import OUTBOX_DOCTYPE

if TYPE_CHECKING:
    from docframe.sites import Site

__all__ = ["deliver_one", "expand", "send"]

log = logging.getLogger("docframe.webhooks")


def _claim(site: Site, names: list[str]) -> list[dict[str, Any]]:
    """Claim the due deliveries among ``names`` in one transaction; the claimed rows, in order.

    Each row's lease covers the sends queued before it in this batch (``timeout`` each) plus the
    claim margin, so the sweep never takes a row this sender is still going to send.
    """
    table = log_table(site)
    now = now_for(site)
    margin = webhook_settings(site).claim_margin
    claimed: list[dict[str, Any]] = []
    waited = 0.0
    with site.unit_of_work(User.administrator()) as ctx:
        rows = {r["name"]: r for r in stored.select_rows(ctx.conn, table, None, {"name": list(names)})}
        for name in names:
            row = rows.get(name)
            if row is None or row["status"] not in ("Queued", "Failed") or not row["url"]:
                continue
            fresh = row["status"] == "Queued" and not row["attempts"]
            if not fresh and (row["next_retry"] is None or row["next_retry"] > now):
                continue
            attempts = int(row["attempts"] or 0)
            waited += float(row["timeout"] or 5)
            until = now + timedelta(seconds=waited + margin)
            if repo.claim(ctx.conn, table, name, attempts, now, until):
                claimed.append({**row, "attempts": attempts + 1})
    return claimed


def _webhook_secrets(site: Site, webhook: str) -> tuple[bool, str | None, dict[str, str]] | None:
    """(enable_security, secret, header values) of ``webhook``; None when it no longer exists."""
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        hook_table = site.tables.get(ctx.meta("Webhook"))
        row = stored.first(ctx.conn, hook_table, ("enable_security",), {"name": webhook})
        if row is None:
            return None
        header_table = site.tables.get(ctx.meta("Webhook Header"))
        headers = {
            str(r["key"]): str(r["value"])
            for r in stored.select_rows(
                ctx.conn, header_table, ("key", "value"), {"parent": webhook, "parenttype": "Webhook"}
            )
            if r["key"] and r["value"]
        }
        secure = row["enable_security"]
        secret = get_secret(ctx, "Webhook", webhook, "webhook_secret") if secure else None
        return bool(secure), secret, headers


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


Outcome = tuple[bool, int | None, str | None, str | None]


def _record(site: Site, outcomes: list[tuple[dict[str, Any], Outcome]]) -> list[str]:
    """Write the outcomes of claimed deliveries, in one transaction; their new statuses."""
    if not outcomes:
        return []
    now = now_for(site)
    schedule = webhook_settings(site).retry_schedule
    table = log_table(site)
    statuses: list[str] = []
    with site.unit_of_work(User.administrator()) as ctx:
        for row, (ok, status_code, text, error) in outcomes:
            attempts = int(row["attempts"])
            next_retry: datetime | None = None
            if ok:
                status = "Success"
            elif attempts <= len(schedule):
                status, next_retry = "Failed", now + timedelta(seconds=schedule[attempts - 1])
            else:
                status = "Exhausted"
            stored.update_rows(ctx.conn, table, {"name": row["name"], "attempts": attempts}, {
                "status": status, "next_retry": next_retry, "response_status": status_code or 0,
                "response": text, "error": error, "modified": now})  # fmt: skip
            statuses.append(status)
    for (row, (_, _, _, error)), status in zip(outcomes, statuses, strict=True):
        log.info("webhook %s delivery %s attempt %d: %s%s", row["webhook"], row["name"], row["attempts"], status,
                 f" ({error})" if error else "")  # fmt: skip
    return statuses


def _outcome(site: Site, row: dict[str, Any], client: httpx.Client, known: Secrets) -> Outcome:
    try:
        return _send(site, row, client, known)
    except Exception as exc:  # a bug or an odd response must not crash the worker: record it
        log.exception("webhook %s delivery %s failed unexpectedly", row["webhook"], row["name"])
        return False, None, None, f"{type(exc).__name__}: {exc}"


def deliver_one(site: Site, name: str, client: httpx.Client) -> str:
    """Claim and send delivery ``name``; its new status, or ``"skipped"`` when not due or taken."""
    claimed = _claim(site, [name])
    if not claimed:
        return "skipped"
    return _record(site, [(claimed[0], _outcome(site, claimed[0], client, {}))])[0]


#: Deliveries claimed per transaction.
CLAIM_BATCH = 50
#: Seconds after which the outcomes sent so far are written even though the batch is not done.
RECORD_EVERY = 1.0


def send(site: Site, names: list[str]) -> dict[str, int]:
    """Send the deliveries ``names``; how many ended in each status.

    They are claimed a batch at a time, and the outcomes of a batch written together (or every
    :data:`RECORD_EVERY` seconds when its receivers are slow): two short transactions per batch
    rather than one per delivery.
    """
    counts: dict[str, int] = {}
    known: Secrets = {}
    names = [str(n) for n in names]
    with httpx.Client(follow_redirects=True) as client:
        for start in range(0, len(names), CLAIM_BATCH):
            chunk = names[start : start + CLAIM_BATCH]
            claimed = _claim(site, chunk)
            counts["skipped"] = counts.get("skipped", 0) + len(chunk) - len(claimed)
            outcomes: list[tuple[dict[str, Any], Outcome]] = []
            written = time.monotonic()
            for row in claimed:
                outcomes.append((row, _outcome(site, row, client, known)))
                if time.monotonic() - written >= RECORD_EVERY:
                    for status in _record(site, outcomes):
                        counts[status] = counts.get(status, 0) + 1
                    outcomes, written = [], time.monotonic()
            for status in _record(site, outcomes):
                counts[status] = counts.get(status, 0) + 1
    return counts


def _log_rows(site: Site, payload: dict[str, Any], queue: str) -> list[dict[str, Any]]:
    """The ``Webhook Request Log`` rows of an outbox payload (:meth:`Outbox.payloads`), each with its
    request built: status ``Queued``, or ``Failed`` with the reason when it cannot be built."""
    at = datetime.fromisoformat(payload["at"])
    # A row no job has taken by ``next_retry`` (the server died after the commit) is sent by the
    # scheduler's sweep; the delivery job takes fresh rows (no attempt yet) at once.
    due = at + timedelta(seconds=webhook_settings(site).outbox_grace)
    user = str(payload["user"])
    specs: dict[str, dict[str, Any]] = payload["hooks"]
    headers = {name: orjson.dumps(spec["headers"]).decode() if spec["headers"] else None
               for name, spec in specs.items()}  # fmt: skip
    rows: list[dict[str, Any]] = []
    for webhook, doctype, docname, event, data, values, error in payload["items"]:
        spec = specs[webhook]
        row: dict[str, Any] = {
            "name": secrets.token_hex(5), "creation": at, "modified": at, "owner": user,
            "modified_by": user, "docstatus": 0, "idx": 0, "webhook": webhook,
            "reference_doctype": doctype, "reference_document": docname, "user": user,
            "status": "Queued", "attempts": 0, "next_retry": due, "event": event,
            "request_method": spec["method"], "timeout": spec["timeout"], "queue": queue,
            "url": None, "headers": None, "data": None, "error": None,
        }  # fmt: skip
        if error is None:
            try:
                request = build_request(spec, data, values)
            except BuildError as exc:
                error = str(exc)
            else:
                row.update(url=request.url, data=request.body, headers=headers[webhook])
        if error is not None:
            log.warning("webhook %s: %s %s not sent: %s", webhook, doctype, docname, error)
            row.update(status="Failed", error=error, next_retry=None)
        rows.append(row)
    return rows


def expand(site: Site, outbox: str) -> list[str]:
    """Turn outbox row ``outbox`` into its ``Webhook Request Log`` rows (exactly once, whoever calls
    first); the names of those to send.

    The requests are built before the write transaction (templates may be slow: the site's write
    lock is not held meanwhile); whoever then deletes the outbox row inserts the log rows.
    """
    out = site.tables.get(site.metas.get(OUTBOX_DOCTYPE))
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        found = repo.outbox_payload(ctx.conn, out, outbox)
    if found is None:
        return []  # expanded by someone else
    payload, queue = found
    rows = _log_rows(site, orjson.loads(payload), queue)
    with site.unit_of_work(User.administrator()) as ctx:
        if not repo.delete_outbox(ctx.conn, out, outbox):
            return []  # expanded by someone else meanwhile
        if rows:
            repo.insert_log_rows(ctx.conn, log_table(site), site.db.engine.dialect, rows)
    return [str(r["name"]) for r in rows if r["status"] == "Queued"]
