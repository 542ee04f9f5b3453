"""Filter shapes -> filter trees (no database)."""

from __future__ import annotations

import pytest

from docframe import errors
from docframe.query.filters import Filter, FilterGroup, parse_filters


def test_every_flat_shape() -> None:
    assert parse_filters({"status": "Open"}).items == (Filter("status", "=", "Open"),)
    assert parse_filters({"qty": [">", 1]}).items == (Filter("qty", ">", 1),)
    assert parse_filters([["status", "Open"]]).items == (Filter("status", "=", "Open"),)
    assert parse_filters([["qty", "<>", 1]]).items == (Filter("qty", "!=", 1),)
    assert parse_filters([["ToDo", "qty", "=<", 1, "ignored"]]).items == (Filter("qty", "<=", 1, "ToDo"),)
    assert parse_filters(["status", "=", "Open"]).items == (Filter("status", "=", "Open"),)
    assert parse_filters('{"status": "Open"}').items == (Filter("status", "=", "Open"),)
    assert parse_filters("TODO-1").items == (Filter("name", "=", "TODO-1"),)
    assert parse_filters(["A", "B"]).items == (Filter("name", "in", ["A", "B"]),)
    assert parse_filters([["status", "NOT  LIKE", "x%"]]).items == (Filter("status", "not like", "x%"),)
    assert parse_filters(None) == FilterGroup("and") == parse_filters("") == parse_filters({})


def test_or_filters_combine_with_or() -> None:
    group = parse_filters({"a": 1, "b": 2}, combine="or")
    assert group.combine == "or" and len(group.items) == 2


def test_nested_groups_combine_left_to_right() -> None:
    f1, f2, f3 = ["a", "=", 1], ["b", "=", 2], ["c", "=", 3]
    group = parse_filters([f1, "or", f2, "and", f3], nested=True)
    (node,) = group.items
    assert node == FilterGroup(
        "and", (FilterGroup("or", (Filter("a", "=", 1), Filter("b", "=", 2))), Filter("c", "=", 3))
    )
    inner = parse_filters([[f1, "OR", f2], f3], nested=True)
    assert inner.items[0] == FilterGroup("or", (Filter("a", "=", 1), Filter("b", "=", 2)))
    assert inner.items[1] == Filter("c", "=", 3)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([["a", "=", 1], "xor", ["b", "=", 2]], "Expected 'and' or 'or' operator, found: xor"),
        ([["a", "=", 1], "or"], "Filter condition missing after operator: or"),
    ],
)
def test_malformed_nested_groups(raw: object, message: str) -> None:
    with pytest.raises(errors.ValidationError, match=message):
        parse_filters(raw, nested=True)


def test_nesting_depth_is_limited() -> None:
    deep: object = ["a", "=", 1]
    for _ in range(40):
        deep = [deep, "or", ["b", "=", 2]]
    with pytest.raises(errors.ValidationError, match="nested too deeply"):
        parse_filters(deep, nested=True)


@pytest.mark.parametrize(
    "raw",
    [
        [["a", "===", 1]],
        {"a": ["in"]},
        {"a": {"b": 1}},
        [["a"]],
        [[1, "=", 2]],
        "[not json",
        True,
        [["a", "=", 1], "or"],
    ],
)
def test_malformed_filters_are_data_errors(raw: object) -> None:
    with pytest.raises(errors.DataError):
        parse_filters(raw)
