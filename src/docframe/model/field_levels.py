"""Field levels applied to a document: what the user may not read is cleared, not write undone.

The levels themselves (which ``permlevel`` a role set may read or write) are the permission rules'
(:mod:`docframe.permissions.fields`); this module applies them to documents and their child rows:

* :func:`mask_for_read` clears fields whose level the user may not read, in the document and in
  every child row, before it is returned (Frappe's ``apply_fieldlevel_read_permissions``);
* :func:`reset_unwritable` silently puts back the stored value (or, on a new document, the
  default) of every field whose level the user may not write (``validate_higher_perm_levels``);
  child rows of a new document are left alone, as in Frappe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docframe.meta.schema import DocFieldDef, Meta
from docframe.model import validation
from docframe.model.document import Document
from docframe.permissions.fields import hidden_fields, high_fields, level_access

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["mask_for_read", "reset_unwritable"]


def _child_metas(ctx: Context, meta: Meta) -> list[tuple[str, Meta]]:
    out = []
    for tf in meta.table_fields:
        if ctx.meta_exists(tf.options):
            out.append((tf.fieldname, ctx.meta(tf.options)))
    return out


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
    for field in hidden_fields(own, readable):
        _clear(doc, field)
    for fieldname, child_meta in children:
        hidden = hidden_fields(high_fields(child_meta), readable)
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
    fields = hidden_fields(high_fields(doc.meta), writable)
    if stored is None:
        if fields:
            _reset_new(ctx, doc, fields)
        return
    if fields:
        _reset_row(doc, stored, fields)
    for fieldname, child_meta in _child_metas(ctx, doc.meta):
        hidden = hidden_fields(high_fields(child_meta), writable)
        if not hidden:
            continue
        old_rows = {row.name: row for row in stored.get_table(fieldname)}
        for row in doc.get_table(fieldname):
            old = old_rows.get(row.name)
            if old is not None:
                _reset_row(row, old, hidden)
