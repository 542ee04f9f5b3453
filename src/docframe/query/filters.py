"""Filters: every shape Frappe accepts -> a flat list of :class:`Filter` records.

Shapes: ``{field: value}``, ``{field: [op, value]}``, ``[[field, value]]``, ``[[field, op, value]]``,
``[[doctype, field, op, value]]`` (a fifth element is ignored), a single unwrapped
``[field, op, value]``, and JSON strings of any of these. Nothing here touches SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from docframe import errors

__all__ = ["OPERATORS", "Filter", "parse_filters"]

#: Operator names Frappe accepts (lower-case).
OPERATORS: frozenset[str] = frozenset(
    {"=", "!=", "<>", ">", "<", ">=", "<=", "=<", "=>", "like", "not like", "in", "not in", "is", "between",
     "timespan", "previous", "next", "descendants of", "not descendants of", "ancestors of",
     "not ancestors of", "descendants of (inclusive)"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Filter:
    """One condition: ``field op value`` on ``doctype`` (None = the queried DocType)."""

    field: str
    operator: str
    value: Any
    doctype: str | None = None


def _decode(value: Any, what: str) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            raise errors.DataError(f"{what} must be JSON (a list or an object), got {text[:60]!r}") from None
    return value


def _operator(raw: Any) -> str:
    if not isinstance(raw, str):
        raise errors.DataError(f"Operator must be a string, got {raw!r}")
    op = " ".join(raw.strip().lower().split())
    if op not in OPERATORS:
        raise errors.DataError(f"Operator must be one of {', '.join(sorted(OPERATORS))}")
    return {"<>": "!=", "=<": "<=", "=>": ">="}.get(op, op)


def _field_name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise errors.DataError(f"Invalid field name {raw!r} in filters")
    return raw.strip()


def _from_item(item: Any) -> Filter:
    if isinstance(item, dict):
        raise errors.DataError("A filter inside a list must be a list like [field, operator, value]")
    if not isinstance(item, list | tuple):
        raise errors.DataError(f"Invalid filter {item!r}: expected [field, operator, value]")
    size = len(item)
    if size == 2:
        return Filter(_field_name(item[0]), "=", item[1])
    if size == 3:
        return Filter(_field_name(item[0]), _operator(item[1]), item[2])
    if size in (4, 5):
        doctype = item[0] if isinstance(item[0], str) and item[0] else None
        return Filter(_field_name(item[1]), _operator(item[2]), item[3], doctype)
    raise errors.DataError(f"Invalid filter {item!r}: expected [field, operator, value]")


def parse_filters(raw: Any, what: str = "filters") -> list[Filter]:
    """Flatten any Frappe filter shape into :class:`Filter` records (raises DataError on bad input)."""
    value = _decode(raw, what)
    if value in (None, "", [], {}):
        return []
    if isinstance(value, dict):
        out = []
        for key, cond in value.items():
            field = _field_name(key)
            if (
                isinstance(cond, list | tuple)
                and len(cond) == 2
                and isinstance(cond[0], str)
                and cond[0].strip().lower() in OPERATORS
            ):
                out.append(Filter(field, _operator(cond[0]), cond[1]))
            elif isinstance(cond, list | tuple):
                raise errors.DataError(f"Invalid condition for {field}: use [operator, value]")
            else:
                out.append(Filter(field, "=", cond))
        return out
    if isinstance(value, list):
        if (
            len(value) == 3
            and all(not isinstance(v, list | tuple | dict) for v in value[:2])
            and isinstance(value[1], str)
            and value[1].strip().lower() in OPERATORS
            and isinstance(value[0], str)
        ):
            return [_from_item(value)]
        return [_from_item(item) for item in value]
    raise errors.DataError(f"{what} must be a list or an object")
