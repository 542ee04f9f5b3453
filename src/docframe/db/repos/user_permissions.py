"""Checks of the User Permission controller (the ``User Permission`` DocType's table)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, and_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

__all__ = ["default_for", "duplicate_exists"]


def _same(table: Table, user: Any, allow: Any, other_than: Any) -> list[ColumnElement[bool]]:
    same = [table.c.user == user, table.c.allow == allow]
    if other_than is not None:
        same.append(table.c.name != other_than)
    return same


def duplicate_exists(
    conn: Connection,
    table: Table,
    user: Any,
    allow: Any,
    for_value: Any,
    applicable_for: Any,
    other_than: Any,
) -> bool:
    """Whether another entry gives ``user`` the same value of ``allow`` for the same scope.

    The scope is ``applicable_for`` when set, else "all DocTypes".
    """
    scope = table.c.applicable_for == applicable_for if applicable_for else table.c.apply_to_all_doctypes == 1
    stmt = select(table.c.name).where(
        and_(*_same(table, user, allow, other_than), table.c.for_value == for_value, scope)
    )
    return conn.execute(stmt.limit(1)).first() is not None


def default_for(conn: Connection, table: Table, user: Any, allow: Any, other_than: Any) -> Any:
    """The value of another default entry of ``user`` for ``allow`` (None when there is none)."""
    stmt = select(table.c.for_value).where(
        and_(*_same(table, user, allow, other_than), table.c.is_default == 1)
    )
    row = conn.execute(stmt.limit(1)).first()
    return None if row is None else row[0]
