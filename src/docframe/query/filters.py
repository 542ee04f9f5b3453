"""Filters: every shape Frappe accepts -> a tree of :class:`Filter` leaves and :class:`FilterGroup` nodes.

Shapes: ``{field: value}``, ``{field: [op, value]}``, ``[[field, value]]``, ``[[field, op, value]]``,
``[[doctype, field, op, value]]`` (a fifth element is ignored), a single unwrapped
``[field, op, value]``, a scalar (``name = value``), a list of scalars (``name in [...]``), and JSON
strings of any of these. With ``nested=True`` (v2) a list may also be a boolean group
``[[f1], "or", [f2], "and", [f3]]``, combined strictly left to right. Nothing here touches SQL.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from typing import Any

import orjson

from docframe import errors

__all__ = [
    "MAX_INPUT_DEPTH",
    "OPERATORS",
    "Filter",
    "FilterGroup",
    "Node",
    "brief",
    "check_depth",
    "decode",
    "normalise_operator",
    "parse_filters",
]

#: Operator names Frappe accepts (lower-case, single spaces).
OPERATORS: frozenset[str] = frozenset(
    {"=", "!=", "<>", ">", "<", ">=", "<=", "=<", "=>", "like", "not like", "in", "not in", "is", "between",
     "timespan", "previous", "next", "descendants of", "not descendants of", "ancestors of",
     "not ancestors of", "descendants of (inclusive)"}
)  # fmt: skip
_SYNONYMS = {"<>": "!=", "=<": "<=", "=>": ">="}
_CONNECTORS = frozenset({"and", "or"})
#: Deepest nesting of filter groups accepted (deeper input is a 417, never a recursion error).
MAX_DEPTH = 16
#: Deepest nesting of lists and objects accepted in any query parameter (checked without recursion).
MAX_INPUT_DEPTH = 40
_BRIEF = reprlib.Repr()
_BRIEF.maxlevel, _BRIEF.maxlist, _BRIEF.maxdict, _BRIEF.maxtuple = 3, 4, 4, 4
_BRIEF.maxstring, _BRIEF.maxother = 80, 80


def brief(value: Any, limit: int = 80) -> str:
    """A short text of ``value`` for an error message (bounded in depth and size, never recursive)."""
    text = value if isinstance(value, str) else _BRIEF.repr(value)
    return text[:limit]


def check_depth(value: Any, what: str = "filters") -> None:
    """A 417 when ``value`` nests lists and objects deeper than :data:`MAX_INPUT_DEPTH`."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list | tuple):
            if depth > MAX_INPUT_DEPTH:
                raise errors.DataError(f"{what} are nested too deeply (at most {MAX_INPUT_DEPTH} levels)")
            stack.extend((child, depth + 1) for child in item if isinstance(child, list | tuple | dict))


@dataclass(frozen=True, slots=True)
class Filter:
    """One condition: ``field op value`` on ``doctype`` (None = the queried DocType)."""

    field: str
    operator: str
    value: Any
    doctype: str | None = None


@dataclass(frozen=True, slots=True)
class FilterGroup:
    """Conditions combined with ``and`` or ``or`` (an empty group is no condition)."""

    combine: str
    items: tuple[Node, ...] = ()


Node = Filter | FilterGroup


