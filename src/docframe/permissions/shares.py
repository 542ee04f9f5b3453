"""Shares: DocShare records grant read / write / share / submit on one document.

A share names a user, or ``everyone`` (every logged-in user; never the Guest). Shared rights
bypass role permissions and User Permissions for that document (:mod:`docframe.permissions.rules`),
and lists OR the shared names back into a restricted result
(:mod:`docframe.permissions.conditions`). Lookups are single indexed-by-DocType queries, made only
when the role rules have already said no.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, Table, or_, select
from sqlalchemy.sql import ColumnElement

from docframe.users import User

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["RIGHTS", "any_shared", "is_shared", "shared_names"]

RIGHTS = ("read", "write", "share", "submit")


def _table(ctx: Context) -> Table:
    return ctx.site.tables.get(ctx.meta("DocShare"))


def _who(table: Table, user: User) -> ColumnElement[bool]:
    if user.is_guest:
        return table.c.user == user.name
    return or_(table.c.user == user.name, table.c.everyone == 1)


def shared_names(ctx: Context, doctype: str, user: User, right: str = "read") -> Select[Any]:
    """``SELECT share_name`` of the ``doctype`` documents shared with ``user`` with ``right``."""
    if right not in RIGHTS:
        raise ValueError(f"A share cannot grant {right!r}")
    table = _table(ctx)
    return select(table.c.share_name).where(
        table.c.share_doctype == doctype, table.c[right] == 1, _who(table, user)
    )


def is_shared(ctx: Context, doctype: str, name: Any, user: User, right: str = "read") -> bool:
    """Whether document ``doctype`` ``name`` is shared with ``user`` with ``right``."""
    if name in (None, "") or right not in RIGHTS:
        return False
    stmt = shared_names(ctx, doctype, user, right).where(_table(ctx).c.share_name == str(name)).limit(1)
    return ctx.conn.execute(stmt).first() is not None


def any_shared(ctx: Context, doctype: str, user: User, right: str = "read") -> bool:
    """Whether at least one ``doctype`` document is shared with ``user`` with ``right``."""
    if right not in RIGHTS:
        return False
    return ctx.conn.execute(shared_names(ctx, doctype, user, right).limit(1)).first() is not None
