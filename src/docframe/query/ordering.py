"""Ordering and grouping: ``order_by`` and ``group_by`` strings -> resolved expressions.

``order_by`` is a comma list of ``expr [asc|desc]`` where ``expr`` is a reference, a selected alias,
an aggregate (``count(name)``) or a 1-based column number. The default direction is ASC in v1 and
DESC in v2 (Frappe's query builder). ``group_by`` is a comma list of references or selected aliases.
Neither may add a child-table join (Frappe: "Please select atleast 1 column from ... to sort/group").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from docframe import errors
from docframe.query.fields import Selection, SelectItem, parse_aggregate, split_top
from docframe.query.scope import GROUP, ORDER, Scope

__all__ = ["OrderItem", "default_order", "parse_group_by", "parse_order_by"]

_DIRECTION = re.compile(r"^(?P<expr>.+?)(?:\s+(?P<dir>asc|desc))?$", re.IGNORECASE | re.DOTALL)
MAX_ITEMS = 20
_QUOTED = re.compile(r"`[^`]*`|\"[^\"]*\"")


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One ORDER BY term."""

    item: SelectItem
    descending: bool


def _invalid_order(text: str) -> errors.ValidationError:
    return errors.ValidationError(
        f"Invalid field format in Order By: {text[:80]}. Use 'field', 'link_field.field', or 'child_table.field'."
    )


def _term(scope: Scope, selection: Selection, text: str, use: str) -> SelectItem | None:
    """What one ORDER BY / GROUP BY expression names (None when it names an optional column the
    table lacks; a field the user may not read is a 403)."""
    if text.isascii() and text.isdigit():
        position = int(text)
        if not 1 <= position <= len(selection.items):
            raise _invalid_order(text)
        return selection.items[position - 1]
    chosen = selection.by_label(text.strip("`\"'"))
    if chosen is not None:
        return chosen
    aggregate = parse_aggregate(scope, text, use)
    if aggregate is not False:
        return aggregate if isinstance(aggregate, SelectItem) else None
    if any(ch.isspace() for ch in _QUOTED.sub("", text)):
        raise _invalid_order(text)
    ref = scope.field(text, use)
    if ref is None:
        return None
    return SelectItem(ref.name, ref.expr, key=ref.key)


def _parts(value: Any, what: str) -> list[str]:
    if not isinstance(value, str):
        raise errors.DataError(f"'{what}' must be a string")
    parts = split_top(value)
    if len(parts) > MAX_ITEMS:
        raise errors.DataError(f"Too many terms in {what}: at most {MAX_ITEMS}")
    return parts


def parse_order_by(scope: Scope, selection: Selection, order_by: Any, default_desc: bool) -> list[OrderItem]:
    """Resolve an explicit ``order_by``."""
    out: list[OrderItem] = []
    scope.allow_child_joins = False
    try:
        for part in _parts(order_by, "order_by"):
            found = _DIRECTION.match(part)
            if found is None:
                raise _invalid_order(part)
            item = _term(scope, selection, found.group("expr").strip(), ORDER)
            if item is None:
                continue
            direction = found.group("dir")
            out.append(OrderItem(item, direction.lower() == "desc" if direction else default_desc))
    finally:
        scope.allow_child_joins = True
    return out


def default_order(scope: Scope) -> list[OrderItem]:
    """The DocType's ``sort_field`` / ``sort_order`` (columns the table lacks, and columns the user
    may not read, are skipped: the order of rows must not tell an unreadable value)."""
    out = []
    for column, direction in scope.meta.default_sort:
        if column not in scope.meta.all_columns:
            continue
        ref = scope.field(column)
        if ref is not None:
            out.append(OrderItem(SelectItem(ref.name, ref.expr, key=ref.key), direction == "DESC"))
    return out


def parse_group_by(scope: Scope, selection: Selection, group_by: Any) -> list[SelectItem]:
    """Resolve ``group_by`` (aggregates are refused)."""
    if group_by is None or group_by == "":
        return []
    out: list[SelectItem] = []
    scope.allow_child_joins = False
    try:
        for part in _parts(group_by, "group_by"):
            item = _term(scope, selection, part, GROUP)
            if item is None:
                continue
            if item.aggregate:
                raise errors.DataError(f"Cannot group by an aggregate: {part[:80]}")
            out.append(item)
    finally:
        scope.allow_child_joins = True
    return out
