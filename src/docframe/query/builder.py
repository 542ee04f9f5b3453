"""Builder: :class:`ListArgs` + meta + user -> a SQLAlchemy ``Select`` (lists and counts).

Every identifier in ``fields``, ``filters``, ``order_by`` and ``group_by`` must resolve to a column
of the DocType (a DocField or a standard column) before any SQL exists; anything else is a
:class:`~docframe.errors.DataError` (417, "Field not permitted in query: ..."). Aggregates are
limited to ``count``, ``sum``, ``avg``, ``min`` and ``max``. Row-level permission conditions are
added as WHERE clauses, so a list never returns a row that a read would refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, Table, and_, distinct, func, literal_column, or_, select
from sqlalchemy.sql import ColumnElement

from docframe import errors
from docframe.meta.schema import DocFieldDef, Meta
from docframe.permissions.conditions import row_conditions
from docframe.query.filters import Filter, parse_filters
from docframe.query.operators import condition

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["DEFAULT_ORDER", "ListArgs", "build_count", "build_select", "run_count", "run_list"]

#: Marker: order by the DocType's default sort.
DEFAULT_ORDER = "__default__"
_IDENT = r"`?[A-Za-z_][\w ]*`?(?:\.`?[A-Za-z_]\w*`?)?"
_AGG = re.compile(
    rf"^(count|sum|avg|min|max)\s*\(\s*(distinct\s+)?(\*|{_IDENT})\s*\)(?:\s+as\s+[`'\"]?(\w+)[`'\"]?)?$",
    re.IGNORECASE,
)
_ALIAS = re.compile(rf"^({_IDENT})\s+as\s+[`'\"]?(\w+)[`'\"]?$", re.IGNORECASE)
_AGGREGATES = {"count": func.count, "sum": func.sum, "avg": func.avg, "min": func.min, "max": func.max}


@dataclass(frozen=True)
class ListArgs:
    """A list or count request, parsed and typed."""

    doctype: str
    fields: tuple[str, ...] = ("name",)
    filters: Any = None
    or_filters: Any = None
    order_by: str | None = DEFAULT_ORDER
    group_by: str | None = None
    start: int = 0
    limit: int | None = 20
    distinct: bool = False
    null_mode: str = "v1"


def _not_permitted(ref: str) -> errors.DataError:
    return errors.DataError(f"Field not permitted in query: {ref}", title="Invalid Field")


def resolve_column(meta: Meta, table: Table, ref: str) -> tuple[Any, DocFieldDef | None]:
    """The column (and its field) that ``ref`` names: ``f``, ```f```, ``tabX.f`` or ```tabX`.`f```."""
    text = ref.strip()
    if "." in text:
        qualifier, _, text = text.partition(".")
        qualifier = qualifier.strip().strip("`").strip()
        if qualifier not in (meta.table, meta.name):
            raise _not_permitted(ref)
    name = text.strip().strip("`").strip()
    if name not in meta.all_columns:
        raise _not_permitted(ref)
    return table.c[name], meta.get_field(name)


def _select_items(meta: Meta, table: Table, fields: tuple[str, ...]) -> tuple[list[Any], bool]:
    items: list[Any] = []
    aggregate = False
    for raw in fields:
        if not isinstance(raw, str) or not raw.strip():
            raise _not_permitted(str(raw))
        for part in _split_fields(raw):
            text = part.strip()
            if text == "*":
                items += [table.c[c] for c in meta.valid_columns]
                continue
            match = _AGG.match(text)
            if match:
                fn, is_distinct, target, alias = match.groups()
                arg: Any = literal_column("*") if target == "*" else resolve_column(meta, table, target)[0]
                if target == "*" and fn.lower() != "count":
                    raise _not_permitted(text)
                if is_distinct:
                    arg = distinct(arg)
                label = alias or f"{fn.lower()}({'distinct ' if is_distinct else ''}{target.strip('`')})"
                items.append(_AGGREGATES[fn.lower()](arg).label(label))
                aggregate = True
                continue
            match = _ALIAS.match(text)
            if match:
                column, _ = resolve_column(meta, table, match.group(1))
                items.append(column.label(match.group(2)))
                continue
            items.append(resolve_column(meta, table, text)[0])
    return items, aggregate


def _split_fields(raw: str) -> list[str]:
    # A comma inside parentheses belongs to a function call, not to the field list.
    parts, depth, current = [], 0, ""
    for ch in raw:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p for p in parts if p.strip()]


def _conditions(
    ctx: Context, meta: Meta, table: Table, items: list[Filter], null_mode: str
) -> list[ColumnElement[bool]]:
    out = []
    for f in items:
        if f.doctype and f.doctype not in (meta.name, meta.table):
            raise _not_permitted(f"{f.doctype}.{f.field}")
        column, field = resolve_column(meta, table, f.field)
        out.append(
            condition(column, f.operator, f.value, field, null_mode=null_mode, backend=ctx.site.db.backend)
        )
    return out


def _order_items(meta: Meta, table: Table, order_by: str | None, default_dir: str) -> list[Any]:
    if order_by is None or not order_by.strip():
        return []
    if order_by == DEFAULT_ORDER:
        return [
            table.c[c].desc() if d == "DESC" else table.c[c].asc()
            for c, d in meta.default_sort
            if c in table.c
        ]
    items = []
    for part in order_by.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise errors.DataError(
                f"Invalid order_by: {part.strip()[:80]!r}. Use 'field asc' or 'field desc'."
            )
        column, _ = resolve_column(meta, table, words[0])
        direction = words[1].lower() if len(words) == 2 else default_dir
        items.append(column.desc() if direction == "desc" else column.asc())
    return items


def _where(ctx: Context, meta: Meta, table: Table, args: ListArgs) -> list[ColumnElement[bool]]:
    clauses = _conditions(ctx, meta, table, parse_filters(args.filters), args.null_mode)
    ors = _conditions(ctx, meta, table, parse_filters(args.or_filters, "or_filters"), args.null_mode)
    if ors:
        clauses.append(or_(*ors))
    clauses.extend(row_conditions(ctx, meta, table))
    return clauses


def build_select(ctx: Context, args: ListArgs, *, default_dir: str = "asc") -> Select[Any]:
    """The SELECT for a list request."""
    meta = ctx.site.metas.get(args.doctype, ctx.conn)
    if not meta.has_table:
        raise errors.DataError(f"{meta.name} has no rows to list")
    table = ctx.site.tables.get(meta)
    items, aggregate = _select_items(meta, table, args.fields or ("name",))
    stmt = select(*items)
    if args.distinct:
        stmt = stmt.distinct()
    where = _where(ctx, meta, table, args)
    if where:
        stmt = stmt.where(and_(*where))
    if args.group_by:
        stmt = stmt.group_by(
            *(resolve_column(meta, table, g)[0] for g in args.group_by.split(",") if g.strip())
        )
    order_by = args.order_by
    if order_by == DEFAULT_ORDER and ((aggregate and not args.group_by) or args.distinct):
        order_by = None
    stmt = stmt.order_by(*_order_items(meta, table, order_by, default_dir))
    if args.limit is not None:
        stmt = stmt.limit(args.limit)
    if args.start:
        stmt = stmt.offset(args.start)
    return stmt


def build_count(ctx: Context, args: ListArgs) -> Select[Any]:
    """The SELECT COUNT for a count request (``distinct`` counts distinct names)."""
    meta = ctx.site.metas.get(args.doctype, ctx.conn)
    table = ctx.site.tables.get(meta)
    where = _where(ctx, meta, table, args)
    if args.limit:
        inner = select(table.c.name)
        if where:
            inner = inner.where(and_(*where))
        sub = inner.limit(args.limit).subquery()
        return select(func.count()).select_from(sub)
    counted = func.count(distinct(table.c.name)) if args.distinct else func.count()
    stmt = select(counted).select_from(table)
    if where:
        stmt = stmt.where(and_(*where))
    return stmt


def run_list(ctx: Context, args: ListArgs, *, as_dict: bool = True, default_dir: str = "asc") -> list[Any]:
    """Run a list request: rows as dicts (or as lists when ``as_dict`` is false)."""
    if ctx.site.metas.get(args.doctype, ctx.conn).issingle:
        raise errors.DataError(f"{args.doctype} is a Single DocType: read it as a document")
    result = ctx.conn.execute(build_select(ctx, args, default_dir=default_dir))
    if as_dict:
        return [dict(row) for row in result.mappings()]
    return [list(row) for row in result]


def run_count(ctx: Context, args: ListArgs) -> int:
    """Run a count request."""
    return int(ctx.conn.execute(build_count(ctx, args)).scalar_one())
