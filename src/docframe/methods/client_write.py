"""``frappe.client`` write and permission methods, under Frappe's names and argument names.

Served as ``frappe.client.<name>`` and ``frappe.core.api.document.<name>``: ``set_value``,
``insert``, ``insert_many`` (at most the site's ``insert_many_limit``, default 200), ``save``,
``rename_doc``, ``submit``, ``cancel``, ``delete``, ``bulk_update``, ``has_permission``,
``get_doc_permissions``, ``validate_link`` and ``get_password`` (System Manager). ``attach_file``
lives in :mod:`docframe.methods.files`; the read methods (``get_list``, ``get``, ...) in
:mod:`docframe.methods.client_read`. Documents come back as Frappe returns them (``as_dict()``, null
fields included); child rows act through their parent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docframe import errors
from docframe.auth.passwords import get_secret
from docframe.db.repos import rows
from docframe.meta.fieldtypes import CHILD_FIELDS, DEFAULT_FIELDS
from docframe.meta.schema import PERM_TYPES
from docframe.methods.call import json_argument
from docframe.methods.registry import alias, whitelist
from docframe.model import lifecycle, operations, persistence
from docframe.model.document import Document
from docframe.model.field_levels import mask_for_read
from docframe.model.rename import rename_doc as rename_document
from docframe.permissions.fields import readable_columns
from docframe.permissions.rules import has_permission as may

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "bulk_update", "cancel", "delete", "get_doc_permissions", "get_password", "has_permission", "insert",
    "insert_doc", "insert_many", "rename_doc", "save", "set_value", "submit", "validate_link",
]  # fmt: skip

_STANDARD = frozenset(DEFAULT_FIELDS + CHILD_FIELDS)


def _names(name: str) -> tuple[str, str]:
    return f"frappe.client.{name}", f"frappe.core.api.document.{name}"


def _body(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in operations.PROTECTED_KEYS}


def _answer(ctx: Context, doc: Document) -> dict[str, Any]:
    """The saved document as the caller may read it (fields above their level cleared, as reads do)."""
    mask_for_read(ctx, doc)
    return doc.as_dict()


def _doctype_of(doc: dict[str, Any]) -> str:
    doctype = doc.get("doctype")
    if not isinstance(doctype, str) or not doctype:
        raise errors.ValidationError("The document must have a 'doctype'")
    return doctype


def insert_doc(ctx: Context, doc: Any) -> Document:
    """Insert ``doc``; a child row is appended to its parent, and the parent is returned."""
    if not isinstance(doc, dict):
        raise errors.FrappeTypeError("Each document must be a JSON object", title="Invalid Argument")
    doctype = _doctype_of(doc)
    meta = operations.read_meta(ctx, doctype)
    if not meta.istable:
        return operations.create_document(ctx, doctype, _body(doc))
    parent_doc, fieldname = operations.child_insert_target(ctx, meta, doc)
    row = {k: v for k, v in _body(doc).items() if k not in ("name", *CHILD_FIELDS)}
    parent_doc.append(fieldname, row)
    return lifecycle.save(ctx, parent_doc)


@alias(*_names("insert"))
@whitelist(methods=["POST", "PUT"])
def insert(ctx: Context, doc: str | dict[str, Any] | None = None) -> dict[str, Any]:
    """Insert a document (a child row: through its parent, and the parent is returned)."""
    return _answer(ctx, insert_doc(ctx, json_argument("doc", doc, dict)))


@alias(*_names("insert_many"))
@whitelist(methods=["POST", "PUT"])
def insert_many(ctx: Context, docs: str | list[Any] | None = None) -> list[Any]:
    """Insert documents in one transaction; returns their names (the parent's name for child rows).

    At most the site config's ``insert_many_limit`` (default 200, Frappe's cap) in one call.
    """
    items = json_argument("docs", docs, list)
    limit = ctx.site.settings.insert_many_limit
    if len(items) > limit:
        raise errors.ValidationError(f"Only {limit} inserts allowed in one request")
    if not all(isinstance(item, dict) for item in items):
        raise errors.FrappeTypeError("Each document must be a JSON object", title="Invalid Argument")
    return [insert_doc(ctx, item).name for item in items]


def _child_parent(ctx: Context, doctype: str, name: Any) -> tuple[Document, Document]:
    meta = operations.read_meta(ctx, doctype)
    row = persistence.load_doc(ctx, meta, name)
    if not row.parenttype or not row.parent:
        raise errors.DoesNotExistError(f"{doctype} {name} not found", doctype=doctype)
    parent = operations.get_document(ctx, str(row.parenttype), row.parent, ptype="write", for_update=True)
    for candidate in parent.get_table(str(row.parentfield)):
        if candidate.name == row.name:
            return parent, candidate
    raise errors.DoesNotExistError(f"{doctype} {name} not found", doctype=doctype)


def _values_for_set(fieldname: Any, value: Any) -> dict[str, Any]:
    if value is not None:
        if not isinstance(fieldname, str):
            raise errors.FrappeTypeError("'fieldname' must be a field name when 'value' is given")
        return {fieldname: value}
    if isinstance(fieldname, dict):
        return fieldname
    if isinstance(fieldname, str):
        text = fieldname.strip()
        if text.startswith("{"):
            return json_argument("fieldname", text, dict)
        return {fieldname: ""}
    raise errors.FrappeTypeError("'fieldname' must be a field name or a JSON object of values")


@alias(*_names("set_value"))
@whitelist(methods=["POST", "PUT"])
def set_value(
    ctx: Context, doctype: str, name: str | int, fieldname: str | dict[str, Any], value: Any = None
) -> dict[str, Any]:
    """Set one field (``fieldname`` + ``value``) or several (``fieldname`` as a JSON object)."""
    values = _values_for_set(fieldname, value)
    editable = {k: v for k, v in values.items() if k not in _STANDARD}
    if values and not editable:
        raise errors.ValidationError("Cannot edit standard fields")
    meta = operations.read_meta(ctx, doctype)
    if meta.istable:
        parent, row = _child_parent(ctx, doctype, name)
        row.update(editable)
        return _answer(ctx, lifecycle.save(ctx, parent))
    doc = operations.get_document(ctx, doctype, name, ptype="write", for_update=True)
    doc.update(editable)
    return _answer(ctx, lifecycle.save(ctx, doc))


def _stored_for(ctx: Context, doc: dict[str, Any]) -> Document:
    doctype = _doctype_of(doc)
    name = doc.get("name")
    if name in (None, ""):
        raise errors.ValidationError("The document must have a 'name'")
    stored = operations.get_document(ctx, doctype, name, ptype="write", for_update=True)
    stored.update({k: v for k, v in _body(doc).items() if k not in ("owner", "creation")})
    return stored


@alias(*_names("save"))
@whitelist(methods=["POST", "PUT"])
def save(ctx: Context, doc: str | dict[str, Any]) -> dict[str, Any]:
    """Save an existing document from its dict (``modified`` is checked for staleness)."""
    return _answer(ctx, lifecycle.save(ctx, _stored_for(ctx, json_argument("doc", doc, dict))))


@alias(*_names("submit"))
@whitelist(methods=["POST", "PUT"])
def submit(ctx: Context, doc: str | dict[str, Any]) -> dict[str, Any]:
    """Submit a document given as a dict: a stored one is loaded and updated, a new one inserted."""
    values = json_argument("doc", doc, dict)
    doctype = _doctype_of(values)
    name = values.get("name")
    meta = operations.read_meta(ctx, doctype)
    if name in (None, "") or not persistence.doc_exists(ctx, meta, name):
        return _answer(ctx, operations.create_document(ctx, doctype, {**_body(values), "docstatus": 1}))
    stored = _stored_for(ctx, values)
    stored.docstatus = 1
    return _answer(ctx, lifecycle.save(ctx, stored))


@alias(*_names("cancel"))
@whitelist(methods=["POST", "PUT"])
def cancel(ctx: Context, doctype: str, name: str | int) -> dict[str, Any]:
    """Cancel a submitted document; returns it."""
    doc = operations.get_document(ctx, doctype, name, ptype="write", for_update=True)
    doc.docstatus = 2
    return _answer(ctx, lifecycle.save(ctx, doc))


@alias(*_names("delete"), "frappe.client.delete_doc")
@whitelist(methods=["DELETE", "POST"])
def delete(ctx: Context, doctype: str, name: str | int) -> None:
    """Delete a document (a child row through its parent)."""
    operations.delete_document(ctx, doctype, name)


@alias(*_names("rename_doc"))
@whitelist(methods=["POST", "PUT"])
def rename_doc(
    ctx: Context, doctype: str, old_name: str | int, new_name: str | int, merge: bool = False
) -> Any:
    """Rename a document (or merge it into ``new_name``); returns the new name."""
    operations.read_meta(ctx, doctype)
    return rename_document(ctx, doctype, old_name, new_name, merge=merge)


def _failure_text(exc: BaseException) -> str:
    module = "frappe.exceptions" if isinstance(exc, errors.FrappeError) else type(exc).__module__
    return f"{module}.{type(exc).__name__}: {exc}"


def _bulk_item(ctx: Context, item: Any) -> None:
    if not isinstance(item, dict):
        raise errors.FrappeTypeError("Each document must be a JSON object with 'doctype' and 'docname'")
    doctype, docname = item.get("doctype"), item.get("docname")
    if not isinstance(doctype, str) or docname in (None, ""):
        raise errors.ValidationError("Each document needs 'doctype' and 'docname'")
    doc = operations.get_document(ctx, doctype, docname, ptype="write", for_update=True)
    doc.update({k: v for k, v in _body(item).items() if k not in ("docname", "name")})
    lifecycle.save(ctx, doc)


@alias(*_names("bulk_update"))
@whitelist(methods=["POST", "PUT"])
def bulk_update(ctx: Context, docs: str | list[Any]) -> dict[str, list[Any]]:
    """Update each ``{"doctype", "docname", ...fields}`` on its own; failures are reported, not raised."""
    failed: list[dict[str, Any]] = []
    for item in json_argument("docs", docs, list):
        queued = len(ctx.after_commit)
        try:
            with ctx.conn.begin_nested():
                _bulk_item(ctx, item)
        except errors.FrappeError as exc:
            del ctx.after_commit[queued:]  # the item's realtime events roll back with it
            failed.append({"doc": item, "exc": _failure_text(exc)})
    return {"failed_docs": failed}


def _load_for_check(ctx: Context, doctype: str, docname: Any) -> tuple[Any, Document | None]:
    meta = operations.read_meta(ctx, doctype)
    doc = persistence.load_doc(ctx, meta, docname)
    if meta.istable and doc.parenttype:
        return ctx.meta(str(doc.parenttype)), None
    return meta, doc


@alias(*_names("has_permission"))
@whitelist()
def has_permission(
    ctx: Context, doctype: str, docname: str | int, perm_type: str = "read"
) -> dict[str, bool]:
    """``{"has_permission": true|false}`` for ``perm_type`` on the document."""
    meta, doc = _load_for_check(ctx, doctype, docname)
    return {"has_permission": may(ctx, meta, str(perm_type).lower(), doc)}


@alias(*_names("get_doc_permissions"))
@whitelist()
def get_doc_permissions(ctx: Context, doctype: str, docname: str | int) -> dict[str, dict[str, int]]:
    """``{"permissions": {"read": 1, "write": 0, ...}}`` for the document."""
    meta, doc = _load_for_check(ctx, doctype, docname)
    return {"permissions": {p: int(may(ctx, meta, p, doc)) for p in PERM_TYPES}}


def _fetch_values(ctx: Context, doctype: str, name: Any, fields: Any) -> dict[str, Any]:
    wanted = json_argument("fields", fields, list) if isinstance(fields, str) else fields
    if not isinstance(wanted, list) or not all(isinstance(f, str) for f in wanted):
        raise errors.DataError("'fields' must be a list of field names")
    meta = ctx.meta(doctype)
    unknown = [f for f in wanted if f not in meta.valid_columns]
    if unknown:
        raise errors.DataError(f"Field not permitted in query: {unknown[0]}")
    doc = persistence.load_doc(ctx, meta, name)
    if not may(ctx, meta, "read", doc):
        ctx.msgprint(
            f"You need <strong>Read</strong> permission to fetch values from <strong>{doctype}</strong> "
            f"<strong>{name}</strong>",
            title="Cannot Fetch Values",
            indicator="orange",
        )
        return {}
    readable = readable_columns(ctx, meta)  # fields above the user's level are dropped, as in get_value
    return {f: doc.get(f) for f in wanted if readable is None or f in readable}


@alias(*_names("validate_link"))
@whitelist()
def validate_link(ctx: Context, doctype: Any, docname: Any, fields: Any = None) -> dict[str, Any]:
    """``{"name": <stored name or null>}`` plus the requested ``fields`` when the user may read them."""
    if not isinstance(doctype, str):
        raise errors.ValidationError("DocType must be a string")
    if not isinstance(docname, str):
        raise errors.ValidationError("Document Name must be a string")
    meta = operations.read_meta(ctx, doctype)
    if doctype != "DocType" and not (may(ctx, meta, "select") or may(ctx, meta, "read")):
        raise errors.PermissionError(
            f"You do not have Read or Select Permissions for <strong>{doctype}</strong>",
            title="Not Permitted",
        )
    found = _stored_name(ctx, meta, docname)
    values: dict[str, Any] = {"name": found}
    if found is not None and fields not in (None, "", []):
        values.update(_fetch_values(ctx, doctype, found, fields))
    return values


def _stored_name(ctx: Context, meta: Any, docname: str) -> Any:
    if meta.issingle:
        return meta.name if docname == meta.name else None
    if not meta.has_table or not persistence.doc_exists(ctx, meta, docname):
        return None
    table = ctx.site.tables.get(meta)
    key = int(docname) if meta.naming_rule == "autoincrement" else docname
    return rows.value(ctx.conn, table, "name", {"name": key})


@alias(*_names("get_password"))
@whitelist()
def get_password(ctx: Context, doctype: str, name: str | int, fieldname: str) -> str | None:
    """The stored value of a Password field (System Manager only)."""
    if not ctx.user.is_admin and "System Manager" not in ctx.user.roles:
        raise errors.PermissionError("This action is only allowed for System Manager", title="Not Permitted")
    meta = operations.read_meta(ctx, doctype)
    field = meta.get_field(fieldname)
    if field is None or field.fieldtype != "Password":
        raise errors.ValidationError(f"{fieldname} is not a Password field of {doctype}")
    doc = persistence.load_doc(ctx, meta, name)
    value = get_secret(ctx, doctype, str(doc.name), fieldname)
    if value in (None, "") or set(str(value)) == {"*"}:
        raise errors.ValidationError(f"Password not found for {doctype} {name} {fieldname}")
    return str(value)
