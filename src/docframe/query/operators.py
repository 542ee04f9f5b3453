"""Operators: a filter operator name -> a SQLAlchemy condition on one column.

Values are converted to the column's Python type first (dates to ``date``, numbers to numbers), so
a bad value is a clear 417 instead of a database error. Two NULL modes: ``v1`` (Frappe's
``ifnull`` semantics: ``!=`` and ``not in`` include NULL rows, ``= ''`` matches NULL) and ``v2``
(plain SQL semantics), written without wrapping the column so indexes stay usable.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import String, and_, cast, false, or_, true
from sqlalchemy.sql import ColumnElement

from docframe import errors
from docframe.meta.fieldtypes import FLOAT_TYPES, INT_TYPES
from docframe.meta.schema import DocFieldDef
from docframe.model.coerce import parse_date, parse_datetime, parse_time

__all__ = ["condition", "convert_value"]

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
    name = column.name
    kind = _kind(field, name)
    label = field.display_label if field else name
    nullable = (
        name not in ("name", "creation", "modified", "docstatus", "idx")
        and kind not in INT_TYPES | FLOAT_TYPES
    )
    v1 = null_mode == "v1" and nullable

    if op in ("=", "!=", ">", "<", ">=", "<="):
        if isinstance(value, list | tuple | dict):
            raise errors.DataError(f"Operator {op} needs a single value for {label}")
        if value is None or (value == "" and not _is_text(kind)):
            if op == "=":
                return column.is_(None)
            if op == "!=":
                return column.is_not(None)
            value = _empty(kind) if _is_text(kind) else None
            if value is None:
                return false()
        converted = convert_value(kind, value, label)
        if op == "=":
            clause = column == converted
            return or_(clause, column.is_(None)) if v1 and converted == "" else clause
        if op == "!=":
            clause = column != converted
            if v1 and converted != "":
                return or_(clause, column.is_(None))
            return and_(clause, column.is_not(None)) if v1 else clause
        ops = {">": column.__gt__, "<": column.__lt__, ">=": column.__ge__, "<=": column.__le__}
        clause = ops[op](converted)
        if v1 and op in ("<", "<=") and _is_text(kind) and converted > "":
            return or_(clause, column.is_(None))
        return clause
    if op in ("like", "not like"):
        pattern = "" if value is None else str(value)
        target = column if _is_text(kind) else cast(column, String)
        clause = target.ilike(pattern) if backend == "postgresql" else target.like(pattern)
        if op == "like":
            return clause
        return or_(~clause, column.is_(None)) if v1 else ~clause
    if op in ("in", "not in"):
        items = _values(value)
        has_empty = any(v in (None, "") for v in items)
        real = [convert_value(kind, v, label) for v in items if v not in (None, "")]
        if op == "in":
            parts: list[ColumnElement[bool]] = [column.in_(real)] if real else []
            if has_empty or (not items and null_mode == "v1"):
                parts += [column.is_(None)] + ([column == ""] if _is_text(kind) else [])
            return or_(*parts) if parts else false()
        clause = column.not_in(real) if real else true()
        if has_empty or (not items and null_mode == "v1"):
            clause = and_(clause, column.is_not(None), *([column != ""] if _is_text(kind) else []))
        elif v1:
            clause = or_(clause, column.is_(None))
        return clause
    if op == "is":
        word = str(value).strip().lower() if value is not None else ""
        if word == "set":
            return and_(column.is_not(None), column != "") if _is_text(kind) else column.is_not(None)
        if word == "not set":
            return or_(column.is_(None), column == "") if _is_text(kind) else column.is_(None)
        raise errors.DataError(f"Value for operator 'is' must be 'set' or 'not set', got {value!r}")
    if op == "between":
        bounds = _values(value) if not isinstance(value, list | tuple) else list(value)
        if len(bounds) != 2:
            raise errors.DataError(f"Operator between needs [from, to] for {label}")
        low, high = (convert_value(kind, b, label) for b in bounds)
        if kind == "Datetime":
            low = _day_edge(bounds[0], low, start=True)
            high = _day_edge(bounds[1], high, start=False)
        return column.between(low, high)
    raise errors.DataError(f"Operator {op} is not supported on {label}")


def _day_edge(raw: Any, parsed: Any, *, start: bool) -> Any:
    if isinstance(raw, str) and len(raw.strip()) <= 10 and isinstance(parsed, datetime):
        return parsed if start else parsed.replace(hour=23, minute=59, second=59, microsecond=999999)
    return parsed
