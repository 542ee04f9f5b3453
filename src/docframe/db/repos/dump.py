"""Whole tables for ``docframe backup`` / ``restore`` and ``doctor``'s database check."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Date, DateTime, Table, Time, delete, insert, literal, select
from sqlalchemy.engine import Connection

__all__ = ["column_kinds", "ping", "replace_rows", "table_exists", "table_rows"]


def ping(conn: Connection) -> None:
    """One round trip to the server (``SELECT 1``)."""
    conn.execute(select(literal(1)))


def table_exists(conn: Connection, table: Table) -> bool:
    """Whether ``table`` exists in the database."""
    return bool(conn.dialect.has_table(conn, table.name))


def table_rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    """Every row of ``table``, as dicts keyed by column name."""
    for row in conn.execute(select(table)).mappings():
        yield {str(k): v for k, v in row.items()}


def column_kinds(table: Table) -> dict[str, str | None]:
    """Per column: ``"datetime"``, ``"date"``, ``"time"`` (values stored as text in a dump), or None."""
    kinds: dict[str, str | None] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, DateTime):
            kinds[column.name] = "datetime"
        elif isinstance(kind, Date):
            kinds[column.name] = "date"
        elif isinstance(kind, Time):
            kinds[column.name] = "time"
        else:
            kinds[column.name] = None
    return kinds


def replace_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], batch: int = 500) -> int:
    """Empty ``table`` and insert ``rows`` (keys that are not columns are dropped); how many."""
    kept = [{k: v for k, v in row.items() if k in table.c} for row in rows]
    conn.execute(delete(table))
    for start in range(0, len(kept), batch):
        conn.execute(insert(table), kept[start : start + batch])
    return len(kept)
