"""Row conditions: what a list or count may return for a user, as SQLAlchemy WHERE clauses.

The query builder ANDs these into every list and count, so a list never shows a row that a read
would refuse. Raises :class:`~docframe.errors.PermissionError` when the user may not list at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Table
from sqlalchemy.sql import ColumnElement

from docframe import errors
from docframe.meta.schema import Meta
from docframe.permissions.rules import doctype_rights

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["row_conditions"]


def row_conditions(ctx: Context, meta: Meta, table: Table) -> list[ColumnElement[bool]]:
    """Clauses that limit ``table`` to rows ``ctx.user`` may see (empty when unrestricted)."""
    user = ctx.user
    if user.is_admin:
        return []
    full, owner_only = doctype_rights(user, meta)
    if "read" in full or "select" in full:
        return []
    if "read" in owner_only or "select" in owner_only:
        return [table.c.owner == user.name]
    raise errors.PermissionError(f"No permission for {meta.name}", title="Not Permitted", doctype=meta.name)
