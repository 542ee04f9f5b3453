"""Builder: :class:`ListArgs` + meta + user -> a SQLAlchemy ``Select`` (lists and counts), and running it.

The plan is: resolve ``fields`` (:mod:`.fields`), compile ``filters`` and ``or_filters``
(:mod:`.where`), add the row-level permission clauses of every DocType touched (the main one, the
parent of a child table, each Link target in its join), resolve ``group_by`` and ``order_by``
(:mod:`.ordering`), then page. Every identifier has been checked against metadata before any SQL
exists. With an aggregate or a ``group_by``, plain columns that are not grouped are wrapped in
``MAX()`` so that every backend accepts the statement (PostgreSQL requires it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, Select, and_, bindparam, distinct, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import StatementError
from sqlalchemy.sql import ColumnElement, FromClause

from docframe import errors
from docframe.db.errors import translate_read_error
from docframe.db.prepared import Prepared
from docframe.meta.schema import Meta
from docframe.permissions.conditions import row_conditions
from docframe.permissions.fields import readable_columns
from docframe.query.fields import ChildSpec, Selection, SelectItem, parse_fields
from docframe.query.filters import parse_filters
from docframe.query.ordering import OrderItem, default_order, parse_group_by, parse_order_by
from docframe.query.rows import RowReader, untyped_columns
from docframe.query.scope import Scope
from docframe.query.where import compile_group
from docframe.services import SlotKey

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "DEFAULT_ORDER",
    "MAX_OFFSET",
    "ListArgs",
    "ListPlan",
    "build_count",
    "build_select",
    "keyed",
    "paged",
    "plan_list",
    "run_count_rows",
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
    #: The request's own parameter texts when the arguments were parsed from them (see
    #: :func:`keyed`): the plan cache's key for them, cheaper than the ``repr`` of the parsed values.
    #: Not an ``__init__`` argument, so ``dataclasses.replace`` (which may change any field) drops it.
    request_key: tuple[Any, ...] | None = field(default=None, init=False, compare=False, repr=False)


def keyed(args: ListArgs, request_key: tuple[Any, ...]) -> ListArgs:
    """``args`` marked as parsed from ``request_key`` (texts that always parse to the same
    ``fields``, ``filters``, ``or_filters``, ``order_by`` and ``group_by``)."""
    object.__setattr__(args, "request_key", request_key)
    return args


def paged(args: ListArgs, start: int, limit: int | None) -> ListArgs:
    """``args`` for another page (its request key kept).

    A copy of the instance's fields with two changed (``dataclasses.replace`` runs the whole frozen
    ``__init__`` again: ~5 µs against ~0.5 µs, on every list request).
    """
    out = object.__new__(ListArgs)
    values = vars(out)
    values.update(vars(args))
    values["start"], values["limit"] = start, limit
    return out


@dataclass
class ListPlan:
    """A built list statement and what is needed to shape its rows.

    ``stmt`` pages with bound parameters whose values are in ``params`` (pass both to execute it).
    """

    stmt: Select[Any]
    labels: list[str]
    meta: Meta
    children: list[ChildSpec] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    #: The kept shape ``stmt`` came from, if it was kept (its prepared form runs it while ``stmt`` is
    #: its statement).
    shape: _Shape | None = None


#: A page's size and offset, bound when the statement runs (so one statement serves every page).
LIMIT_PARAM = "docframe_page_limit"
OFFSET_PARAM = "docframe_page_offset"
_LIMIT = bindparam(LIMIT_PARAM, type_=Integer)
_OFFSET = bindparam(OFFSET_PARAM, type_=Integer)
#: Planned list and count shapes kept per site (least recently used dropped first; about 10 KiB each).
PLAN_CACHE_SIZE = 128


@dataclass(eq=False)
class _Shape:
    """A planned list without its row-level permission clauses and page values (see :class:`PlanCache`)."""

    meta: Meta
    columns: tuple[Any, ...]
    source: FromClause
    filters: tuple[ColumnElement[bool], ...]
    group: tuple[Any, ...]
    order: tuple[Any, ...]
    distinct: bool
    limited: bool
    offset: bool
    labels: tuple[str, ...]
    children: tuple[ChildSpec, ...]
    #: :meth:`prepared`'s result once known (False: not yet asked).
    _prepared: Prepared | bool | None = False
    #: :meth:`reader`'s result once known (False: not yet asked).
    _reader: RowReader | bool | None = False

    @cached_property
    def stmt(self) -> Select[Any]:
        """The statement when no permission clause applies (reused as it is)."""
        return _statement(self, [])

    def prepared(self, dialect: Dialect) -> Prepared | None:
        """:attr:`stmt` compiled once and run on the driver's cursor (:mod:`docframe.db.prepared`),
        or None for a statement that cannot be prepared (an expanding ``IN``, for one)."""
        return _prepared_once(self, dialect)

    def reader(self, dialect: Dialect) -> RowReader | None:
        """:attr:`stmt` run as its untyped twin, converting only the columns that need it
        (:mod:`docframe.query.rows`), or None where that does not apply (see ``RowReader.build``)."""
        found = self._reader
        if found is False:
            untyped = _statement(self, [], untyped_columns(self.columns))
            found = RowReader.build(self.stmt, untyped, self.labels, dialect)
            self._reader = found
        return found if isinstance(found, RowReader) else None


class PlanCache:
    """Planned list shapes of one site, keyed by the request's parameters (except the page) and
    the columns the user may read, checked against the DocType's current Meta.

    Only plans that depend on nothing else are kept (``Scope.volatile`` marks the others: joins,
    child-table fields, date operators, sub-selects on other DocTypes). Row-level permission
    clauses are never kept: they are computed for every request and added to the kept shape.
    """

    def __init__(self, size: int = PLAN_CACHE_SIZE) -> None:
        self.size = size
        self._shapes: OrderedDict[tuple[Any, ...], _Shape | _CountShape] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], meta: Meta) -> _Shape | _CountShape | None:
        """The shape kept for ``key`` if it was planned with ``meta``."""
        with self._lock:
            shape = self._shapes.get(key)
            if shape is None:
                return None
            if shape.meta is not meta:
                del self._shapes[key]
                return None
            self._shapes.move_to_end(key)
            return shape

    def put(self, key: tuple[Any, ...], shape: _Shape | _CountShape) -> None:
        """Keep ``shape`` (dropping the least recently used one when full)."""
        with self._lock:
            self._shapes[key] = shape
            self._shapes.move_to_end(key)
            while len(self._shapes) > self.size:
                self._shapes.popitem(last=False)

    def clear(self) -> None:
        """Forget every shape."""
        with self._lock:
            self._shapes.clear()


#: The site's :class:`PlanCache`.
PLAN_CACHE: SlotKey[PlanCache] = SlotKey("list_plans")


def plan_cache(ctx: Context) -> PlanCache:
    """The site's list plan cache."""
    return ctx.site.services.slot(PLAN_CACHE).get(PlanCache)


