"""Operations: the document actions every API surface shares (v1, v2, ``frappe.client``).

Each function takes the context, checks permissions, runs the lifecycle and returns the document.
The API layers differ only in how they read arguments and render results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docframe import errors
from docframe.meta.schema import Meta
from docframe.model import lifecycle, persistence
from docframe.model.document import Document
from docframe.model.field_levels import mask_for_read
from docframe.permissions.fields import level_access
from docframe.permissions.rules import check_permission, has_permission

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "child_insert_target",
    "copy_document",
    "create_document",
    "delete_document",
    "doctype_definition",
    "get_document",
    "read_meta",
    "update_document",
]

#: Keys a client may never set through a create or update body.
PROTECTED_KEYS = frozenset({"flags", "doctype", "__islocal", "__unsaved"})


def read_meta(ctx: Context, doctype: str) -> Meta:
    """The meta of ``doctype``; a 404 becomes a 403 for users who may not read DocTypes."""
    try:
        if not isinstance(doctype, str) or "\x00" in doctype:  # no DocType is named so (or is not text)
            raise errors.DoesNotExistError(f"DocType {doctype} not found", doctype="DocType")
        return ctx.meta(doctype)
    except errors.DoesNotExistError:
        if ctx.user.is_admin or has_permission(ctx, ctx.meta("DocType"), "read"):
            raise
        raise errors.PermissionError(f"No permission for {doctype}", title="Not Permitted") from None


def doctype_definition(ctx: Context, doctype: str) -> dict[str, Any]:
    """The definition of ``doctype`` as stored in its DocType record (nulls left out).

    Any logged-in user may read it (Frappe's ``only_for("All")``); a Guest gets a bare 403.
    """
    if not ctx.user.is_admin and "All" not in ctx.user.roles:
        raise errors.PermissionError()
    meta = read_meta(ctx, doctype)
    doctype_meta = ctx.meta("DocType")
    if persistence.doc_exists(ctx, doctype_meta, meta.name):
        record = persistence.load_doc(ctx, doctype_meta, meta.name)
        return record.as_dict(no_nulls=True, no_private=True)
    definition = {k: v for k, v in meta.raw.items() if v is not None}
    definition.update({"name": meta.name, "doctype": "DocType"})
    return definition


def _permission_meta(ctx: Context, meta: Meta, doc: Document | None) -> tuple[Meta, Document | None]:
    """Child rows have no rules of their own: :mod:`docframe.permissions.rules` judges them through
    their parent document (right, parentfield and the table field's permlevel)."""
    return meta, doc


def get_document(
    ctx: Context, doctype: str, name: Any, *, ptype: str = "read", for_update: bool = False
) -> Document:
    """Load a document the user may ``ptype``; 404 when missing (403 if the DocType is not readable)."""
    meta = read_meta(ctx, doctype)
    try:
        doc = persistence.load_doc(ctx, meta, name, for_update=for_update)
    except errors.DoesNotExistError:
        if not meta.istable and not has_permission(ctx, meta, "read"):
            raise errors.PermissionError(
                f"No permission for {meta.name}", title="Not Permitted", doctype=meta.name
            ) from None
        raise
    perm_meta, perm_doc = _permission_meta(ctx, meta, doc)
    check_permission(ctx, perm_meta, ptype, perm_doc)
    if ptype == "read":
        mask_for_read(ctx, doc)
    return doc


def _payload(values: Any) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise errors.DataError("The document must be a JSON object")
    return {k: v for k, v in values.items() if k not in PROTECTED_KEYS}


def create_document(ctx: Context, doctype: str, values: Any, *, keep_name: bool = False) -> Document:
    """Insert a new document from a request body.

    ``keep_name`` is v2's rule (a given string or integer name is used verbatim); otherwise a
    given name is honoured only by Prompt and UUID naming (v1 and ``frappe.client.insert``).
    """
    meta = read_meta(ctx, doctype)
    body = _payload(values)
    name = body.pop("name", None)
    if meta.istable:
        return _insert_child(ctx, meta, body)
    doc = persistence.new_document(ctx, meta)
    _strict_update(ctx, doc, body)
    if name not in (None, ""):
        if isinstance(name, bool) or not isinstance(name, str | int):
            raise errors.DataError("'name' must be a string or an integer")
        if keep_name:
            doc._data["name"] = (
                name if meta.naming_rule == "autoincrement" and isinstance(name, int) else str(name)
            )
            doc.flags.name_set = True
            if len(str(name)) > 140:
                raise errors.ValidationError(
                    f"Name is too long: {len(str(name))} characters, {meta.name} names may have at most 140"
                )
        elif meta.naming_rule in ("prompt", "uuid"):
            doc._data["name"] = name
    return lifecycle.insert(ctx, doc)


def _strict_update(ctx: Context, doc: Document, body: dict[str, Any]) -> None:
    unknown = doc.update(body)
    if unknown and ctx.site.settings.strict_document_fields:
        raise errors.DataError(f"Unknown field(s) for {doc.doctype}: {', '.join(sorted(unknown)[:10])}")


def child_insert_target(ctx: Context, meta: Meta, body: dict[str, Any]) -> tuple[Document, str]:
    """The parent document (loaded for writing) and table field a new child row of ``meta`` goes to.

    417 without ``parent``/``parenttype``/``parentfield``; 403 unless the user may write the parent
    and the table's permission level (Frappe's child permission: otherwise the row would be dropped
    on save and a row that was never stored would be answered).
    """
    parent, parenttype, parentfield = body.get("parent"), body.get("parenttype"), body.get("parentfield")
    if not (parent and parenttype and parentfield):
        raise errors.ValidationError(
            "Parenttype, Parent and Parentfield are required to insert a child record"
        )
    parent_doc = get_document(ctx, str(parenttype), parent, ptype="write", for_update=True)
    field = next((f for f in parent_doc.meta.table_fields if f.fieldname == parentfield), None)
    if field is None or field.options != meta.name:
        raise errors.DataError(f"{parentfield} is not a table of {meta.name} in {parenttype}")
    user = ctx.user
    if (
        field.permlevel
        and not user.is_admin
        and field.permlevel not in level_access(ctx, parent_doc.meta, user).write
    ):
        raise errors.PermissionError(
            f"Insufficient Permission for {meta.name}", title="Not Permitted", doctype=meta.name
        )
    return parent_doc, field.fieldname


def _insert_child(ctx: Context, meta: Meta, body: dict[str, Any]) -> Document:
    parent_doc, fieldname = child_insert_target(ctx, meta, body)
    row = parent_doc.append(
        fieldname, {k: v for k, v in body.items() if k not in ("parent", "parenttype", "parentfield")}
    )
    lifecycle.save(ctx, parent_doc)
    return row


def update_document(ctx: Context, doctype: str, name: Any, values: Any) -> Document:
    """Apply a partial body to a stored document and save it (a child row saves its parent)."""
    meta = read_meta(ctx, doctype)
    body = _payload(values)
    body.pop("name", None)
    doc = get_document(ctx, doctype, name, ptype="write", for_update=True)
    if meta.istable:
        parent = get_document(ctx, str(doc.parenttype), doc.parent, ptype="write", for_update=True)
        for row in parent.get_table(str(doc.parentfield)):
            if row.name == doc.name:
                _strict_update(
                    ctx,
                    row,
                    {k: v for k, v in body.items() if k not in ("parent", "parenttype", "parentfield")},
                )
                lifecycle.save(ctx, parent)
                return row
        raise errors.DoesNotExistError(f"{doctype} {name} not found", doctype=doctype)
    stored = persistence.snapshot(ctx, doc) if not meta.issingle else None
    _strict_update(ctx, doc, body)
    saved = lifecycle.save(ctx, doc, stored=stored)
    mask_for_read(ctx, saved)
    return saved


def delete_document(ctx: Context, doctype: str, name: Any) -> None:
    """Delete a document; a child row is removed through its parent (parent write permission)."""
    meta = read_meta(ctx, doctype)
    if meta.istable:
        row = persistence.load_doc(ctx, meta, name)
        parent = get_document(ctx, str(row.parenttype), row.parent, ptype="write", for_update=True)
        table = parent.get_table(str(row.parentfield))
        kept = [r for r in table if r.name != row.name]
        parent._data[str(row.parentfield)] = kept
        lifecycle.save(ctx, parent)
        return
    try:
        lifecycle.delete_doc(ctx, doctype, name)
    except errors.DoesNotExistError:
        if not has_permission(ctx, meta, "read"):
            raise errors.PermissionError(
                f"No permission for {meta.name}", title="Not Permitted", doctype=meta.name
            ) from None
        raise


#: What a copy leaves out (Frappe's ``copy_doc``); child rows also lose their old parent.
_COPY_DROPPED = frozenset({"name", "owner", "creation", "modified", "modified_by", "docstatus"})
_COPY_DROPPED_PARENT = _COPY_DROPPED | {"amended_from", "amendment_date"}
_COPY_DROPPED_ROW = _COPY_DROPPED | {"parent"}


def _copy_values(values: dict[str, Any], dropped: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in dropped or key.startswith("__") or value is None:
            continue
        if isinstance(value, list):
            value = [_copy_values(v, _COPY_DROPPED_ROW) if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out


def copy_document(ctx: Context, doctype: str, name: Any) -> dict[str, Any]:
    """A copy ready to post as a new document (v2 ``/copy``).

    No name, owner, timestamps or docstatus (rows keep ``parentfield``/``parenttype`` but not
    ``parent``), no null values, no private keys; ``no_copy`` fields are kept, as Frappe does.
    """
    doc = get_document(ctx, doctype, name)
    return _copy_values(doc.as_dict(no_private=True), _COPY_DROPPED_PARENT)
