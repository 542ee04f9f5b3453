"""Operators: a filter operator name -> a SQLAlchemy condition on one column.

Values are converted to the column's Python type first (dates to ``date``, numbers to numbers), so
a bad value is a clear 417 instead of a database error. Two NULL modes: ``v1`` (Frappe's
``ifnull`` semantics: ``!=`` and ``not in`` include NULL rows, ``= ''`` matches NULL) and ``v2``
(plain SQL semantics), written without wrapping the column so indexes stay usable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import String, and_, cast, false, or_, true
from sqlalchemy.sql import ColumnElement

from docframe import errors
from docframe.meta.fieldtypes import FLOAT_TYPES, INT_TYPES
from docframe.meta.schema import DocFieldDef
from docframe.model.coerce import parse_date, parse_datetime, parse_time

__all__ = ["OPERATOR_TABLE", "Operand", "condition", "convert_value"]

STANDARD_TYPES = {"creation": "Datetime", "modified": "Datetime", "docstatus": "Int", "idx": "Int"}


def _kind(field: DocFieldDef | None, column_name: str) -> str:
    if field is not None:
        return field.fieldtype
    return STANDARD_TYPES.get(column_name, "Data")


def convert_value(kind: str, value: Any, label: str) -> Any:
    """``value`` as the Python type of a ``kind`` column (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = int(value)
    try:
        if kind in INT_TYPES:
            return int(float(value)) if not isinstance(value, int) else value
        if kind in FLOAT_TYPES:
            return float(value)
        if kind == "Date":
            if isinstance(value, datetime):
                return value.date()
            return value if isinstance(value, date) else parse_date(str(value))
        if kind == "Datetime":
            if isinstance(value, datetime):
                return value
            return parse_datetime(str(value))
        if kind == "Time":
            return value if isinstance(value, time) else parse_time(str(value))
    except (TypeError, ValueError, OverflowError):
        raise errors.DataError(f"Invalid value {str(value)[:60]!r} for {label}") from None
    if isinstance(value, dict | list | tuple):
        raise errors.DataError(f"Invalid value for {label}: expected a single value")
    return str(value) if not isinstance(value, str) else value


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",")]
    if isinstance(value, list | tuple | set):
        return list(value)
    return [value]


def _empty(kind: str) -> Any:
    return 0 if kind in INT_TYPES or kind in FLOAT_TYPES else ""


def _is_text(kind: str) -> bool:
    return kind not in INT_TYPES and kind not in FLOAT_TYPES and kind not in ("Date", "Datetime", "Time")


@dataclass(frozen=True, slots=True)
class Operand:
    """The column side of a condition, with what the operator functions need to know about it."""

    column: Any
    kind: str
    label: str
    v1: bool
    null_mode: str
    backend: str

    @property
    def text(self) -> bool:
        return _is_text(self.kind)


def _compare(c: Operand, op: str, value: Any) -> ColumnElement[bool]:
    column = c.column
    if isinstance(value, list | tuple | dict):
        raise errors.DataError(f"Operator {op} needs a single value for {c.label}")
    if value is None or (value == "" and not c.text):
        if op == "=":
            return column.is_(None)
        if op == "!=":
            return column.is_not(None)
        if not c.text:
            return false()
        value = ""
    converted = convert_value(c.kind, value, c.label)
    if op == "=":
        return or_(column == converted, column.is_(None)) if c.v1 and converted == "" else column == converted
    if op == "!=":
        if not c.v1:
            return column != converted
        if converted != "":
            return or_(column != converted, column.is_(None))
        return and_(column != converted, column.is_not(None))
    clause = {">": column.__gt__, "<": column.__lt__, ">=": column.__ge__, "<=": column.__le__}[op](converted)
    if c.v1 and op in ("<", "<=") and c.text and converted > "":
        return or_(clause, column.is_(None))
    return clause


def _like(c: Operand, op: str, value: Any) -> ColumnElement[bool]:
    pattern = "" if value is None else str(value)
    target = c.column if c.text else cast(c.column, String)
    clause = target.ilike(pattern) if c.backend == "postgresql" else target.like(pattern)
    if op == "like":
        return clause
    return or_(~clause, c.column.is_(None)) if c.v1 else ~clause


def _empty_match(c: Operand) -> list[ColumnElement[bool]]:
    return [c.column.is_(None)] + ([c.column == ""] if c.text else [])


def _in(c: Operand, op: str, value: Any) -> ColumnElement[bool]:
    items = _values(value)
    wants_empty = any(v in (None, "") for v in items) or (not items and c.null_mode == "v1")
    real = [convert_value(c.kind, v, c.label) for v in items if v not in (None, "")]
    if op == "in":
        parts: list[ColumnElement[bool]] = [c.column.in_(real)] if real else []
        if wants_empty:
            parts += _empty_match(c)
        return or_(*parts) if parts else false()
    clause: ColumnElement[bool] = c.column.not_in(real) if real else true()
    if wants_empty:
        return and_(clause, c.column.is_not(None), *([c.column != ""] if c.text else []))
    return or_(clause, c.column.is_(None)) if c.v1 else clause


def _is(c: Operand, op: str, value: Any) -> ColumnElement[bool]:
    word = str(value).strip().lower() if value is not None else ""
    if word == "set":
        return and_(c.column.is_not(None), c.column != "") if c.text else c.column.is_not(None)
    if word == "not set":
        return or_(*_empty_match(c)) if c.text else c.column.is_(None)
    raise errors.DataError(f"Value for operator 'is' must be 'set' or 'not set', got {value!r}")


def _between(c: Operand, op: str, value: Any) -> ColumnElement[bool]:
    bounds = list(value) if isinstance(value, list | tuple) else _values(value)
    if len(bounds) != 2:
        raise errors.DataError(f"Operator between needs [from, to] for {c.label}")
    low, high = (convert_value(c.kind, b, c.label) for b in bounds)
    if c.kind == "Datetime":
        low = _day_edge(bounds[0], low, start=True)
        high = _day_edge(bounds[1], high, start=False)
    return c.column.between(low, high)


OperatorFn = Callable[[Operand, str, Any], ColumnElement[bool]]
#: Operator name -> clause factory.
OPERATOR_TABLE: dict[str, OperatorFn] = {
    "=": _compare, "!=": _compare, ">": _compare, "<": _compare, ">=": _compare, "<=": _compare,
    "like": _like, "not like": _like, "in": _in, "not in": _in, "is": _is, "between": _between,
}  # fmt: skip


def condition(
    column: Any,
    op: str,
    value: Any,
    field: DocFieldDef | None,
    *,
    null_mode: str = "v2",
    backend: str = "sqlite",
) -> ColumnElement[bool]:
    """The SQL condition ``column op value``."""
    kind = _kind(field, column.name)
    nullable = (
        column.name not in ("name", "creation", "modified", "docstatus", "idx")
        and kind not in INT_TYPES | FLOAT_TYPES
    )
    operand = Operand(
        column,
        kind,
        field.display_label if field else column.name,
        null_mode == "v1" and nullable,
        null_mode,
        backend,
    )
    factory = OPERATOR_TABLE.get(op)
    if factory is None:
        raise errors.DataError(f"Operator {op} is not supported on {operand.label}")
    return factory(operand, op, value)


def _day_edge(raw: Any, parsed: Any, *, start: bool) -> Any:
    if isinstance(raw, str) and len(raw.strip()) <= 10 and isinstance(parsed, datetime):
        return parsed if start else parsed.replace(hour=23, minute=59, second=59, microsecond=999999)
    return parsed
