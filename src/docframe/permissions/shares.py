"""Shares: DocShare records grant read / write / share / submit on one document.

A share names a user, or ``everyone`` (every logged-in user; never the Guest). Shared rights
bypass role permissions and User Permissions for that document (:mod:`docframe.permissions.rules`),
and lists OR the shared names back into a restricted result
(:mod:`docframe.permissions.conditions`). Lookups are single indexed-by-DocType queries, made only
when the role rules have already said no.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, Table

from docframe.db.repos import shares as stored
from docframe.users import User

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["RIGHTS", "any_shared", "is_shared", "shared_names"]

RIGHTS = ("read", "write", "share", "submit")


def _table(ctx: Context) -> Table:
    return ctx.site.tables.get(ctx.meta("DocShare"))


def shared_names(ctx: Context, doctype: str, user: User, right: str = "read") -> Select[Any]:
    """``SELECT share_name`` of the ``doctype`` documents shared with ``user`` with ``right``."""
    if right not in RIGHTS:
        raise ValueError(f"A share cannot grant {right!r}")
    return stored.shared_names(_table(ctx), doctype, user.name, user.is_guest, right)


def is_shared(ctx: Context, doctype: str, name: Any, user: User, right: str = "read") -> bool:
    """Whether document ``doctype`` ``name`` is shared with ``user`` with ``right``."""
    if name in (None, "") or right not in RIGHTS:
        return False
    return stored.is_shared(ctx.conn, _table(ctx), doctype, str(name), user.name, user.is_guest, right)


def any_shared(ctx: Context, doctype: str, user: User, right: str = "read") -> bool:
    """Whether at least one ``doctype`` document is shared with ``user`` with ``right``."""
    if right not in RIGHTS:
        return False
    return stored.any_shared(ctx.conn, _table(ctx), doctype, user.name, user.is_guest, right)