def decode(value: Any, what: str = "filters") -> Any:
    """A filters value, JSON-decoded when it is a JSON string (other strings stay as they are)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        if text[:1] in "[{":
            raise errors.DataError(f"{what} must be JSON (a list or an object), got {text[:60]!r}") from None
        return text


def normalise_operator(raw: Any) -> str:
    """The canonical operator name (``<>`` -> ``!=``); DataError for anything Frappe refuses."""
    if not isinstance(raw, str):
        raise errors.DataError(f"Operator must be one of {', '.join(sorted(OPERATORS))}")
    op = " ".join(raw.strip().lower().split())
    if op not in OPERATORS:
        raise errors.DataError(f"Operator must be one of {', '.join(sorted(OPERATORS))}")
    return _SYNONYMS.get(op, op)


def _is_operator(raw: Any) -> bool:
    return isinstance(raw, str) and " ".join(raw.strip().lower().split()) in OPERATORS


def _field_name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 200:
        raise errors.DataError(f"Invalid field name {brief(raw, 80)!r} in filters")
    return raw.strip()


def _doctype_name(raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > 200:
        raise errors.DataError(f"Invalid DocType {brief(raw, 80)!r} in filters")
    return raw.strip()


def _from_item(item: Any) -> Filter:
    """One list-shaped filter: 2, 3, 4 or 5 elements."""
    size = len(item)
    if size == 2:
        return Filter(_field_name(item[0]), "=", item[1])
    if size == 3:
        return Filter(_field_name(item[0]), normalise_operator(item[1]), item[2])
    if size in (4, 5):
        return Filter(_field_name(item[1]), normalise_operator(item[2]), item[3], _doctype_name(item[0]))
    raise errors.DataError(f"Invalid filter {brief(item, 80)}: expected [field, operator, value]")


def _from_dict(value: dict[Any, Any]) -> list[Node]:
    out: list[Node] = []
    for key, cond in value.items():
        field = _field_name(key)
        if isinstance(cond, list | tuple):
            if len(cond) != 2 or not _is_operator(cond[0]):
                raise errors.DataError(
                    f"Invalid condition for {field}: use [operator, value]; "
                    f"Operator must be one of {', '.join(sorted(OPERATORS))}"
                )
            out.append(Filter(field, normalise_operator(cond[0]), cond[1]))
        elif isinstance(cond, dict):
            raise errors.DataError(f"Invalid condition for {field}: use a value or [operator, value]")
        else:
            out.append(Filter(field, "=", cond))
    return out


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, list | tuple | dict)


def _looks_like_group(value: list[Any] | tuple[Any, ...]) -> bool:
    return len(value) >= 2 and isinstance(value[0], list | tuple) and isinstance(value[1], str)


def _group(value: list[Any] | tuple[Any, ...], depth: int) -> Node:
    """``[a, "or", b, "and", c]`` -> ``((a or b) and c)``."""
    acc = _node(value[0], depth + 1)
    position = 1
    while position < len(value):
        connector = value[position]
        word = connector.strip().lower() if isinstance(connector, str) else None
        if word not in _CONNECTORS:
            raise errors.ValidationError(
                f"Error parsing nested filters: Expected 'and' or 'or' operator, found: {brief(connector, 40)}"
            )
        if position + 1 >= len(value):
            raise errors.ValidationError(
                f"Error parsing nested filters: Filter condition missing after operator: {word}"
            )
        acc = FilterGroup(str(word), (acc, _node(value[position + 1], depth + 1)))
        position += 2
    return acc


def _node(value: Any, depth: int) -> Node:
    """One element of a nested (v2) filter: a filter, a group, or a list of filters (AND)."""
    if depth > MAX_DEPTH:
        raise errors.ValidationError("Error parsing nested filters: filters are nested too deeply")
    if isinstance(value, dict):
        return FilterGroup("and", tuple(_from_dict(value)))
    if not isinstance(value, list | tuple) or not value:
        raise errors.ValidationError(f"Error parsing nested filters: invalid condition {brief(value, 60)}")
    if _looks_like_group(value):
        return _group(value, depth)
    if isinstance(value[0], list | tuple | dict):
        return FilterGroup("and", tuple(_node(v, depth + 1) for v in value))
    return _from_item(value)


def _from_list(value: list[Any], nested: bool) -> list[Node]:
    if nested and _looks_like_group(value):
        return [_group(value, 0)]
    if len(value) == 3 and isinstance(value[0], str) and _is_operator(value[1]):
        return [_from_item(value)]
    if all(_is_scalar(v) for v in value):
        return [Filter("name", "in", list(value))]
    out: list[Node] = []
    for item in value:
        if isinstance(item, dict):
            out.extend(_from_dict(item))
        elif isinstance(item, list | tuple) and item:
            out.append(_node(item, 1) if nested else _from_item(item))
        else:
            raise errors.DataError(f"Invalid filter {brief(item, 80)}: expected [field, operator, value]")
    return out


def parse_filters(
    raw: Any, what: str = "filters", *, combine: str = "and", nested: bool = False
) -> FilterGroup:
    """Any Frappe filter shape -> a :class:`FilterGroup` (DataError / ValidationError on bad input)."""
    value = decode(raw, what)
    check_depth(value, what)
    if value is None or value == "" or value == [] or value == {}:
        return FilterGroup(combine)
    if isinstance(value, dict):
        return FilterGroup(combine, tuple(_from_dict(value)))
    if isinstance(value, list | tuple):
        return FilterGroup(combine, tuple(_from_list(list(value), nested)))
    if isinstance(value, bool):
        raise errors.DataError(f"{what} must be a list or an object")
    return FilterGroup(combine, (Filter("name", "=", value),))
