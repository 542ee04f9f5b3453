"""Operators: a filter operator name -> a SQLAlchemy condition on one column.

Values are converted to the column's Python type first (dates to ``date``, numbers to numbers), so a
bad value is a clear 417 instead of a database error. Two NULL modes:

* ``v1`` — Frappe's ``DatabaseQuery``: a NULL behaves like the type's empty value (``''``, ``0``,
  ``0001-01-01``), so ``!=`` and ``not in`` include NULL rows and ``= ''`` matches NULL. Frappe writes
  ``ifnull(column, empty) op value``; here the same truth table is written as ``column op value OR
  column IS NULL`` (only when ``empty op value`` holds), which keeps indexes usable.
* ``v2`` — the query-builder engine: plain SQL semantics (``!=`` and ``not in`` exclude NULL rows).
"""

from __future__ import annotations

import math
import operator as pyop
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import BigInteger, Float, String, and_, cast, false, literal, or_, true
from sqlalchemy.sql import ColumnElement

from docframe import errors
from docframe.meta.fieldtypes import FLOAT_TYPES, INT_TYPES
from docframe.model.coerce import parse_date, parse_datetime, parse_time
from docframe.query.filters import brief

__all__ = ["MAX_IN_VALUES", "OPERATOR_TABLE", "Operand", "condition", "convert_value", "empty_value"]

#: Most values an ``in`` / ``not in`` list may carry.
MAX_IN_VALUES = 5000
_INT_LIMIT = 2**63 - 1
_NUMERIC = INT_TYPES | FLOAT_TYPES
_DATES = frozenset({"Date", "Datetime", "Time"})
_TRUE_WORDS = {"true": 1, "yes": 1, "false": 0, "no": 0}
_EMPTY: dict[str, Any] = {"Date": date(1, 1, 1), "Datetime": datetime(1, 1, 1), "Time": time(0)}


def empty_value(kind: str) -> Any:
    """What Frappe's ``ifnull`` substitutes for NULL in a ``kind`` column."""
    if kind in _NUMERIC:
        return 0
    return _EMPTY.get(kind, "")


def _check_text(value: str, label: str) -> str:
    if "\x00" in value:
        raise errors.DataError(f"Invalid value for {label}: NUL characters are not allowed")
    return value


def _number(kind: str, value: Any) -> int | float:
    if isinstance(value, str):
        word = value.strip().lower()
        value = _TRUE_WORDS.get(word, word) if kind == "Check" else word
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    if kind in INT_TYPES:
        whole = value if isinstance(value, int) else int(number)
        if abs(whole) > _INT_LIMIT:
            raise ValueError(value)
        return whole
    return number


def _temporal(kind: str, value: Any) -> Any:
    if kind == "Date":
        if isinstance(value, datetime):
            return value.date()
        return value if isinstance(value, date) else parse_date(str(value))
    if kind == "Datetime":
        if isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime.combine(value, time())
        return parse_datetime(str(value))
    return value if isinstance(value, time) else parse_time(str(value))


