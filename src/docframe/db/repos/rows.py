"""Rows of one table by equality: the small reads and writes that need no query planner.

``where`` maps column names to a value (``column = value``; ``None`` is ``IS NULL``) or to a list,
tuple or set of values (``column IN (...)``). Columns are looked up on the table the metadata
registry built (``table.c[name]``), so a name that is not a column of the DocType raises ``KeyError``
before any SQL is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

__all__ = [
    "Where",
    "child_rows",
    "count",
    "delete_older",
    "delete_rows",
    "exists",
    "first",
    "insert_rows",
    "select_rows",
    "update_rows",
    "value",
    "values",
]

Where = Mapping[str, Any]


def conditions(table: Table, where: Where | None) -> list[ColumnElement[bool]]:
    """The WHERE terms of ``where`` on ``table``."""
    terms: list[ColumnElement[bool]] = []
    for key, wanted in (where or {}).items():
        column = table.c[key]
        if isinstance(wanted, list | tuple | set | frozenset):
            terms.append(column.in_(list(wanted)))
        else:
            terms.append(column == wanted)
    return terms


def values(
    conn: Connection,
    table: Table,
    column: str,
    where: Where | None = None,
    *,
    order_by: str | None = None,
    descending: bool = False,
    limit: int | None = None,
) -> list[Any]:
    """The values of ``column`` in the rows matching ``where``."""
    stmt = select(table.c[column]).where(*conditions(table, where))
    if order_by is not None:
        key = table.c[order_by]
        stmt = stmt.order_by(key.desc() if descending else key)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(conn.execute(stmt).scalars())


def value(conn: Connection, table: Table, column: str, where: Where) -> Any:
    """``column`` of the first row matching ``where`` (None when there is none)."""
    return conn.execute(select(table.c[column]).where(*conditions(table, where)).limit(1)).scalar()


def exists(conn: Connection, table: Table, where: Where) -> bool:
    """Whether a row matches ``where``."""
    stmt = select(table.c.name).where(*conditions(table, where)).limit(1)
    return conn.execute(stmt).first() is not None


def first(
    conn: Connection, table: Table, columns: Sequence[str] | None, where: Where, *, for_update: bool = False
) -> dict[str, Any] | None:
    """The first row matching ``where`` (``columns``, or every column), as a dict; or None.

    ``for_update`` locks the row until the transaction ends (``SELECT ... FOR UPDATE``).
    """
    cols = [table.c[c] for c in columns] if columns is not None else list(table.c)
    stmt = select(*cols).where(*conditions(table, where)).limit(1)
    if for_update:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).mappings().first()
    return None if row is None else dict(row)


def select_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str] | None = None,
    where: Where | None = None,
    *,
    order_by: str | None = None,
    descending: bool = False,
    limit: int | None = None,
    after: Any = None,
) -> list[dict[str, Any]]:
    """The rows matching ``where`` (``columns``, or every column), as dicts.

    ``after`` keeps the rows whose ``order_by`` column is greater (a page after the last one seen).
    """
    cols = [table.c[c] for c in columns] if columns is not None else list(table.c)
    stmt = select(*cols).where(*conditions(table, where))
    if order_by is not None:
        key = table.c[order_by]
        if after is not None:
            stmt = stmt.where(key > after)
        stmt = stmt.order_by(key.desc() if descending else key)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def count(conn: Connection, table: Table, where: Where | None = None) -> int:
    """How many rows match ``where``."""
    return int(
        conn.execute(select(func.count()).select_from(table).where(*conditions(table, where))).scalar_one()
    )


def child_rows(
    conn: Connection,
    child: Table,
    columns: Sequence[str],
    parenttype: str,
    parentfield: str,
    parents: Sequence[Any],
) -> list[dict[str, Any]]:
    """The rows of table field ``parentfield`` of the documents ``parents`` (with ``parent``), in order."""
    stmt = (
        select(child.c.parent, *(child.c[c] for c in columns))
        .where(child.c.parenttype == parenttype, child.c.parentfield == parentfield)
        .where(child.c.parent.in_(list(parents)))
        .order_by(child.c.parent, child.c.idx)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def update_rows(conn: Connection, table: Table, where: Where, changes: Mapping[str, Any]) -> int:
    """Set ``changes`` on the rows matching ``where``; how many matched."""
    stmt = update(table).where(*conditions(table, where)).values({table.c[k]: v for k, v in changes.items()})
    return int(conn.execute(stmt).rowcount)


def delete_rows(conn: Connection, table: Table, where: Where) -> int:
    """Delete the rows matching ``where`` (never every row: ``where`` must not be empty)."""
    if not where:
        raise ValueError("delete_rows needs a condition")
    return int(conn.execute(delete(table).where(*conditions(table, where))).rowcount)


def insert_rows(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]], batch: int = 200) -> int:
    """Insert ``rows`` (executemany, ``batch`` at a time); how many."""
    pending = [dict(r) for r in rows]
    for start in range(0, len(pending), batch):
        conn.execute(insert(table), pending[start : start + batch])
    return len(pending)


def delete_older(conn: Connection, table: Table, column: str, before: Any, where: Where | None = None) -> int:
    """Delete the rows whose ``column`` is earlier than ``before`` (and that match ``where``); how many."""
    stmt = delete(table).where(table.c[column] < before, *conditions(table, where))
    return int(conn.execute(stmt).rowcount)
