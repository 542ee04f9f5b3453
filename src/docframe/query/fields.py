"""Fields: the ``fields`` of a list request -> typed select items.

Accepted, as strings: ``*``, a reference (see :mod:`docframe.query.scope`), ``ref as alias``, and the
aggregates ``count``, ``sum``, ``avg``, ``min``, ``max`` over a reference (``count(*)`` and
``count(distinct ref)`` too), optionally aliased. As dicts (Frappe's query-builder syntax):
``{"COUNT": "*"}``, ``{"SUM": "amount", "as": "total"}``, and ``{"<table field>": ["f1", "f2"]}``,
which returns that table's rows inside every result row. Anything else is Frappe's 417
"Field not permitted in query". Fields the user may not read (by ``permlevel``) are dropped silently,
and so is a ``{table: [...]}`` whose Table field the user may not read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import distinct, func
from sqlalchemy.sql import ColumnElement

from docframe import errors
from docframe.meta.fieldtypes import FLOAT_TYPES, INT_TYPES
from docframe.query.filters import brief
from docframe.query.scope import SELECT, ColumnRef, Scope, not_permitted

__all__ = [
    "AGGREGATES",
    "ChildSpec",
    "SelectItem",
    "Selection",
    "parse_aggregate",
    "parse_fields",
    "split_top",
]

AGGREGATES: dict[str, Callable[[Any], ColumnElement[Any]]] = {
    "count": func.count,
    "sum": func.sum,
    "avg": func.avg,
    "min": func.min,
    "max": func.max,
}
_NUMERIC_ONLY = frozenset({"sum", "avg"})
_AGG = re.compile(
    r"^(?P<fn>count|sum|avg|min|max)\s*\(\s*(?P<distinct>distinct\s+)?(?P<arg>[^()]+?)\s*\)"
    r"(?:\s+as\s+(?P<alias>.+))?$",
    re.IGNORECASE | re.DOTALL,
)
_ALIASED = re.compile(r"^(?P<ref>.+?)\s+as\s+(?P<alias>.+)$", re.IGNORECASE | re.DOTALL)
_ALIAS_NAME = re.compile(r"^\w[\w ]{0,63}$")
MAX_FIELDS = 200


@dataclass(frozen=True, slots=True)
class SelectItem:
    """One selected expression and the key it has in the result."""

    label: str
    expr: Any
    aggregate: bool = False
    key: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """Child rows to attach to every result row: ``{fieldname: [fields]}``."""

    fieldname: str
    doctype: str
    fields: tuple[str, ...]


@dataclass
class Selection:
    """What a list selects."""

    items: list[SelectItem] = field(default_factory=list)
    children: list[ChildSpec] = field(default_factory=list)

    @property
    def aggregate(self) -> bool:
        """Whether any item is an aggregate."""
        return any(i.aggregate for i in self.items)

    def by_label(self, label: str) -> SelectItem | None:
        """The item whose result key is ``label``."""
        for item in self.items:
            if item.label == label:
                return item
        return None


def split_top(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _alias(raw: str, ref: str) -> str:
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "`'\"":
        text = text[1:-1]
    if not _ALIAS_NAME.match(text):
        raise not_permitted(ref)
    return text


def _aggregate_expr(
    scope: Scope, fn: str, arg: str, is_distinct: bool, text: str, use: str = SELECT
) -> ColumnElement[Any] | None:
    if arg == "*":
        if fn != "count" or is_distinct:
            raise not_permitted(text)
        return func.count()
    ref = scope.field(arg, use)
    if ref is None:
        return None
    if fn in _NUMERIC_ONLY and ref.kind not in INT_TYPES | FLOAT_TYPES:
        raise errors.DataError(f"Cannot use {fn}() on {ref.label}: it is not a number", title="Invalid Field")
    target: Any = distinct(ref.expr) if is_distinct else ref.expr
    return AGGREGATES[fn](target)


def parse_aggregate(scope: Scope, text: str, use: str = SELECT) -> SelectItem | bool | None:
    """An aggregate written as a string; False when ``text`` is not one, None when it is dropped
    (``use`` says how the aggregate is used: see :meth:`Scope.field`)."""
    found = _AGG.match(text)
    if not found:
        return False
    fn = found.group("fn").lower()
    arg = found.group("arg").strip()
    expr = _aggregate_expr(scope, fn, arg, bool(found.group("distinct")), text, use)
    if expr is None:
        return None
    label = _alias(found.group("alias"), text) if found.group("alias") else " ".join(text.split())
    return SelectItem(label, expr, aggregate=True)


def _column(ref: ColumnRef, label: str | None = None) -> SelectItem:
    return SelectItem(label or ref.name, ref.expr, key=ref.key)


def _star(scope: Scope) -> list[SelectItem]:
    out = []
    for name in scope.meta.valid_columns:
        ref = scope.field(name)
        if ref is not None:
            out.append(_column(ref))
    return out


def _from_string(scope: Scope, part: str) -> list[SelectItem]:
    if len(part) > 300:
        raise not_permitted(part[:140])
    if part == "*":
        return _star(scope)
    aggregate = parse_aggregate(scope, part)
    if aggregate is not False:
        return [aggregate] if isinstance(aggregate, SelectItem) else []
    aliased = _ALIASED.match(part)
    ref_text, label = (
        (aliased.group("ref"), _alias(aliased.group("alias"), part)) if aliased else (part, None)
    )
    ref = scope.field(ref_text)
    if ref is None:
        return []
    return [_column(ref, label)]


def _child_spec(scope: Scope, fieldname: str, value: Any) -> ChildSpec | None:
    """``{table field: [fields]}``; None when the user may not read the table field (dropped)."""
    tf = scope.meta.get_field(fieldname)
    if tf is None or not tf.is_table:
        raise not_permitted(fieldname)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise errors.DataError(f"Child table fields for {fieldname} must be a list of field names")
    child = scope.meta_of(tf.options)
    names: list[str] = []
    for name in value:
        if name.strip() == "*":
            names.extend(child.valid_columns)
        elif name.strip() in child.all_columns:
            names.append(name.strip())
        else:
            raise not_permitted(f"{fieldname}.{name}")
    if not scope.opens(tf):
        return None
    readable = [n for n in dict.fromkeys(names) if scope.readable_in(child, n)]
    return ChildSpec(fieldname, child.name, tuple(readable))


def _from_dict(scope: Scope, spec: dict[str, Any], selection: Selection) -> None:
    alias = spec.get("as")
    functions = [k for k in spec if k != "as" and k.lower() in AGGREGATES]
    if len(functions) == 1 and len(spec) - (alias is not None) == 1:
        fn = functions[0].lower()
        arg = spec[functions[0]]
        if not isinstance(arg, str):
            raise not_permitted(brief(spec, 140))
        words = arg.strip().split(None, 1)
        is_distinct = len(words) == 2 and words[0].lower() == "distinct"
        target = words[1] if is_distinct else arg.strip()
        expr = _aggregate_expr(scope, fn, target, is_distinct, brief(spec, 140))
        if expr is not None:
            label = _alias(alias, str(spec)) if isinstance(alias, str) else f"{fn}({arg.strip()})"
            selection.items.append(SelectItem(label, expr, aggregate=True))
        return
    if len(spec) == 1 and alias is None:
        key, value = next(iter(spec.items()))
        child = _child_spec(scope, str(key), value)
        if child is not None:
            selection.children.append(child)
        return
    raise not_permitted(brief(spec, 140))


def parse_fields(scope: Scope, fields: tuple[Any, ...] | list[Any]) -> Selection:
    """Resolve every requested field (strings and dicts) into a :class:`Selection`."""
    selection = Selection()
    if len(fields) > MAX_FIELDS:
        raise errors.DataError(f"Too many fields: at most {MAX_FIELDS} are allowed")
    for raw in fields:
        if isinstance(raw, dict):
            _from_dict(scope, raw, selection)
        elif isinstance(raw, str) and raw.strip():
            for part in split_top(raw):
                selection.items.extend(_from_string(scope, part))
        elif raw is not None and raw != "":
            raise not_permitted(raw)
    return selection