def convert_value(kind: str, value: Any, label: str) -> Any:
    """``value`` as the Python type of a ``kind`` column (None stays None); DataError when it cannot be."""
    if value is None:
        return None
    if isinstance(value, dict | list | tuple | set):
        raise errors.DataError(f"Invalid value for {label}: expected a single value")
    if isinstance(value, bool):
        value = int(value)
    try:
        if kind in _NUMERIC:
            return _number(kind, value)
        if kind in _DATES:
            return _temporal(kind, value)
    except (TypeError, ValueError, OverflowError):
        raise errors.DataError(f"Invalid value {brief(value, 60)!r} for {label}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise errors.DataError(f"Invalid value {brief(value, 60)!r} for {label}")
    text = value if isinstance(value, str) else str(value)
    return _check_text(text, label)


@dataclass(frozen=True, slots=True)
class Operand:
    """The column side of a condition, with what the operator functions need to know about it."""

    column: ColumnElement[Any]
    kind: str
    label: str
    mode: str = "v2"
    backend: str = "sqlite"
    nullable: bool = True

    @property
    def text(self) -> bool:
        """Whether the column holds text (compared as strings, ``''`` is its empty value)."""
        return self.kind not in _NUMERIC and self.kind not in _DATES

    @property
    def v1(self) -> bool:
        """Whether NULL must behave like the empty value (v1 mode on a nullable column)."""
        return self.mode == "v1" and self.nullable

    @property
    def empty(self) -> Any:
        """The empty value of the column's type."""
        return empty_value(self.kind)

    def convert(self, value: Any) -> Any:
        """``value`` converted for this column."""
        return convert_value(self.kind, value, self.label)

    def bind(self, value: Any) -> Any:
        """``value`` as a bound parameter; numbers bind as 64-bit integers or doubles, so a value
        outside a small column's range compares (and matches nothing) instead of overflowing the cast
        PostgreSQL puts on the parameter."""
        if self.kind in INT_TYPES and isinstance(value, int):
            return literal(value, BigInteger())
        if self.kind in FLOAT_TYPES and isinstance(value, int | float):
            return literal(float(value), Float())
        return value


def _or_null(c: Operand, clause: ColumnElement[bool], empty_matches: bool) -> ColumnElement[bool]:
    """v1: add the NULL rows when the empty value satisfies the condition."""
    if c.v1 and empty_matches:
        return or_(clause, c.column.is_(None))
    return clause


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": pyop.eq, "!=": pyop.ne, ">": pyop.gt, "<": pyop.lt, ">=": pyop.ge, "<=": pyop.le,
}  # fmt: skip


def _none_compare(c: Operand, op: str) -> ColumnElement[bool]:
    """v2 comparisons with None: ``= None`` is IS NULL, ``!= None`` is "not the empty value"."""
    if op == "=":
        return c.column.is_(None)
    if op == "!=":
        return and_(c.column.is_not(None), c.column != c.empty)
    return false()


def _compare(c: Operand, op: str, value: Any) -> ColumnElement[bool]:
    if isinstance(value, list | tuple | dict):
        raise errors.DataError(f"Operator {op} needs a single value for {c.label}")
    if value == "" and not c.text:
        value = None
    if value is None:
        if c.mode == "v2":
            return _none_compare(c, op)
        value = c.empty
    converted = c.convert(value)
    clause = _COMPARE[op](c.column, c.bind(converted))
    try:
        empty_matches = bool(_COMPARE[op](c.empty, converted))
    except TypeError:
        empty_matches = False
    return _or_null(c, clause, empty_matches)


def _like_target(c: Operand) -> Any:
    return c.column if c.text else cast(c.column, String)


def _like(c: Operand, op: str, value: Any) -> ColumnElement[bool]:
    if isinstance(value, list | tuple | dict):
        raise errors.DataError(f"Operator {op} needs a pattern for {c.label}")
    pattern = _check_text("" if value is None else str(value), c.label)
    escaped = pattern.replace("\\", "\\\\")
    target = _like_target(c)
    if c.backend == "postgresql":
        clause = target.ilike(escaped, escape="\\")
    else:
        clause = target.like(escaped, escape="\\")
    empty_matches = pattern.replace("%", "") == ""
    if op == "like":
        return _or_null(c, clause, c.text and empty_matches)
    return _or_null(c, ~clause, c.text and not empty_matches)


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = [v.strip() for v in value.split(",")]
    elif isinstance(value, list | tuple | set):
        items = list(value)
    else:
        items = [value]
    if len(items) > MAX_IN_VALUES:
        raise errors.DataError(f"Too many values: at most {MAX_IN_VALUES} are allowed in one 'in' filter")
    return items


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _empty_match(c: Operand) -> ColumnElement[bool]:
    return or_(c.column.is_(None), c.column == c.empty)


