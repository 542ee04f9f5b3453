"""Rows that permissions are compiled from: Custom DocPerm, User Permission, tree bounds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

__all__ = ["custom_docperm_rows", "tree_descendants", "user_permission_rows"]

USER_PERMISSION_COLUMNS = (
    "allow", "for_value", "applicable_for", "apply_to_all_doctypes", "is_default", "hide_descendants",
)  # fmt: skip


def custom_docperm_rows(conn: Connection, table: Table, columns: Sequence[str]) -> list[dict[str, Any]]:
    """``columns`` of every Custom DocPerm row that is not cancelled, in ``idx`` order."""
    stmt = select(*(table.c[c] for c in columns)).where(table.c.docstatus == 0).order_by(table.c.idx)
    return [dict(row) for row in conn.execute(stmt).mappings()]


def user_permission_rows(conn: Connection, table: Table, user: str) -> list[Any]:
    """The User Permission entries of ``user``, oldest first (rows with the attributes above)."""
    stmt = select(*(table.c[c] for c in USER_PERMISSION_COLUMNS)).where(table.c.user == user)
    return list(conn.execute(stmt.order_by(table.c.creation)))


def tree_descendants(conn: Connection, table: Table, name: str) -> list[str]:
    """The names below ``name`` in a nested-set tree (``lft``/``rgt``); none when it has no bounds."""
    node = conn.execute(select(table.c.lft, table.c.rgt).where(table.c.name == name)).first()
    if node is None or node.lft is None or node.rgt is None:
        return []
    stmt = select(table.c.name).where(table.c.lft > node.lft, table.c.rgt < node.rgt)
    return [str(r[0]) for r in conn.execute(stmt)]