def _meta(ctx: Context, args: ListArgs) -> Meta:
    meta = ctx.meta(args.doctype)
    if meta.issingle:
        raise errors.DataError(f"{meta.name} is a Single DocType: read it as a document")
    if not meta.has_table:
        raise errors.DataError(f"{meta.name} has no rows to list")
    return meta


def _filter_clauses(scope: Scope, args: ListArgs) -> list[ColumnElement[bool]]:
    clauses = []
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


def _shape_key(ctx: Context, meta: Meta, args: ListArgs) -> tuple[Any, ...] | None:
    """What a list plan depends on besides the Meta, or None when it must not be reused.

    The user counts only through the columns they may read; values count by ``repr`` (so ``1``,
    ``1.0``, ``True`` and ``"1"`` are different keys).
    """
    if args.ignore_permissions:
        readable: Any = "trusted"
    elif ctx.user.is_admin:
        readable = None
    elif meta.istable:
        return None  # a child table's columns are judged by its parent's permissions (per request)
    else:
        readable = readable_columns(ctx, meta)
    request: Any = args.request_key
    if request is None:
        request = repr((args.fields, args.filters, args.or_filters, args.order_by, args.group_by))
        if len(request) > 4000:
            return None
    return (
        meta.name, request, readable, args.distinct, args.null_mode, args.nested, args.default_dir,
        args.limit is not None, bool(args.start),
    )  # fmt: skip


