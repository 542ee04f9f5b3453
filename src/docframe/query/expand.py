"""Expand: what a list adds after its main query — child-table rows and expanded Link fields.

* ``{"items": ["item_code", "qty"]}`` in ``fields`` attaches, to every row, the list of that row's
  ``items`` (the given fields, ordered by ``idx``), read in one query per 1000 parents.
* ``expand=["customer"]`` replaces each Link value with the linked document's row (the fields the
  user may read; a value whose document the user may not read stays as it is).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from docframe import errors
from docframe.meta.schema import Meta
from docframe.permissions.fields import readable_columns
from docframe.query.builder import ListArgs, ListPlan, plan_list, run_rows
from docframe.query.fields import ChildSpec

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["attach_children", "expand_links", "link_fields_to_expand"]

CHUNK = 1000


def _child_rows(
    ctx: Context, meta: Meta, spec: ChildSpec, names: list[str]
) -> dict[str, list[dict[str, Any]]]:
    child_meta = ctx.meta(spec.doctype)
    table = ctx.site.tables.get(child_meta)
    allowed = readable_columns(ctx, child_meta, meta)
    fields = [f for f in spec.fields if allowed is None or f in allowed]
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in range(0, len(names), CHUNK):
        stmt = (
            select(table.c.parent, *(table.c[f] for f in fields))
            .where(
                table.c.parent.in_(names[i : i + CHUNK]),
                table.c.parenttype == meta.name,
                table.c.parentfield == spec.fieldname,
            )
            .order_by(table.c.parent, table.c.idx)
        )
        for row in ctx.conn.execute(stmt):
            grouped[row[0]].append(dict(zip(fields, row[1:], strict=True)))
    return grouped


def attach_children(ctx: Context, plan: ListPlan, rows: list[Any], *, as_dict: bool) -> None:
    """Add each requested child table's rows to every result row (in place)."""
    position = plan.labels.index("name")
    names = list(dict.fromkeys(str(r["name"] if as_dict else r[position]) for r in rows))
    for spec in plan.children:
        found = _child_rows(ctx, plan.meta, spec, names)
        for row in rows:
            key = str(row["name"] if as_dict else row[position])
            if as_dict:
                row[spec.fieldname] = found.get(key, [])
            else:
                row.append(found.get(key, []))


def link_fields_to_expand(meta: Meta, expand: Any, fields: tuple[Any, ...]) -> list[str]:
    """The Link fieldnames ``expand`` asks for (only among ``fields`` unless they start with ``*``)."""
    if expand is None or expand == "" or expand == []:
        return []
    if isinstance(expand, str):
        expand = [e.strip() for e in expand.split(",") if e.strip()]
    if not isinstance(expand, list) or not all(isinstance(e, str) for e in expand):
        raise errors.DataError("'expand' must be a list of Link fieldnames")
    if "*" in expand:
        expand = [f.fieldname for f in meta.link_fields if f.fieldtype == "Link"]
    star = bool(fields) and fields[0] == "*"
    wanted = [e for e in expand if star or e in fields]
    return [
        e for e in dict.fromkeys(wanted) if (f := meta.get_field(e)) is not None and f.fieldtype == "Link"
    ]


def _linked(ctx: Context, doctype: str, values: list[Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(values), CHUNK):
        args = ListArgs(
            doctype=doctype,
            fields=("*",),
            filters=[["name", "in", values[i : i + CHUNK]]],
            order_by=None,
            limit=None,
            null_mode="v2",
        )
        try:
            rows = run_rows(ctx, plan_list(ctx, args))
        except errors.PermissionError:
            return {}
        out.update({str(r["name"]): r for r in rows})
    return out


def expand_links(ctx: Context, meta: Meta, rows: list[dict[str, Any]], fieldnames: list[str]) -> None:
    """Replace each Link value in ``rows`` with the linked document's readable fields (in place)."""
    for fieldname in fieldnames:
        field = meta.get_field(fieldname)
        if field is None or field.fieldtype != "Link":
            continue
        try:
            target = ctx.meta(field.options)
        except errors.DoesNotExistError:  # a Link to a DocType that is not installed keeps its value
            continue
        if not target.has_table or target.istable:
            continue
        values = list(dict.fromkeys(r[fieldname] for r in rows if r.get(fieldname) not in (None, "")))
        if not values:
            continue
        docs = _linked(ctx, field.options, values)
        for row in rows:
            value = row.get(fieldname)
            if value not in (None, "") and str(value) in docs:
                row[fieldname] = docs[str(value)]
