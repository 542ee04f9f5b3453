"""Search: Link-field autocomplete (Frappe's ``search_widget`` and ``search_link``).

For ``txt`` the DocType's ``name``, title field and ``search_fields`` (text-like ones) are matched with
``like %txt%`` (OR-ed); ``enabled``/``disabled`` Check fields hide disabled records unless the
filters say ``include_disabled: 1``. Rows are ordered by where ``txt`` occurs in the name (earlier
first), then ``idx desc`` (how often a record is linked), then the DocType's default sort; the page
is finally sorted with names that start with ``txt`` first, then alphabetically, as Frappe does.
The result of :func:`search_link` is Frappe's autosuggest format ``{value, label, description}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, case, cast, func
from sqlalchemy.sql import ColumnElement

from docframe import errors
from docframe.meta.schema import Meta
from docframe.permissions.fields import readable_columns
from docframe.query.builder import ListArgs, plan_list, run_rows
from docframe.query.filters import Filter, decode, parse_filters

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["SearchArgs", "build_for_autosuggest", "search_link", "search_widget"]

SEARCHABLE_TYPES = frozenset(
    {"Data", "Text", "Small Text", "Long Text", "Link", "Select", "Read Only", "Text Editor"}
)
_FIELDNAME = re.compile(r"^\w{1,64}$")
MAX_PAGE = 500


@dataclass(frozen=True)
class SearchArgs:
    """A Link search request."""

    doctype: str
    txt: str = ""
    filters: Any = None
    searchfield: str | None = None
    start: int = 0
    page_length: int = 10


def _search_fields(meta: Meta) -> list[str]:
    return [f.strip() for f in (meta.search_fields or "").split(",") if f.strip()]


def _result_fields(meta: Meta, key: str) -> list[str]:
    """``name``, the title field, the search field and ``search_fields`` (those the table has)."""
    names = ["name"]
    for candidate in (meta.title_field, key, *_search_fields(meta)):
        if candidate and candidate not in names and candidate in meta.all_columns:
            names.append(candidate)
    return names


def _txt_filters(meta: Meta, txt: str, readable: frozenset[str] | None) -> list[list[Any]]:
    """``like %txt%`` on the name, title and search fields the user may read (a field the user may
    not read is never matched: which rows match would tell its value)."""
    if not txt:
        return []
    out = []
    for name in dict.fromkeys(["name", meta.title_field, *_search_fields(meta)]):
        if readable is not None and name not in readable:
            continue
        field = meta.get_field(name) if name else None
        if name == "name" or (field is not None and field.has_column and field.fieldtype in SEARCHABLE_TYPES):
            out.append([name, "like", f"%{txt}%"])
    return out


def _filters(meta: Meta, raw: Any) -> list[list[Any]]:
    include_disabled = False
    raw = decode(raw)
    if isinstance(raw, dict) and "include_disabled" in raw:
        include_disabled = raw.get("include_disabled") in (1, "1", True)
        raw = {k: v for k, v in raw.items() if k != "include_disabled"}
    out: list[list[Any]] = []
    for node in parse_filters(raw, "filters").items:
        if not isinstance(node, Filter):
            raise errors.DataError("Nested filter groups are not supported in a link search")
        out.append([node.doctype or meta.name, node.field, node.operator, node.value])
    if not include_disabled:
        for fieldname, op in (("enabled", "="), ("disabled", "!=")):
            field = meta.get_field(fieldname)
            if field is not None and field.fieldtype == "Check":
                out.append([meta.name, fieldname, op, 1])
    return out


def _position(backend: str, column: Any, txt: str) -> ColumnElement[Any]:
    """1-based position of ``txt`` in ``column`` (0 when absent), case-insensitive, per backend."""
    haystack, needle = func.lower(column), func.lower(txt)
    if backend == "postgresql":
        return func.strpos(haystack, needle)
    if backend == "mariadb":
        return func.locate(needle, haystack)
    return func.instr(haystack, needle)


def search_widget(ctx: Context, args: SearchArgs) -> list[list[Any]]:
    """Rows (as lists) matching ``txt``: ``[name, title, search field, search_fields...]``."""
    meta = ctx.meta(args.doctype)
    key = args.searchfield or "name"
    if not _FIELDNAME.match(key):
        raise errors.DataError(f"Invalid Search Field {key[:60]}")
    if not 0 <= args.page_length <= MAX_PAGE:
        raise errors.DataError(f"page_length must be between 0 and {MAX_PAGE}")
    trusted = meta.name == "DocType"
    readable = None if trusted else readable_columns(ctx, meta)
    fields = _result_fields(meta, key)
    if meta.raw.get("show_title_field_in_link") and meta.title_field in meta.all_columns:
        fields.insert(1, f"{meta.title_field} as label")
    list_args = ListArgs(
        doctype=meta.name,
        fields=tuple(fields),
        filters=_filters(meta, args.filters),
        or_filters=_txt_filters(meta, args.txt, readable),
        order_by=None,
        start=args.start,
        limit=args.page_length or None,
        ignore_permissions=trusted,
    )
    plan = plan_list(ctx, list_args)
    table = ctx.site.tables.get(meta)
    name = cast(table.c.name, String) if meta.naming_rule == "autoincrement" else table.c.name
    order: list[Any] = []
    if args.txt:
        position = _position(str(ctx.site.db.backend), name, args.txt.replace("%", "").replace("@", ""))
        order += [case((position == 0, 1), else_=0), position]
    order.append(table.c.idx.desc())
    order += [
        table.c[c].desc() if d == "DESC" else table.c[c].asc()
        for c, d in meta.default_sort
        if c in table.c and (readable is None or c in readable)
    ]
    plan.stmt = plan.stmt.order_by(*order)
    rows = run_rows(ctx, plan, as_dict=False)
    folded = args.txt.casefold()
    rows.sort(key=lambda r: (not str(r[0]).casefold().startswith(folded), str(r[0])))
    return rows


def _text(parts: list[Any]) -> str:
    return ", ".join(dict.fromkeys(str(p) for p in parts if p not in (None, "", 0)))


def build_for_autosuggest(meta: Meta, rows: list[list[Any]]) -> list[dict[str, Any]]:
    """Frappe's autosuggest rows: ``value`` (the name), ``label`` and ``description``."""
    out: list[dict[str, Any]] = []
    if not meta.raw.get("show_title_field_in_link"):
        for row in rows:
            out.append({"value": row[0], "description": _text(row[1:]), "label": row[0]})
        return out
    for row in rows:
        item = list(row) if len(row) > 1 else [row[0], row[0]]
        label = item[1]
        item[1] = item[0]
        if len(item) >= 3 and item[2] == label:
            del item[2]
        entry: dict[str, Any] = {"value": item[0], "description": _text(item[1:])}
        if label:
            entry["label"] = label
        out.append(entry)
    return out


def search_link(ctx: Context, args: SearchArgs) -> list[dict[str, Any]]:
    """Link search in the autosuggest format."""
    meta = ctx.meta(args.doctype)
    return build_for_autosuggest(meta, search_widget(ctx, args))