def _plan_shape(scope: Scope, args: ListArgs) -> _Shape:
    """Parse the request's fields, filters, grouping and ordering into a :class:`_Shape`."""
    filters = _filter_clauses(scope, args)
    selection = parse_fields(scope, args.fields or ("name",))
    _ensure_name(scope, selection, args)
    group = parse_group_by(scope, selection, args.group_by)
    order = _order(scope, selection, args, bool(group))
    grouped = {g.key for g in group}
    needed = bool(group) or selection.aggregate
    ordered = []
    for o in order:
        expr = _aggregated(o.item, grouped, needed)
        ordered.append(expr.desc() if o.descending else expr.asc())
    return _Shape(
        meta=scope.meta,
        columns=tuple(_aggregated(i, grouped, needed).label(i.label) for i in selection.items),
        source=scope.from_clause(),
        filters=tuple(filters),
        group=tuple(g.expr for g in group),
        order=tuple(ordered),
        distinct=args.distinct,
        limited=args.limit is not None,
        offset=bool(args.start),
        labels=tuple(i.label for i in selection.items),
        children=tuple(selection.children),
    )


def _statement(
    shape: _Shape, access: list[ColumnElement[bool]], columns: Sequence[Any] | None = None
) -> Select[Any]:
    """The SELECT of ``shape`` with the row-level permission clauses ``access`` (selecting
    ``columns`` instead of the shape's own when given)."""
    stmt = select(*(shape.columns if columns is None else columns)).select_from(shape.source)
    if shape.distinct:
        stmt = stmt.distinct()
    where = [*access, *shape.filters]
    if where:
        stmt = stmt.where(and_(*where))
    if shape.group:
        stmt = stmt.group_by(*shape.group)
    if shape.order:
        stmt = stmt.order_by(*shape.order)
    if shape.limited:
        stmt = stmt.limit(_LIMIT)
    if shape.offset:
        stmt = stmt.offset(_OFFSET)
    return stmt


def plan_list(ctx: Context, args: ListArgs) -> ListPlan:
    """Build the SELECT for a list request.

    The parsed shape of a request (its fields, filters, grouping and ordering) is kept in the site's
    :class:`PlanCache` and reused by the next request of the same shape; the row-level permission
    clauses are computed for every request, and the page is bound when the statement runs.
    """
    _check_page(args)
    meta = _meta(ctx, args)
    table = ctx.site.tables.get(meta)
    access = [] if args.ignore_permissions else row_conditions(ctx, meta, table)
    key = _shape_key(ctx, meta, args)
    cache = plan_cache(ctx)
    shape = cache.get(key, meta) if key is not None else None
    kept = isinstance(shape, _Shape)
    if not isinstance(shape, _Shape):
        scope = Scope(ctx, meta, table, mode=args.null_mode, trusted=args.ignore_permissions)
        shape = _plan_shape(scope, args)
        if key is not None and not scope.volatile:
            cache.put(key, shape)
            kept = True
    params: dict[str, Any] = {}
    if shape.limited:
        params[LIMIT_PARAM] = args.limit
    if shape.offset:
        params[OFFSET_PARAM] = args.start
    stmt = _statement(shape, access) if access else shape.stmt
    # Only a kept shape is worth preparing: a plan made for one request runs through SQLAlchemy.
    return ListPlan(stmt, list(shape.labels), meta, list(shape.children), params, shape if kept else None)


def build_select(ctx: Context, args: ListArgs) -> Select[Any]:
    """The SELECT for a list request (its page values included)."""
    plan = plan_list(ctx, args)
    return plan.stmt.params(plan.params) if plan.params else plan.stmt


@dataclass(eq=False)
class _CountShape:
    """A planned count without its row-level permission clauses (kept like a :class:`_Shape`)."""

    meta: Meta
    source: FromClause
    name: Any
    filters: tuple[ColumnElement[bool], ...]
    distinct: bool
    cap: int | None
    #: :meth:`prepared`'s result once known (False: not yet asked).
    _prepared: Prepared | bool | None = False

    @cached_property
    def stmt(self) -> Select[Any]:
        """The statement when no permission clause applies (reused as it is)."""
        return _count_statement(self, [])

    def prepared(self, dialect: Dialect) -> Prepared | None:
        """:attr:`stmt` prepared once, as :meth:`_Shape.prepared`."""
        return _prepared_once(self, dialect)


def _prepared_once(shape: _Shape | _CountShape, dialect: Dialect) -> Prepared | None:
    found = shape._prepared
    if found is False:
        try:
            found = Prepared(shape.stmt, dialect)
        except ValueError:
            found = None
        shape._prepared = found
    return found if isinstance(found, Prepared) else None


#: The count's column label (SQLAlchemy's own name for it; a prepared statement needs one).
_COUNT = "count_1"


