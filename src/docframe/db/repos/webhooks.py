"""Webhook definitions, the outbox and the delivery log (``Webhook``, ``Webhook Data``/``Header``,
``Webhook Outbox`` and ``Webhook Request Log`` tables): the statements of :mod:`docframe.webhooks`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, or_, select, update
from sqlalchemy.engine import Connection, Dialect

from docframe.db.prepared import prepared

__all__ = [
    "OUTBOX_KEYS",
    "claim",
    "delete_outbox",
    "due_deliveries",
    "enabled_webhooks",
    "insert_log_rows",
    "insert_outbox",
    "outbox_payload",
    "stale_outboxes",
    "webhook_children",
]

#: The columns of an outbox row.
OUTBOX_KEYS = (
    "name", "creation", "modified", "owner", "modified_by", "docstatus", "idx", "queue", "deliveries", "payload",
)  # fmt: skip


def enabled_webhooks(conn: Connection, table: Table) -> list[Any]:
    """Every enabled Webhook row (attribute access by column name)."""
    return list(conn.execute(select(table).where(table.c.enabled == 1)))


def webhook_children(conn: Connection, table: Table) -> list[Any]:
    """Every child row of Webhooks in ``table`` (Webhook Data or Header), by parent and ``idx``."""
    stmt = select(table).where(table.c.parenttype == "Webhook").order_by(table.c.parent, table.c.idx)
    return list(conn.execute(stmt))


def insert_outbox(conn: Connection, table: Table, dialect: Dialect, row: dict[str, Any]) -> None:
    """Write one outbox row (``OUTBOX_KEYS``) in the unit of work's transaction."""
    statement = prepared(table, "webhook_outbox", lambda: insert(table), dialect, OUTBOX_KEYS)
    statement.execute(conn, row)


def outbox_payload(conn: Connection, out: Table, name: str) -> tuple[str, str] | None:
    """(payload, queue) of outbox row ``name``, or None when it is gone (taken by another caller)."""
    found = conn.execute(select(out.c.payload, out.c.queue).where(out.c.name == name)).first()
    return None if found is None else (str(found.payload), str(found.queue or "default"))


def delete_outbox(conn: Connection, out: Table, name: str) -> bool:
    """Delete outbox row ``name``; True when this caller deleted it (nobody took it first)."""
    return bool(conn.execute(delete(out).where(out.c.name == name)).rowcount == 1)


def insert_log_rows(conn: Connection, table: Table, dialect: Dialect, rows: Sequence[dict[str, Any]]) -> None:
    """Insert delivery log rows (all with the keys of the first) in the unit of work's transaction."""
    keys = tuple(rows[0])
    statement = prepared(table, ("webhook_log", keys), lambda: insert(table), dialect, keys)
    statement.execute_many(conn, list(rows))


def claim(conn: Connection, table: Table, name: str, attempts: int, now: datetime, until: datetime) -> bool:
    """Take delivery ``name`` for one more attempt until ``until``, if it is still due and nobody
    took it since it was read with ``attempts`` attempts; True when this caller has it."""
    done = conn.execute(
        update(table)
        .where(table.c.name == name, table.c.attempts == attempts, table.c.status.in_(("Queued", "Failed")),
               or_(table.c.attempts == 0, table.c.next_retry <= now))
        .values(attempts=attempts + 1, next_retry=until, modified=now)
    )  # fmt: skip
    return bool(done.rowcount == 1)


def stale_outboxes(
    conn: Connection, out: Table, created_before: datetime, limit: int
) -> list[tuple[str, str]]:
    """(name, queue) of outbox rows created at or before ``created_before``, oldest first."""
    stmt = (
        select(out.c.name, out.c.queue)
        .where(out.c.creation <= created_before)
        .order_by(out.c.creation)
        .limit(limit)
    )
    return [(str(r.name), str(r.queue or "default")) for r in conn.execute(stmt)]


def due_deliveries(conn: Connection, table: Table, now: datetime, limit: int) -> list[tuple[str, str]]:
    """(name, queue) of Queued or Failed deliveries whose ``next_retry`` has come, earliest first."""
    stmt = (
        select(table.c.name, table.c.queue)
        .where(table.c.next_retry <= now, table.c.status.in_(("Queued", "Failed")))
        .order_by(table.c.next_retry)
        .limit(limit)
    )
    return [(str(r.name), str(r.queue or "default")) for r in conn.execute(stmt)]
