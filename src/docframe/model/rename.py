"""Rename: give a document a new name (or merge it into another) and follow every reference.

:func:`rename_doc` validates in Frappe's order (old exists, names differ, the target exists only
when merging, write permission, ``allow_rename``, the name rules), then in the caller's
transaction: renames the row and its child rows (or, when merging, unions ``_assign``), rewrites
every Link and Dynamic Link that held the old name (found through
:meth:`~docframe.meta.registry.MetaRegistry.links_to`, without touching ``modified``), moves
attachments, versions and stored passwords, adds an ``Edit`` comment, and deletes the old
document when merging.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from docframe import errors
from docframe.db.repos import rows
from docframe.meta.registry import LinkRef
from docframe.meta.schema import Meta
from docframe.model import lifecycle, persistence
from docframe.model.document import Document
from docframe.model.naming import validate_name
from docframe.permissions.rules import has_permission
from docframe.realtime.publish import doc_renamed
from docframe.users import STANDARD_USERS

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["add_comment", "rename_doc"]


def _bold(text: Any) -> str:
    return f"<strong>{text}</strong>"


def _name_value(meta: Meta, value: Any) -> Any:
    if meta.naming_rule == "autoincrement":
        try:
            if isinstance(value, str) and not (value.strip().isascii() and value.strip().isdigit()):
                raise ValueError(value)
            return int(value)
        except (TypeError, ValueError):
            raise errors.ValidationError(f"{meta.name} names are numbers, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise errors.ValidationError("A document name must be a string or an integer")
    return str(value)


def _validate(
    ctx: Context, meta: Meta, old: Any, new: Any, *, merge: bool, force: bool, ignore_permissions: bool
) -> tuple[Document, Any]:
    if not persistence.doc_exists(ctx, meta, old):
        raise errors.ValidationError(f"Can't rename {old} to {new} because {old} doesn't exist.")
    if old == new:
        raise errors.ValidationError("No changes made because old and new name are the same.")
    doc = persistence.load_doc(ctx, meta, old, for_update=True)
    target = ctx.site.tables.get(meta)
    row = rows.first(ctx.conn, target, ("name",), {"name": new}, for_update=True)
    exists = row is not None and row["name"] == new
    if merge and not exists:
        raise errors.ValidationError(f"{meta.name} {new} does not exist, select a new target to merge")
    if not merge and exists:
        raise errors.ValidationError(f"Another {meta.name} with name {new} exists, select another name")
    if not ignore_permissions and not has_permission(ctx, meta, "write", doc):
        raise errors.ValidationError(f"You need write permission on {meta.name} {old} to rename")
    if merge and not ignore_permissions:
        other = persistence.load_doc(ctx, meta, new, for_update=True)
        if not has_permission(ctx, meta, "write", other):
            raise errors.ValidationError(f"You need write permission on {meta.name} {new} to merge")
    if not force and not ignore_permissions and not meta.allow_rename:
        raise errors.ValidationError(f"{meta.name} not allowed to be renamed")
    return doc, validate_name(doc, new)


def _rename_row(ctx: Context, meta: Meta, old: Any, new: Any) -> None:
    table = ctx.site.tables.get(meta)
    values: dict[str, Any] = {"name": new}
    if meta.naming_rule == "field":
        fieldname = meta.autoname.split(":", 1)[1].strip()
        if fieldname in table.c:
            values[fieldname] = new
    rows.update_rows(ctx.conn, table, {"name": old}, values)
    for tf in meta.table_fields:
        child = ctx.meta(tf.options)
        if not child.has_table:
            continue
        children = ctx.site.tables.get(child)
        rows.update_rows(
            ctx.conn, children, {"parent": str(old), "parenttype": meta.name}, {"parent": str(new)}
        )


def _merge_assignments(ctx: Context, meta: Meta, old: Any, new: Any) -> None:
    table = ctx.site.tables.get(meta)
    if "_assign" not in table.c:
        return
    found = rows.select_rows(ctx.conn, table, ("name", "_assign"), {"name": [old, new]})
    users: list[str] = []
    for raw in (r["_assign"] for r in found):
        try:
            listed = orjson.loads(raw) if raw else []
        except orjson.JSONDecodeError:
            listed = []
        users.extend(u for u in listed if isinstance(u, str) and u not in users)
    rows.update_rows(ctx.conn, table, {"name": new}, {"_assign": orjson.dumps(users).decode()})


def _rewrite_link(ctx: Context, ref: LinkRef, doctype: str, old: Any, new: Any) -> None:
    if ref.issingle:
        singles = ctx.site.tables.framework.singles
        rows.update_rows(
            ctx.conn,
            singles,
            {"doctype": ref.doctype, "field": ref.fieldname, "value": str(old)},
            {"value": str(new)},
        )
        return
    meta = ctx.meta(ref.doctype)
    if not meta.has_table:
        return
    table = ctx.site.tables.get(meta)
    if ref.fieldname not in table.c:
        return
    where = {ref.fieldname: str(old)}
    if ref.dynamic:
        if ref.doctype_field not in table.c:
            return
        where[ref.doctype_field] = doctype
    rows.update_rows(ctx.conn, table, where, {ref.fieldname: str(new)})


def _rewrite_references(ctx: Context, doctype: str, old: Any, new: Any) -> None:
    for ref in ctx.site.metas.links_to(doctype, ctx.conn):
        _rewrite_link(ctx, ref, doctype, old, new)
    for side, name_field, type_field in (
        ("File", "attached_to_name", "attached_to_doctype"),
        ("Version", "docname", "ref_doctype"),
    ):
        if not ctx.meta_exists(side):
            continue
        table = ctx.site.tables.get(ctx.meta(side))
        rows.update_rows(ctx.conn, table, {name_field: str(old), type_field: doctype}, {name_field: str(new)})


def _move_passwords(ctx: Context, doctype: str, old: Any, new: Any) -> None:
    auth = ctx.site.tables.framework.auth
    rows.update_rows(ctx.conn, auth, {"doctype": doctype, "name": str(old)}, {"name": str(new)})


def add_comment(
    ctx: Context,
    doc: Document,
    comment_type: str = "Comment",
    text: str | None = None,
    comment_email: str | None = None,
    comment_by: str | None = None,
) -> Document:
    """Insert a Comment on ``doc`` (permissions ignored, as Frappe's ``doc.add_comment``)."""
    meta = ctx.meta("Comment")
    comment = persistence.new_document(ctx, meta)
    comment.update(
        {
            "comment_type": comment_type,
            "comment_email": comment_email or ctx.user.name,
            "comment_by": comment_by,
            "reference_doctype": doc.doctype,
            "reference_name": str(doc.name),
            "content": text or comment_type,
        }
    )
    return lifecycle.insert(ctx, comment, ignore_permissions=True)


def rename_doc(
    ctx: Context,
    doctype: str,
    old: Any,
    new: Any,
    *,
    merge: bool = False,
    force: bool = False,
    ignore_permissions: bool = False,
) -> Any:
    """Rename ``doctype`` ``old`` to ``new`` (or merge it into ``new``); returns the new name."""
    meta = ctx.meta(doctype)
    if meta.issingle or meta.istable or not meta.has_table:
        raise errors.ValidationError(f"{meta.name} not allowed to be renamed")
    if meta.name == "DocType":
        raise errors.ValidationError("DocTypes cannot be renamed through the API")
    old, new = _name_value(meta, old), _name_value(meta, new)
    if meta.name == "User" and (old in STANDARD_USERS or new in STANDARD_USERS):
        # The standard users keep their names, and no user becomes (or merges into) one of them.
        raise errors.ValidationError(f"User {old if old in STANDARD_USERS else new} cannot be renamed")
    _doc, new = _validate(
        ctx, meta, old, new, merge=merge, force=force, ignore_permissions=ignore_permissions
    )
    if merge:
        _merge_assignments(ctx, meta, old, new)
    else:
        _rename_row(ctx, meta, old, new)
    _rewrite_references(ctx, meta.name, old, new)
    if not merge:
        _move_passwords(ctx, meta.name, old, new)
    renamed = persistence.load_doc(ctx, meta, new)
    text = f"merged {_bold(old)} into {_bold(new)}" if merge else f"renamed from {_bold(old)} to {_bold(new)}"
    add_comment(ctx, renamed, "Edit", text)
    if merge:
        lifecycle.delete_doc(ctx, meta.name, old, ignore_permissions=ignore_permissions)
    doc_renamed(ctx, meta.name, old, new)
    return new
