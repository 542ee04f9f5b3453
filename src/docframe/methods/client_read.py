"""``frappe.client`` read methods and link search, under Frappe's names and argument names.

Served as ``frappe.client.<name>`` and ``frappe.core.api.document.<name>``: ``get_list`` (GET or
POST), ``get_count``, ``get_value``, ``get_single_value`` and ``get``; plus
``frappe.desk.search.search_link`` / ``search_widget`` and ``frappe.desk.reportview.get_count``.
Lists and counts go through :mod:`docframe.query` with Frappe's v1 rules, so they carry the same
permission clauses as ``/api/resource``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from docframe import errors
from docframe.meta.fieldtypes import NUMERIC_TYPES
from docframe.methods.call import call_method
from docframe.methods.params import count_args, fields_value, get_int, list_args_v1, truthy
from docframe.methods.registry import alias, resolve, whitelist
from docframe.model import operations
from docframe.permissions.rules import has_permission
from docframe.query.builder import ListArgs
from docframe.query.filters import brief, decode
from docframe.query.listing import run_count, run_count_capped, run_list
from docframe.query.search import SearchArgs, build_for_autosuggest
from docframe.query.search import search_widget as search_rows

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "get", "get_count", "get_list", "get_single_value", "get_value", "link_search", "reportview_count",
    "search_link", "search_widget",
]  # fmt: skip


def _names(name: str) -> tuple[str, str]:
    return f"frappe.client.{name}", f"frappe.core.api.document.{name}"


def _require_read(ctx: Context, doctype: str) -> Any:
    meta = operations.read_meta(ctx, doctype)
    if not has_permission(ctx, meta, "read", include_shares=True) and not has_permission(ctx, meta, "select"):
        raise errors.PermissionError(
            f"No permission for {meta.name}", title="Not Permitted", doctype=meta.name
        )
    return meta


@alias(*_names("get_list"))
@whitelist()
def get_list(
    ctx: Context,
    doctype: str,
    fields: Any = None,
    filters: Any = None,
    group_by: Any = None,
    order_by: Any = None,
    limit_start: Any = None,
    limit_page_length: Any = 20,
    parent: Any = None,
    debug: Any = False,
    as_dict: Any = True,
    or_filters: Any = None,
    expand: Any = None,
) -> list[Any]:
    """A permission-filtered list (``limit_page_length=0``: every row; ``as_dict=0``: lists)."""
    operations.read_meta(ctx, doctype)
    form = {
        "fields": fields, "filters": filters, "or_filters": or_filters, "group_by": group_by,
        "order_by": order_by, "limit_start": limit_start,
        "limit_page_length": 0 if limit_page_length in (None, "") else limit_page_length,
    }  # fmt: skip
    args = list_args_v1(doctype, form)
    return run_list(ctx, args, as_dict=truthy(as_dict, True), expand=decode(expand, "expand"))


@alias(*_names("get_count"))
@whitelist()
def get_count(
    ctx: Context,
    doctype: str,
    filters: Any = None,
    debug: Any = False,
    cache: Any = False,
    or_filters: Any = None,
    distinct: Any = False,
) -> int:
    """The number of rows the user may see that match ``filters`` (``or_filters``, ``distinct``)."""
    operations.read_meta(ctx, doctype)
    return run_count(
        ctx, count_args(doctype, {"filters": filters, "or_filters": or_filters, "distinct": distinct})
    )


@alias("frappe.desk.reportview.get_count")
@whitelist()
def reportview_count(
    ctx: Context,
    doctype: str,
    filters: Any = None,
    or_filters: Any = None,
    distinct: Any = False,
    limit: Any = None,
) -> int:
    """Desk list-view counting (``limit`` counts at most that many rows)."""
    operations.read_meta(ctx, doctype)
    form = {"filters": filters, "or_filters": or_filters, "distinct": distinct, "limit": limit}
    args = count_args(doctype, form)
    cap = get_int(form, "limit", None)
    return run_count_capped(ctx, args, cap)[0] if cap else run_count(ctx, args)


def _fieldnames(fieldname: Any) -> tuple[Any, ...]:
    if isinstance(fieldname, str):
        text = fieldname.strip()
        if text[:1] in '[{"':
            try:
                fieldname = orjson.loads(text)
            except orjson.JSONDecodeError:
                raise errors.DataError(f"Field not permitted in query: {text[:140]}") from None
    if isinstance(fieldname, dict):
        return (fieldname,)
    return fields_value(fieldname)


def _single_values(ctx: Context, meta: Any, fields: tuple[Any, ...]) -> dict[str, Any]:
    doc = operations.get_document(ctx, meta.name, meta.name)
    out: dict[str, Any] = {}
    for name in fields:
        if not isinstance(name, str) or (meta.get_field(name) is None and name not in meta.valid_columns):
            raise errors.DataError(f"Field not permitted in query: {brief(name, 140)}", title="Invalid Field")
        out[name] = doc.get(name)
    return out


@alias(*_names("get_value"))
@whitelist()
def get_value(
    ctx: Context,
    doctype: str,
    fieldname: Any,
    filters: Any = None,
    as_dict: Any = True,
    debug: Any = False,
    parent: Any = None,
) -> Any:
    """Values of the first matching row: a dict (``{}`` when none), or with ``as_dict=0`` the value
    (one field) or the list of values (several fields), ``None`` when no row matches."""
    meta = _require_read(ctx, doctype)
    fields = _fieldnames(fieldname)
    wants_dict = truthy(as_dict, True)
    if meta.issingle:
        values = _single_values(ctx, meta, fields)
        if wants_dict:
            return values
        return list(values.values()) if len(fields) > 1 else next(iter(values.values()), None)
    args = ListArgs(doctype=meta.name, fields=fields, filters=decode(filters) or None, limit=1)
    rows = run_list(ctx, args, as_dict=wants_dict)
    if wants_dict:
        return rows[0] if rows else {}
    if not rows:
        return None
    return rows[0] if len(fields) > 1 else rows[0][0]


@alias(*_names("get_single_value"))
@whitelist()
def get_single_value(ctx: Context, doctype: str, field: str) -> Any:
    """One value of a Single DocType."""
    meta = _require_read(ctx, doctype)
    if not meta.issingle:
        raise errors.DataError(f"{meta.name} is not a Single DocType")
    if meta.get_field(field) is None:
        raise errors.DataError(f"Field {field[:80]} does not exist on {meta.name}", title="Invalid Field")
    value = _single_values(ctx, meta, (field,))[field]
    if value is None and meta.get_field(field).fieldtype in NUMERIC_TYPES:
        return 0
    return value


@alias(*_names("get"))
@whitelist()
def get(
    ctx: Context, doctype: str, name: Any = None, filters: Any = None, parent: Any = None
) -> dict[str, Any]:
    """A document by ``name``, else the first match of ``filters``, else the Single."""
    meta = operations.read_meta(ctx, doctype)
    if name in (None, "") and filters is not None and filters != "":
        decoded = decode(filters)
        rows = run_list(ctx, ListArgs(doctype=meta.name, filters=decoded or None, limit=1))
        if not rows:
            raise errors.DoesNotExistError(f"{meta.name} not found", doctype=meta.name)
        name = rows[0]["name"]
    elif name in (None, ""):
        name = meta.name
    return operations.get_document(ctx, meta.name, name).as_dict()


def _custom_search(ctx: Context, query: str, args: SearchArgs) -> list[list[Any]]:
    spec = resolve(query, ctx.site.hooks.method_overrides)
    if ctx.user.is_guest and not spec.allow_guest:
        raise errors.PermissionError("Not permitted")
    form = {
        "doctype": args.doctype, "txt": args.txt, "searchfield": args.searchfield or "name",
        "start": args.start, "page_len": args.page_length, "page_length": args.page_length,
        "filters": args.filters if args.filters is not None else {}, "as_dict": False,
    }  # fmt: skip
    rows = call_method(ctx, spec, form)
    if not isinstance(rows, list | tuple):
        return []
    return [list(r) if isinstance(r, list | tuple) else [r] for r in rows]


def link_search(
    ctx: Context,
    doctype: str,
    txt: Any = "",
    *,
    query: Any = None,
    filters: Any = None,
    searchfield: Any = None,
    start: Any = 0,
    page_length: Any = 10,
) -> list[dict[str, Any]]:
    """Link search in the autosuggest format (``frappe.desk.search.search_link`` and v2 ``/search``)."""
    meta = operations.read_meta(ctx, doctype)
    paging = {"start": start, "page_length": page_length}
    args = SearchArgs(
        doctype=meta.name,
        txt=str(txt or "").strip(),
        filters=decode(filters),
        searchfield=str(searchfield) if searchfield not in (None, "") else None,
        start=get_int(paging, "start", 0) or 0,
        page_length=get_int(paging, "page_length", 10) or 0,
    )
    if isinstance(query, str) and query.strip():
        return build_for_autosuggest(meta, _custom_search(ctx, query.strip(), args))
    return build_for_autosuggest(meta, search_rows(ctx, args))


@alias("frappe.desk.search.search_link")
@whitelist()
def search_link(
    ctx: Context,
    doctype: str,
    txt: Any,
    query: Any = None,
    filters: Any = None,
    page_length: Any = 10,
    searchfield: Any = None,
    reference_doctype: Any = None,
    ignore_user_permissions: Any = False,
    link_fieldname: Any = None,
) -> list[dict[str, Any]]:
    """Link-field autocomplete: ``[{value, label, description}]``."""
    ctx.response_headers["Cache-Control"] = "private,max-age=60,stale-while-revalidate=300"
    return link_search(
        ctx, doctype, txt, query=query, filters=filters, searchfield=searchfield, page_length=page_length
    )


@alias("frappe.desk.search.search_widget")
@whitelist()
def search_widget(
    ctx: Context,
    doctype: str,
    txt: Any = "",
    query: Any = None,
    searchfield: Any = None,
    start: Any = 0,
    page_length: Any = 10,
    filters: Any = None,
    as_dict: Any = False,
    reference_doctype: Any = None,
    ignore_user_permissions: Any = False,
) -> list[Any]:
    """The search box's rows: lists ``[name, title, ...]`` (dicts with ``as_dict=1``)."""
    meta = operations.read_meta(ctx, doctype)
    paging = {"start": start, "page_length": page_length}
    args = SearchArgs(
        doctype=meta.name,
        txt=str(txt or "").strip(),
        filters=decode(filters),
        searchfield=str(searchfield) if searchfield not in (None, "") else None,
        start=get_int(paging, "start", 0) or 0,
        page_length=get_int(paging, "page_length", 10) or 0,
    )
    if isinstance(query, str) and query.strip():
        return _custom_search(ctx, query.strip(), args)
    return search_rows(ctx, args)