def _count_statement(shape: _CountShape, access: list[ColumnElement[bool]]) -> Select[Any]:
    where = [*access, *shape.filters]
    if shape.cap:
        inner = select(shape.name).select_from(shape.source)
        if where:
            inner = inner.where(and_(*where))
        if shape.distinct:
            inner = inner.distinct()
        return select(func.count().label(_COUNT)).select_from(inner.limit(shape.cap).subquery())
    # COUNT(*) (the main table's name is never NULL, so it equals COUNT(name)): SQLite answers it
    # from its smallest index and PostgreSQL without reading the column.
    counted = func.count(distinct(shape.name)) if shape.distinct else func.count()
    stmt = select(counted.label(_COUNT)).select_from(shape.source)
    return stmt.where(and_(*where)) if where else stmt


def build_count(ctx: Context, args: ListArgs, cap: int | None = None) -> Select[Any]:
    """``SELECT COUNT`` for a count request: ``distinct`` counts distinct names; ``cap`` stops early.

    Its filters are kept in the site's :class:`PlanCache` as a list's are; row-level clauses are
    computed for every request.
    """
    return _count_plan(ctx, args, cap)[0]


def run_count_rows(ctx: Context, args: ListArgs, cap: int | None = None) -> int:
    """Run :func:`build_count`'s statement: the number of rows (at most ``cap``). A kept count
    without row-level clauses runs as a prepared statement, as a kept list does."""
    stmt, shape = _count_plan(ctx, args, cap)
    if shape is not None:
        conn = ctx.conn
        prepared = shape.prepared(conn.dialect)
        if prepared is not None:
            with read_errors():
                return int(prepared.scalar(conn))
    return int(execute_read(ctx, stmt).scalar_one())


def _count_plan(ctx: Context, args: ListArgs, cap: int | None) -> tuple[Select[Any], _CountShape | None]:
    """The count statement, and its kept shape when the statement is the shape's own."""
    _check_page(args)
    if cap is not None and not 0 < cap <= MAX_OFFSET:
        raise errors.DataError("Limit must be a whole number between 1 and 2^53")
    meta = _meta(ctx, args)
    table = ctx.site.tables.get(meta)
    access = [] if args.ignore_permissions else row_conditions(ctx, meta, table)
    key = _shape_key(ctx, meta, args)
    if key is not None:
        key = (*key, "count", cap)
    cache = plan_cache(ctx)
    shape = cache.get(key, meta) if key is not None else None
    kept = isinstance(shape, _CountShape)
    if not isinstance(shape, _CountShape):
        scope = Scope(ctx, meta, table, mode=args.null_mode, trusted=args.ignore_permissions)
        filters = tuple(_filter_clauses(scope, args))
        shape = _CountShape(meta, scope.from_clause(), table.c.name, filters, args.distinct, cap)
        if key is not None and not scope.volatile:
            cache.put(key, shape)
            kept = True
    if access:
        return _count_statement(shape, access), None
    return shape.stmt, shape if kept else None


@contextmanager
def read_errors() -> Iterator[None]:
    """A value the database refuses in a read is a 417, not a 500."""
    try:
        yield
    except StatementError as exc:
        translated = translate_read_error(exc)
        if translated is exc:
            raise
        raise translated from None


def execute_read(ctx: Context, stmt: Any, params: dict[str, Any] | None = None) -> Any:
    """Run a list or count statement; a value the database refuses is a 417, not a 500."""
    with read_errors():
        return ctx.conn.execute(stmt, params)


def run_rows(ctx: Context, plan: ListPlan, *, as_dict: bool = True, json_ready: bool = False) -> list[Any]:
    """Run a planned list: rows as dicts keyed by label (a later duplicate label wins, as in Frappe)
    or as lists in field order.

    ``json_ready``: the rows are only for the JSON encoder (``http.envelopes.dumps``), so a date or
    datetime may come as the text it would be encoded as (:mod:`docframe.query.rows`).
    """
    if not plan.labels:
        return []  # every requested field was dropped (unreadable or absent): Frappe returns []
    shape = plan.shape
    prepared = None
    if shape is not None and plan.stmt is shape.stmt:
        conn = ctx.conn
        reader = shape.reader(conn.dialect)
        if reader is not None:
            with read_errors():
                return reader.rows(conn, plan.params, as_dict=as_dict, json_ready=json_ready)
        prepared = shape.prepared(conn.dialect)
    if prepared is not None:
        with read_errors():
            rows: Any = prepared.rows(ctx.conn, plan.params)
    else:
        rows = execute_read(ctx, plan.stmt, plan.params or None).all()
    if as_dict:
        return [dict(zip(plan.labels, row, strict=True)) for row in rows]
    return [list(row) for row in rows]
