"""Field levels: which fields a user may read and write, by ``permlevel``.

A user may read (write) level L when a DocPerm row in effect with one of their roles, level L and
``read`` (``write``) exists; level 0 comes with the document permission itself. Fields and child
table fields above level 0 are the only ones these rules touch.

* :func:`mask_for_read` clears fields whose level the user may not read, in the document and in
  every child row, before it is returned (Frappe's ``apply_fieldlevel_read_permissions``);
* :func:`reset_unwritable` silently puts back the stored value (or, on a new document, the
  default) of every field whose level the user may not write (``validate_higher_perm_levels``);
  child rows of a new document are left alone, as in Frappe.

The levels are computed once per (DocPerm rows, role set) and the high-level fields once per Meta,
both cached on the Meta object, so a request pays a dict lookup when nothing needs masking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from docframe.auth.users import User
from docframe.meta.schema import DocFieldDef, DocPermDef, Meta
from docframe.model import validation
from docframe.model.document import Document
from docframe.permissions.docperms import RoleCache, for_roles

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "LevelAccess",
    "high_fields",
    "level_access",
    "mask_for_read",
    "may_read_field",
    "readable_columns",
    "reset_unwritable",
]


@dataclass(frozen=True, slots=True)
class LevelAccess:
    """The permlevels a role set may read and write on one DocType."""

    read: frozenset[int]
    write: frozenset[int]


def _levels(perms: tuple[DocPermDef, ...], roles: frozenset[str]) -> LevelAccess:
    read: set[int] = set()
    write: set[int] = set()
    for perm in perms:
        if perm.role in roles:
            if "read" in perm.rights:
                read.add(perm.permlevel)
            if "write" in perm.rights:
                write.add(perm.permlevel)
    return LevelAccess(frozenset(read), frozenset(write))


def level_access(ctx: Context, meta: Meta, user: User) -> LevelAccess:
    """The levels ``user`` may read and write on ``meta`` (cached per DocPerm rows and role set)."""
    return for_roles(ctx, meta, user.roles, ctx.site.services.level_access.get(RoleCache), _levels)


def high_fields(meta: Meta) -> tuple[DocFieldDef, ...]:
    """Fields of ``meta`` above level 0 that hold a value or rows (computed once per Meta)."""
    return meta.high_permlevel_fields


def _child_metas(ctx: Context, meta: Meta) -> list[tuple[str, Meta]]:
    out = []
    for tf in meta.table_fields:
        if ctx.meta_exists(tf.options):
            out.append((tf.fieldname, ctx.meta(tf.options)))
    return out


def _hidden(fields: tuple[DocFieldDef, ...], allowed: frozenset[int]) -> list[DocFieldDef]:
    return [f for f in fields if f.permlevel not in allowed]


def _clear(row: Document, field: DocFieldDef) -> None:
    if field.is_table:
        row.set(field.fieldname, [])
    elif field.fieldname in row:
        row.set(field.fieldname, None)


def mask_for_read(ctx: Context, doc: Document) -> None:
    """Clear the fields ``ctx.user`` may not read (in ``doc`` and its child rows)."""
    user = ctx.user
    if user.is_admin:
        return
    children = _child_metas(ctx, doc.meta)
    own = high_fields(doc.meta)
    if not own and not any(high_fields(m) for _, m in children):
        return
    readable = level_access(ctx, doc.meta, user).read
    for field in _hidden(own, readable):
        _clear(doc, field)
    for fieldname, child_meta in children:
        hidden = _hidden(high_fields(child_meta), readable)
        for row in doc.get_table(fieldname) if hidden else ():
            for field in hidden:
                _clear(row, field)


def _reset_row(row: Document, reference: Document, fields: list[DocFieldDef]) -> None:
    for field in fields:
        if field.is_table:
            row.set(field.fieldname, [])
            for old in reference.get_table(field.fieldname):
                row.append(field.fieldname, old)
        elif field.fieldname in row:
            row.set(field.fieldname, reference.get(field.fieldname))


def _reset_new(ctx: Context, doc: Document, fields: list[DocFieldDef]) -> None:
    for field in fields:
        _clear(doc, field)
    validation.set_defaults(ctx, doc)


def reset_unwritable(ctx: Context, doc: Document, stored: Document | None) -> None:
    """Undo changes to fields ``ctx.user`` may not write: stored values, or defaults when new."""
    user = ctx.user
    if user.is_admin or ctx.in_install:
        return
    writable = level_access(ctx, doc.meta, user).write
    fields = _hidden(high_fields(doc.meta), writable)
    if stored is None:
        if fields:
            _reset_new(ctx, doc, fields)
        return
    if fields:
        _reset_row(doc, stored, fields)
    for fieldname, child_meta in _child_metas(ctx, doc.meta):
        hidden = _hidden(high_fields(child_meta), writable)
        if not hidden:
            continue
        old_rows = {row.name: row for row in stored.get_table(fieldname)}
        for row in doc.get_table(fieldname):
            old = old_rows.get(row.name)
            if old is not None:
                _reset_row(row, old, hidden)


def readable_columns(ctx: Context, meta: Meta, levels_of: Meta | None = None) -> frozenset[str] | None:
    """Columns of ``meta`` that ``ctx.user`` may read in a query (``None``: every column).

    A field's level is judged by the DocPerm rows of ``levels_of`` (default ``meta``): a child
    table's fields by its parent's rows, as :func:`mask_for_read` judges them. This is the single
    source the query layer asks (:meth:`docframe.query.scope.Scope.field`) for every field a request
    names, whether it selects, filters, groups or orders by it.
    """
    high = high_fields(meta)
    if ctx.user.is_admin or not high:
        return None
    readable = level_access(ctx, levels_of or meta, ctx.user).read
    hidden = {f.fieldname for f in _hidden(high, readable)}
    return frozenset(c for c in meta.all_columns if c not in hidden) if hidden else None


def may_read_field(ctx: Context, meta: Meta, field: DocFieldDef | None) -> bool:
    """Whether ``ctx.user`` may read ``field`` of ``meta`` (a Table or Link field a query goes through)."""
    if field is None or field.permlevel <= 0 or ctx.user.is_admin:
        return True
    return field.permlevel in level_access(ctx, meta, ctx.user).read
