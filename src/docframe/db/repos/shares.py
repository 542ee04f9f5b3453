"""Document shares (the ``DocShare`` DocType's table): which documents a user was given a right on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

__all__ = ["any_shared", "is_shared", "shared_names"]


def _who(table: Table, user: str, guest: bool) -> ColumnElement[bool]:
    if guest:
        return table.c.user == user
    return or_(table.c.user == user, table.c.everyone == 1)


def shared_names(table: Table, doctype: str, user: str, guest: bool, right: str) -> Select[Any]:
    """``SELECT share_name`` of the ``doctype`` documents shared with ``user`` (or everyone unless
    ``guest``) with ``right`` (a subquery for row conditions)."""
    return select(table.c.share_name).where(
        table.c.share_doctype == doctype, table.c[right] == 1, _who(table, user, guest)
    )


def is_shared(
    conn: Connection, table: Table, doctype: str, name: str, user: str, guest: bool, right: str
) -> bool:
    """Whether ``doctype`` ``name`` is shared with ``user`` with ``right``."""
    stmt = shared_names(table, doctype, user, guest, right).where(table.c.share_name == name).limit(1)
    return conn.execute(stmt).first() is not None


def any_shared(conn: Connection, table: Table, doctype: str, user: str, guest: bool, right: str) -> bool:
    """Whether at least one ``doctype`` document is shared with ``user`` with ``right``."""
    return conn.execute(shared_names(table, doctype, user, guest, right).limit(1)).first() is not None
