"""Desk calls: the form and list-view methods Frappe's own front ends (and frappe-ui apps) make.

* ``frappe.desk.form.load.getdoctype``: the DocType and the DocTypes of its table fields, in the
  response's ``docs`` list, with ``user_settings`` (a JSON string, as Frappe sends it). With
  ``cached_timestamp`` equal to the DocType's ``modified`` the answer is ``"use_cache"`` and no docs.
* ``frappe.desk.form.load.getdoc``: the document in ``docs`` plus ``docinfo`` (attachments, comments,
  versions, assignments, shares, the user's permissions on it); ``[]`` when it does not exist.
* ``frappe.desk.form.load.get_docinfo``: the ``docinfo`` alone.
* ``frappe.desk.reportview.get``: the list view's rows as ``{"keys": [...], "values": [[...]]}``
  (``[]`` when no row matches); ``frappe.desk.reportview.get_list``: the same rows as dicts.
  (``frappe.desk.reportview.get_count`` lives with the other counts in :mod:`.client_read`.)

Everything goes through the permission layer: the DocType must be readable by the user (a 403
otherwise), a document must be readable, lists carry the same row conditions as ``/api/resource``,
and fields above the user's permission levels are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docframe import errors
from docframe.db.repos import rows as stored
from docframe.meta.schema import PERM_TYPES, Meta
from docframe.methods.documents import WithDocs
from docframe.methods.params import fields_value, get_int, truthy
from docframe.methods.registry import alias, whitelist
from docframe.model import operations, persistence
from docframe.model.document import Document
from docframe.permissions.rules import has_permission
from docframe.query.builder import ListArgs
from docframe.query.filters import decode
from docframe.query.listing import run_list

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["docinfo", "get_docinfo", "getdoc", "getdoctype", "reportview_get", "reportview_get_list"]

#: Frappe's desk asks for 20 rows when it gives no page length.
DEFAULT_PAGE_LENGTH = 20


def _readable_meta(ctx: Context, doctype: str) -> Meta:
    """The meta of ``doctype`` when the user may read it (or pick it in a Link); else a 403."""
    meta = operations.read_meta(ctx, doctype)
    if meta.istable:
        raise errors.PermissionError(
            f"No permission for {meta.name}", title="Not Permitted", doctype=meta.name
        )
    if has_permission(ctx, meta, "read", include_shares=True) or has_permission(ctx, meta, "select"):
        return meta
    raise errors.PermissionError(f"No permission for {meta.name}", title="Not Permitted", doctype=meta.name)


def _meta_document(ctx: Context, meta: Meta) -> dict[str, Any]:
    """One DocType as the desk receives it: the DocType record with its fields and permissions."""
    definition = operations.doctype_definition(ctx, meta.name)
    definition.setdefault("doctype", "DocType")
    for key in ("fields", "permissions"):
        for row in definition.get(key) or []:
            if isinstance(row, dict):
                row.setdefault("parent", meta.name)
    return definition


@alias("frappe.desk.form.load.getdoctype")
@whitelist(methods=["GET", "POST"])
def getdoctype(ctx: Context, doctype: str, with_parent: Any = False, cached_timestamp: Any = None) -> Any:
    """The DocType bundle (the DocType, then each table field's DocType) in ``docs``.

    ``with_parent`` on a child DocType sends its parent's bundle instead, with ``parent_dt``.
    """
    extra: dict[str, Any] = {"user_settings": "{}"}
    asked = operations.read_meta(ctx, doctype)
    parent = _parent_of(ctx, asked) if asked.istable and truthy(with_parent, False) else None
    if parent is not None:
        extra["parent_dt"] = parent
    meta = _readable_meta(ctx, parent or doctype)
    bundle = [_meta_document(ctx, meta)]
    seen = {meta.name}
    for field in meta.table_fields:
        table = field.options
        if table and table not in seen and ctx.meta_exists(table):
            seen.add(table)
            bundle.append(_meta_document(ctx, ctx.meta(table)))
    if cached_timestamp not in (None, "") and str(bundle[0].get("modified") or "") == str(cached_timestamp):
        return WithDocs("use_cache", [], extra, with_docs=False)
    return WithDocs(None, bundle, extra)


def _parent_of(ctx: Context, child: Meta) -> str | None:
    """The first DocType (by name) with a table field of ``child`` (Frappe's ``get_parent_dt``)."""
    for name in sorted(ctx.site.metas.all_names(ctx.conn)):
        if name != child.name and ctx.meta_exists(name):
            meta = ctx.meta(name)
            if not meta.istable and any(f.options == child.name for f in meta.table_fields):
                return meta.name
    return None


def _rows(
    ctx: Context, doctype: str, fields: list[str], where: dict[str, Any], order: str, limit: int
) -> list[dict[str, Any]]:
    """Rows of a built-in DocType about one document (docinfo reads them as Frappe's get_all does)."""
    if not ctx.meta_exists(doctype):
        return []
    table = ctx.site.tables.get(ctx.meta(doctype))
    columns = [f for f in fields if f in table.c]
    return stored.select_rows(ctx.conn, table, columns, where, order_by=order, descending=True, limit=limit)


def docinfo(ctx: Context, doc: Document) -> dict[str, Any]:
    """Frappe's ``docinfo`` of a document the user may read."""
    dt, dn = doc.doctype, doc.name
    meta = doc.meta
    return {
        "doctype": dt,
        "name": dn,
        "attachments": _rows(
            ctx, "File", ["name", "file_name", "file_url", "is_private"],
            {"attached_to_doctype": dt, "attached_to_name": dn}, "creation", 100,
        ),
        "comments": _rows(
            ctx, "Comment", ["name", "creation", "content", "owner", "comment_type"],
            {"reference_doctype": dt, "reference_name": dn, "comment_type": "Comment"}, "creation", 100,
        ),
        "versions": _rows(
            ctx, "Version", ["name", "owner", "creation", "data"], {"ref_doctype": dt, "docname": dn}, "creation", 10,
        ),
        "assignments": _rows(
            ctx, "ToDo", ["name", "allocated_to", "owner", "description"],
            {"reference_type": dt, "reference_name": dn, "status": "Open"}, "modified", 50,
        ),
        "shared": _rows(
            ctx, "DocShare", ["user", "everyone", "read", "write", "submit", "share"],
            {"share_doctype": dt, "share_name": dn}, "creation", 100,
        ),
        "permissions": {ptype: int(has_permission(ctx, meta, ptype, doc)) for ptype in PERM_TYPES},
        "communications": [],
        "views": [],
        "tags": str(doc.get("_user_tags") or "").strip(","),
        "is_document_followed": 0,
    }  # fmt: skip


@alias("frappe.desk.form.load.getdoc")
@whitelist(methods=["GET", "POST"])
def getdoc(ctx: Context, doctype: str, name: Any, user: Any = None) -> Any:
    """The document (in ``docs``) and its ``docinfo``; ``[]`` when it does not exist."""
    if name in (None, ""):
        raise errors.FrappeTypeError("getdoc() missing required argument: 'name'", title="Missing Argument")
    meta = _readable_meta(ctx, doctype)
    if not persistence.doc_exists(ctx, meta, name):
        return []
    doc = operations.get_document(ctx, meta.name, name)
    return WithDocs(None, [doc.as_dict(no_nulls=True)], {"docinfo": docinfo(ctx, doc)})


@alias("frappe.desk.form.load.get_docinfo")
@whitelist(methods=["GET", "POST"])
def get_docinfo(ctx: Context, doctype: str, name: Any) -> Any:
    """The ``docinfo`` of a document the user may read (as a top-level key)."""
    doc = operations.get_document(ctx, _readable_meta(ctx, doctype).name, name)
    return WithDocs(None, [], {"docinfo": docinfo(ctx, doc)}, with_docs=False)


def _list_args(doctype: str, form: dict[str, Any]) -> ListArgs:
    """The desk list view's parameters (``start`` / ``page_length``, ``[doctype, field, op, value]`` filters)."""
    fields = fields_value(form.get("fields"))
    order_by = form.get("order_by")
    if order_by is not None and not isinstance(order_by, str):
        raise errors.DataError("'order_by' must be a string like 'modified desc'")
    group_by = form.get("group_by")
    if group_by not in (None, "") and not isinstance(group_by, str):
        raise errors.DataError("'group_by' must be a string")
    page_length = get_int(form, "page_length", None)
    if page_length is None:
        page_length = get_int(form, "limit_page_length", DEFAULT_PAGE_LENGTH)
    start = get_int(form, "start", None)
    if start is None:
        start = get_int(form, "limit_start", 0)
    return ListArgs(
        doctype=doctype,
        fields=fields,
        filters=decode(form.get("filters")) or None,
        or_filters=decode(form.get("or_filters")) or None,
        order_by=order_by or "`modified` desc",
        group_by=group_by or None,
        start=max(start or 0, 0),
        limit=page_length or None,
        distinct=truthy(form.get("distinct"), False),
        null_mode="v1",
    )


def _desk_rows(ctx: Context, form: dict[str, Any]) -> list[dict[str, Any]]:
    doctype = form.get("doctype")
    if not isinstance(doctype, str) or not doctype:
        raise errors.FrappeTypeError(
            "reportview.get() missing required argument: 'doctype'", title="Missing Argument"
        )
    meta = _readable_meta(ctx, doctype)
    return run_list(ctx, _list_args(meta.name, form))


@alias("frappe.desk.reportview.get")
@whitelist(methods=["GET", "POST"])
def reportview_get(ctx: Context, **form: Any) -> Any:
    """The list view's rows, compressed to ``{"keys", "values"}`` (``[]`` when there are none)."""
    rows = _desk_rows(ctx, form)
    if not rows:
        return []
    keys = list(rows[0])
    return {"keys": keys, "values": [[row.get(key) for key in keys] for row in rows], "user_info": {}}


@alias("frappe.desk.reportview.get_list")
@whitelist(methods=["GET", "POST"])
def reportview_get_list(ctx: Context, **form: Any) -> list[dict[str, Any]]:
    """The list view's rows as dicts."""
    return _desk_rows(ctx, form)
