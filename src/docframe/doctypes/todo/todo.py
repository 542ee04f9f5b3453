"""ToDo controller: assignments are private to the people they concern.

A user whose roles include a non-automatic role holding the requested right in ToDo's permission
rows (System Manager, in the shipped rows) sees every ToDo; everyone else only ToDos allocated to
them, assigned by them, or created by them (Frappe checks only the first two; docframe adds the
owner so an API client can read back and edit what it created). Deleting follows Frappe exactly:
owning a ToDo is not enough, it must be allocated to or assigned by the user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, or_
from sqlalchemy.sql import ColumnElement

from docframe.model.document import Document
from docframe.permissions.docperms import effective_permissions
from docframe.permissions.hooks import PermissionHooks
from docframe.users import AUTOMATIC_ROLES, User

if TYPE_CHECKING:
    from docframe.context import Context


def _sees_all(ctx: Context, user: User, ptype: str) -> bool:
    meta = ctx.meta("ToDo")
    roles = {p.role for p in effective_permissions(ctx, meta) if ptype in p.rights} - AUTOMATIC_ROLES
    return not roles.isdisjoint(user.roles)


class ToDo(Document, PermissionHooks):
    """The ToDo DocType."""

    @classmethod
    def document_permission(cls, ctx: Context, doc: Any, ptype: str, user: User) -> bool:
        """Allowed when the ToDo concerns the user, or their roles manage ToDos."""
        if _sees_all(ctx, user, ptype):
            return True
        if ptype == "delete":
            return user.name in (doc.get("allocated_to"), doc.get("assigned_by"))
        return user.name in (doc.get("allocated_to"), doc.get("assigned_by"), doc.get("owner"))

    @classmethod
    def permission_query_conditions(
        cls, ctx: Context, table: Table, user: User
    ) -> ColumnElement[bool] | None:
        """``allocated_to = user OR assigned_by = user OR owner = user`` unless the roles manage ToDos."""
        if _sees_all(ctx, user, "read"):
            return None
        return or_(
            table.c.allocated_to == user.name, table.c.assigned_by == user.name, table.c.owner == user.name
        )
