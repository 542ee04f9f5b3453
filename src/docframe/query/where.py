"""Where: a parsed filter tree -> SQLAlchemy conditions, through the scope and the operator table.

Besides the column operators of :mod:`docframe.query.operators` this module handles the operators
that need more than one column: ``timespan``/``previous``/``next`` (the site's date and first day of
the week) and the nested-set operators (``descendants of``, ``ancestors of`` and their negations), which
become ``IN`` sub-selects on the tree DocType's ``lft``/``rgt`` columns.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, false, null, or_, select, true
from sqlalchemy.sql import ColumnElement

from docframe import errors
from docframe.query import dates
from docframe.query.filters import Filter, Node
from docframe.query.operators import Operand, between, condition
from docframe.query.scope import CONDITION, ColumnRef, Scope, as_text

__all__ = ["TREE_OPERATORS", "compile_group", "site_today"]

TREE_OPERATORS = frozenset(
    {"descendants of", "not descendants of", "ancestors of", "not ancestors of", "descendants of (inclusive)"}
)
_DATE_OPERATORS = frozenset({"timespan", "previous", "next"})
_LIST_COLUMNS = frozenset({"_assign", "_liked_by"})


def site_today(scope: Scope) -> date:
    """Today in the site's time zone (a plan that uses it is not reused: see ``Scope.volatile``)."""
    scope.volatile = True
    return scope.ctx.now().date()


def _first_weekday(scope: Scope) -> int:
    value = scope.ctx.site.tables.framework.single_value(
        scope.ctx.conn, "System Settings", "first_day_of_the_week"
    )
    return dates.WEEKDAYS.index(value) if value in dates.WEEKDAYS else 6


def _operand(scope: Scope, ref: ColumnRef) -> Operand:
    return Operand(ref.expr, ref.kind, ref.label, scope.mode, scope.backend, ref.nullable)


def _tree_target(scope: Scope, ref: ColumnRef, f: Filter) -> Any:
    if ref.field is not None and ref.field.fieldtype == "Link":
        target = scope.meta_of(ref.field.options)
    elif ref.name == "name" and ref.table_key == "main":
        target = scope.meta
    else:
        raise errors.DataError(f"Operator {f.operator} needs a Link field to a tree DocType, not {ref.label}")
    if not target.is_tree or not {"lft", "rgt"} <= target.all_columns:
        raise errors.DataError(f"Operator {f.operator}: {target.name} is not a tree DocType")
    return target


def _tree(scope: Scope, ref: ColumnRef, f: Filter) -> ColumnElement[bool]:
    scope.volatile = True  # a sub-select on another DocType's table
    target = _tree_target(scope, ref, f)
    value = f.value
    if value is None or value == "" or isinstance(value, list | tuple | dict | bool):
        return false() if f.operator.startswith(("descendants", "ancestors")) else true()
    node_name = Operand(
        null(), "Int" if target.naming_rule == "autoincrement" else "Data", ref.label
    ).convert(value)
    table = scope.ctx.site.tables.get(target)
    node, other = table.alias("tn"), table.alias("tm")
    lft = select(node.c.lft).where(node.c.name == node_name).scalar_subquery()
    rgt = select(node.c.rgt).where(node.c.name == node_name).scalar_subquery()
    if "descendants" in f.operator:
        where = and_(other.c.lft > lft, other.c.rgt < rgt)
        if f.operator.endswith("(inclusive)"):
            where = or_(where, other.c.name == node_name)
    else:
        where = and_(other.c.lft < lft, other.c.rgt > rgt)
    names = select(as_text(other.c.name, target)).where(where)
    if not f.operator.startswith("not "):
        return ref.expr.in_(names)
    kept = ref.expr.not_in(names)
    return or_(kept, ref.expr.is_(None)) if scope.mode == "v1" and ref.nullable else kept


def _filter(scope: Scope, f: Filter) -> ColumnElement[bool] | None:
    ref = scope.field(f.field, CONDITION, f.doctype)
    if ref is None:
        return None
    op, value = f.operator, f.value
    if op in TREE_OPERATORS:
        return _tree(scope, ref, f)
    if op in _DATE_OPERATORS:
        if ref.kind not in ("Date", "Datetime"):
            raise errors.DataError(f"Operator {op} needs a Date or Datetime field, not {ref.label}")
        today = site_today(scope)
        span = dates.date_range(op, value, today, _first_weekday(scope))
        return between(_operand(scope, ref), list(span), today)
    if op == "between":
        return between(_operand(scope, ref), value, site_today(scope))
    if scope.mode == "v2" and ref.name in _LIST_COLUMNS and op in ("=", "!=") and value not in (None, ""):
        op, value = ("like" if op == "=" else "not like"), f"%{value}%"
    return condition(_operand(scope, ref), op, value)


def compile_group(scope: Scope, group: Node) -> ColumnElement[bool] | None:
    """The condition of a filter tree (None when it has no conditions)."""
    if isinstance(group, Filter):
        return _filter(scope, group)
    parts = [c for c in (compile_group(scope, node) for node in group.items) if c is not None]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return and_(*parts) if group.combine == "and" else or_(*parts)
