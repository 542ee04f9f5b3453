"""Row conditions: what a list or count may return for a user, as SQLAlchemy WHERE clauses.

The query builder ANDs these into every list and count, so a list never shows a row that a read
would refuse. The clause is Frappe's (``documents.md`` 6.9):

* no role ``read``/``select`` on the DocType: only documents shared with the user, or
  :class:`~docframe.errors.PermissionError` when there are none;
* otherwise ``(owner = user  OR-else  User Permission limits)  AND  controller list rule``, and when
  that restricts anything, ``OR name IN (documents shared with the user)``;
* the Administrator is never limited; a user whose roles read every row gets no clause at all.

Child tables follow their parent: a child list needs the parent DocType (``parent`` or
``parent_doctype`` in the request) and returns rows of parents the user may list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import String, Table, and_, cast, or_, select
from sqlalchemy.sql import ColumnElement

from docframe import errors
from docframe.meta.schema import Meta
from docframe.permissions import shares, user_permissions
from docframe.permissions.fields import level_access
from docframe.permissions.hooks import controller_hooks
from docframe.permissions.rules import role_rights
from docframe.users import User

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["doctype_conditions", "parent_doctype", "row_conditions"]


def _not_permitted(meta: Meta) -> errors.PermissionError:
    return errors.PermissionError(
        f"No permission to read {meta.name}", title="Not Permitted", doctype=meta.name
    )


def _shared_clause(ctx: Context, meta: Meta, table: Table, user: User) -> ColumnElement[bool]:
    names = shares.shared_names(ctx, meta.name, user, "read")
    column = table.c.name if meta.naming_rule != "autoincrement" else cast(table.c.name, String)
    return column.in_(names.scalar_subquery())


def doctype_conditions(ctx: Context, meta: Meta, table: Table, user: User) -> list[ColumnElement[bool]]:
    """The clauses for a non-child DocType (see the module docstring)."""
    if user.is_admin:
        return []
    rights = role_rights(ctx, meta, user)
    if not rights.doctype_level & {"read", "select"}:
        if not shares.any_shared(ctx, meta.name, user, "read"):
            raise _not_permitted(meta)
        return [_shared_clause(ctx, meta, table, user)]
    limits: list[ColumnElement[bool]] = []
    if rights.owner_constraint:
        limits.append(table.c.owner == user.name)
    else:
        clause = user_permissions.list_clause(ctx, meta, table, user)
        if clause is not None:
            limits.append(clause)
    hooks = controller_hooks(ctx, meta)
    if hooks is not None:
        rule = hooks.permission_query_conditions(ctx, table, user)
        if rule is not None:
            limits.append(rule)
    if not limits:
        return []
    return [or_(and_(*limits), _shared_clause(ctx, meta, table, user))]


def parent_doctype(ctx: Context, meta: Meta) -> Meta:
    """The parent DocType a child-table list names (``parent_doctype`` or ``parent``); 403 when none."""
    value = ctx.form.get("parent_doctype") or ctx.form.get("parent")
    message = f"Please specify a valid parent DocType for {meta.name}"
    if not isinstance(value, str) or not ctx.meta_exists(value):
        raise errors.PermissionError(message, title="Not Permitted", doctype=meta.name)
    parent = ctx.meta(value)
    if parent.istable or not any(f.options == meta.name for f in parent.table_fields):
        raise errors.PermissionError(message, title="Not Permitted", doctype=meta.name)
    return parent


def _child_conditions(ctx: Context, meta: Meta, table: Table, user: User) -> list[ColumnElement[bool]]:
    parent = parent_doctype(ctx, meta)
    fields = [f for f in parent.table_fields if f.options == meta.name]
    readable = level_access(ctx, parent, user).read
    fieldnames = [f.fieldname for f in fields if f.permlevel == 0 or f.permlevel in readable]
    if not fieldnames:
        raise _not_permitted(parent)
    parent_table = ctx.site.tables.get(parent)
    name = parent_table.c.name
    visible = select(cast(name, String) if parent.naming_rule == "autoincrement" else name)
    limits = doctype_conditions(ctx, parent, parent_table, user)
    if limits:
        visible = visible.where(and_(*limits))
    return [
        table.c.parenttype == parent.name,
        table.c.parentfield.in_(fieldnames),
        table.c.parent.in_(visible.scalar_subquery()) if limits else table.c.parent.is_not(None),
    ]


def row_conditions(ctx: Context, meta: Meta, table: Table) -> list[ColumnElement[bool]]:
    """Clauses that limit ``table`` to rows ``ctx.user`` may see (empty when unrestricted)."""
    user = ctx.user
    if user.is_admin:
        return []
    if meta.istable:
        return _child_conditions(ctx, meta, table, user)
    return doctype_conditions(ctx, meta, table, user)