def _not_empty(c: Operand) -> ColumnElement[bool]:
    return and_(c.column.is_not(None), c.column != c.empty)


def _in(c: Operand, op: str, value: Any) -> ColumnElement[bool]:
    items = _values(value)
    if c.mode == "v2":
        plain = [c.bind(c.convert(v)) for v in items if v is not None and (c.text or not _blank(v))]
        if op == "in":
            return c.column.in_(plain) if plain else false()
        return c.column.not_in(plain) if plain else true()
    real = [c.bind(c.convert(v.strip() if isinstance(v, str) else v)) for v in items if not _blank(v)]
    blanks = len(real) < len(items)
    wants_empty = blanks or not items
    if op == "in":
        found = c.column.in_(real) if real else false()
        return or_(found, _empty_match(c)) if wants_empty else found
    kept = c.column.not_in(real) if real else true()
    if wants_empty:
        return and_(kept, _not_empty(c))
    return _or_null(c, kept, True)


def _is(c: Operand, op: str, value: Any) -> ColumnElement[bool]:
    word = " ".join(str(value).strip().lower().split()) if isinstance(value, str) else None
    if word not in ("set", "not set"):
        raise errors.DataError(
            f"Value for operator 'is' must be 'set' or 'not set', got {brief(value, 40)!r}"
        )
    if c.kind in _DATES:
        return c.column.is_not(None) if word == "set" else c.column.is_(None)
    return _not_empty(c) if word == "set" else _empty_match(c)


def _bounds(value: Any, label: str) -> list[Any]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")] if "," in value else [value]
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= 2:
        raise errors.DataError(f"Operator between needs [from, to] for {label}")
    return list(value)


def _date_bound(c: Operand, raw: Any, today: date, *, start: bool) -> Any:
    if raw is None or raw == "":
        raw = today
    parsed = c.convert(raw)
    if (
        c.kind == "Datetime"
        and not isinstance(raw, datetime)
        and (isinstance(raw, date) or (isinstance(raw, str) and len(raw.strip()) <= 10))
    ):
        return parsed if start else parsed + timedelta(days=1) - timedelta(microseconds=1)
    return parsed


def between(c: Operand, value: Any, today: date) -> ColumnElement[bool]:
    """``column between from and to``; missing date bounds are today, date-only bounds cover whole days."""
    bounds = _bounds(value, c.label)
    if c.kind in ("Date", "Datetime"):
        low = _date_bound(c, bounds[0], today, start=True)
        high = _date_bound(c, bounds[1] if len(bounds) > 1 else None, today, start=False)
        return c.column.between(low, high)
    if len(bounds) != 2 or any(b is None or b == "" for b in bounds):
        raise errors.DataError(f"Operator between needs [from, to] for {c.label}")
    return c.column.between(c.bind(c.convert(bounds[0])), c.bind(c.convert(bounds[1])))


def _between(c: Operand, op: str, value: Any) -> ColumnElement[bool]:
    return between(c, value, date.today())


OperatorFn = Callable[[Operand, str, Any], ColumnElement[bool]]
#: Operator name -> clause factory (``timespan``, ``previous``, ``next`` and the tree operators
#: need the site's date or other tables and are handled by the builder).
OPERATOR_TABLE: dict[str, OperatorFn] = {
    "=": _compare, "!=": _compare, ">": _compare, "<": _compare, ">=": _compare, "<=": _compare,
    "like": _like, "not like": _like, "in": _in, "not in": _in, "is": _is, "between": _between,
}  # fmt: skip


def condition(operand: Operand, op: str, value: Any) -> ColumnElement[bool]:
    """The SQL condition ``operand op value``."""
    factory = OPERATOR_TABLE.get(op)
    if factory is None:
        raise errors.DataError(f"Operator {op} is not supported on {operand.label}")
    return factory(operand, op, value)
