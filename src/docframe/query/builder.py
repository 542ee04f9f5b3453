"""Builder: :class:`ListArgs` + meta + user -> a SQLAlchemy ``Select`` (lists and counts), and running it.

The plan is: resolve ``fields`` (:mod:`.fields`), compile ``filters`` and ``or_filters``
(:mod:`.where`), add the row-level permission clauses of every DocType touched (the main one, the
parent of a child table, each Link target in its join), resolve ``group_by`` and ``order_by``
(:mod:`.ordering`), then page. Every identifier has been checked against metadata before any SQL
exists. With an aggregate or a ``group_by``, plain columns that are not grouped are wrapped in
``MAX()`` so that every backend accepts the statement (PostgreSQL requires it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, distinct, func, select
from sqlalchemy.exc import StatementError
from sqlalchemy.sql import ColumnElement

from docframe import errors
from docframe.db.errors import translate_read_error
from docframe.meta.schema import Meta
from docframe.query.fields import ChildSpec, Selection, SelectItem, parse_fields
from docframe.query.filters import parse_filters
from docframe.query.ordering import OrderItem, default_order, parse_group_by, parse_order_by
from docframe.query.scope import Scope
from docframe.query.where import compile_group

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "DEFAULT_ORDER",
    "MAX_OFFSET",
    "ListArgs",
    "ListPlan",
    "build_count",
    "build_select",
    "plan_list",
    "run_rows",
]

#: Marker: order by the DocType's default sort.
DEFAULT_ORDER = "__default__"
#: Frappe's own marker for the same thing (sent by some clients).
KEEP_DEFAULT = "KEEP_DEFAULT_ORDERING"
#: Largest offset or page size accepted (bigger numbers are a 417, never a database overflow).
MAX_OFFSET = 2**53


@dataclass(frozen=True)
class ListArgs:
    """A list or count request, parsed and typed."""

    doctype: str
    fields: tuple[Any, ...] = ("name",)
    filters: Any = None
    or_filters: Any = None
    order_by: str | None = DEFAULT_ORDER
    group_by: str | None = None
    start: int = 0
    limit: int | None = 20
    distinct: bool = False
    #: ``v1`` (Frappe's DatabaseQuery NULL rules) or ``v2`` (the query builder's plain SQL rules).
    null_mode: str = "v1"
    #: Accept nested ``[[f1], "or", [f2]]`` filter groups (v2).
    nested: bool = False
    #: Direction of ORDER BY terms that give none (v1: asc, v2: desc).
    default_dir: str = "asc"
    #: Internal callers only (Frappe's ``get_all``): no row-level permission clauses. Never set
    #: from request parameters.
    ignore_permissions: bool = False


@dataclass
class ListPlan:
    """A built list statement and what is needed to shape its rows."""

    stmt: Select[Any]
    labels: list[str]
    meta: Meta
    children: list[ChildSpec] = field(default_factory=list)


def _scope(ctx: Context, args: ListArgs) -> Scope:
    meta = ctx.meta(args.doctype)
    if meta.issingle:
        raise errors.DataError(f"{meta.name} is a Single DocType: read it as a document")
    if not meta.has_table:
        raise errors.DataError(f"{meta.name} has no rows to list")
    return Scope(ctx, meta, ctx.site.tables.get(meta), mode=args.null_mode, trusted=args.ignore_permissions)


def _where(scope: Scope, args: ListArgs) -> list[ColumnElement[bool]]:
    clauses = [] if args.ignore_permissions else scope.access_conditions()
    for raw, what, combine in ((args.filters, "filters", "and"), (args.or_filters, "or_filters", "or")):
        group = parse_filters(raw, what, combine=combine, nested=args.nested)
        compiled = compile_group(scope, group)
        if compiled is not None:
            clauses.append(compiled)
    return clauses


def _check_page(args: ListArgs) -> None:
    for value in (args.start, args.limit):
        if value is not None and not 0 <= value <= MAX_OFFSET:
            raise errors.DataError("Limit and start must be whole numbers between 0 and 2^53")


def _aggregated(item: SelectItem, grouped: set[tuple[str, str] | None], needed: bool) -> Any:
    if needed and not item.aggregate and (item.key is None or item.key not in grouped):
        return func.max(item.expr)
    return item.expr


def _order(scope: Scope, selection: Selection, args: ListArgs, grouped: bool) -> list[OrderItem]:
    order_by = args.order_by
    if order_by == KEEP_DEFAULT:
        order_by = DEFAULT_ORDER
    if order_by is None or (isinstance(order_by, str) and not order_by.strip()):
        return []
    if order_by == DEFAULT_ORDER:
        if (selection.aggregate and not grouped) or args.distinct:
            return []
        return default_order(scope)
    items = parse_order_by(scope, selection, order_by, args.default_dir == "desc")
    if not (selection.aggregate or grouped) and any(
        o.item.aggregate and o.item not in selection.items for o in items
    ):
        raise errors.DataError(
            "Cannot order by an aggregate unless the query groups rows (group_by) or selects an aggregate",
            title="Invalid Order By",
        )
    if args.distinct:
        if args.null_mode == "v1" or selection.aggregate or grouped:
            return []
        selected = {i.key for i in selection.items if i.key is not None}
        items = [o for o in items if o.item.key in selected or o.item in selection.items]
    return items


def _ensure_name(scope: Scope, selection: Selection, args: ListArgs) -> None:
    if not selection.children or selection.by_label("name") is not None:
        return
    if args.distinct or selection.aggregate or args.group_by:
        raise errors.ValidationError(
            "Child table fields need 'name' in `fields` when using distinct or aggregate queries."
        )
    ref = scope.field("name")
    if ref is not None:
        selection.items.append(SelectItem("name", ref.expr, key=ref.key))


def plan_list(ctx: Context, args: ListArgs) -> ListPlan:
    """Build the SELECT for a list request."""
    _check_page(args)
    scope = _scope(ctx, args)
    where = _where(scope, args)
    selection = parse_fields(scope, args.fields or ("name",))
    _ensure_name(scope, selection, args)
    group = parse_group_by(scope, selection, args.group_by)
    order = _order(scope, selection, args, bool(group))
    grouped = {g.key for g in group}
    needed = bool(group) or selection.aggregate
    columns = [_aggregated(i, grouped, needed).label(i.label) for i in selection.items]
    stmt = select(*columns).select_from(scope.from_clause())
    if args.distinct:
        stmt = stmt.distinct()
    if where:
        stmt = stmt.where(and_(*where))
    if group:
        stmt = stmt.group_by(*(g.expr for g in group))
    for o in order:
        expr = _aggregated(o.item, grouped, needed)
        stmt = stmt.order_by(expr.desc() if o.descending else expr.asc())
    if args.limit is not None:
        stmt = stmt.limit(args.limit)
    if args.start:
        stmt = stmt.offset(args.start)
    return ListPlan(stmt, [i.label for i in selection.items], scope.meta, selection.children)


def build_select(ctx: Context, args: ListArgs) -> Select[Any]:
    """The SELECT for a list request."""
    return plan_list(ctx, args).stmt


def build_count(ctx: Context, args: ListArgs, cap: int | None = None) -> Select[Any]:
    """``SELECT COUNT`` for a count request: ``distinct`` counts distinct names; ``cap`` stops early."""
    _check_page(args)
    if cap is not None and not 0 < cap <= MAX_OFFSET:
        raise errors.DataError("Limit must be a whole number between 1 and 2^53")
    scope = _scope(ctx, args)
    where = _where(scope, args)
    name = scope.table.c.name
    if cap:
        inner = select(name).select_from(scope.from_clause())
        if where:
            inner = inner.where(and_(*where))
        if args.distinct:
            inner = inner.distinct()
        return select(func.count()).select_from(inner.limit(cap).subquery())
    # COUNT(*) (the main table's name is never NULL, so it equals COUNT(name)): SQLite answers it
    # from its smallest index and PostgreSQL without reading the column.
    counted = func.count(distinct(name)) if args.distinct else func.count()
    stmt = select(counted).select_from(scope.from_clause())
    return stmt.where(and_(*where)) if where else stmt


def execute_read(ctx: Context, stmt: Any) -> Any:
    """Run a list or count statement; a value the database refuses is a 417, not a 500."""
    try:
        return ctx.conn.execute(stmt)
    except StatementError as exc:
        translated = translate_read_error(exc)
        if translated is exc:
            raise
        raise translated from None


def run_rows(ctx: Context, plan: ListPlan, *, as_dict: bool = True) -> list[Any]:
    """Run a planned list: rows as dicts keyed by label (a later duplicate label wins, as in Frappe)
    or as lists in field order."""
    if not plan.labels:
        return []  # every requested field was dropped (unreadable or absent): Frappe returns []
    rows = execute_read(ctx, plan.stmt).all()
    if as_dict:
        return [dict(zip(plan.labels, row, strict=True)) for row in rows]
    return [list(row) for row in rows]
