"""Note controller: a note is private to its owner unless it is public."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, or_
from sqlalchemy.sql import ColumnElement

from docframe.model.document import Document
from docframe.permissions.hooks import PermissionHooks
from docframe.users import User

if TYPE_CHECKING:
    from docframe.context import Context


class Note(Document, PermissionHooks):
    """The Note DocType."""

    @classmethod
    def document_permission(cls, ctx: Context, doc: Any, ptype: str, user: User) -> bool:
        """Public notes, or the user's own (for every right and every user, System Manager included)."""
        return bool(doc.get("public")) or str(doc.get("owner") or "") == user.name

    @classmethod
    def permission_query_conditions(
        cls, ctx: Context, table: Table, user: User
    ) -> ColumnElement[bool] | None:
        """``owner = user OR public = 1``."""
        return or_(table.c.owner == user.name, table.c.public == 1)
