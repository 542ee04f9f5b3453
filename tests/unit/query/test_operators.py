"""Operator clauses compiled to SQL text (SQLite dialect), and value conversion."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Column, Date, DateTime, Integer, MetaData, String, Table
from sqlalchemy.dialects import postgresql, sqlite

from docframe import errors
from docframe.query.operators import Operand, between, condition, convert_value

TABLE = Table(
    "t", MetaData(), Column("s", String(140)), Column("n", Integer), Column("d", Date), Column("dt", DateTime)
)


def sql(clause: object, dialect: object = None) -> str:
    compiled = clause.compile(dialect=dialect or sqlite.dialect(), compile_kwargs={"literal_binds": True})  # type: ignore[attr-defined]
    return str(compiled)


def text(mode: str = "v1") -> Operand:
    return Operand(TABLE.c.s, "Data", "S", mode)


def test_v1_not_equal_includes_nulls_v2_does_not() -> None:
    assert sql(condition(text("v1"), "!=", "x")) == "t.s != 'x' OR t.s IS NULL"
    assert sql(condition(text("v2"), "!=", "x")) == "t.s != 'x'"
    assert sql(condition(text("v1"), "=", "")) == "t.s = '' OR t.s IS NULL"
    assert sql(condition(text("v2"), "=", None)) == "t.s IS NULL"


def test_in_lists_and_comma_strings() -> None:
    assert sql(condition(text("v2"), "in", "a, b")) == "t.s IN ('a', 'b')"
    assert sql(condition(text("v2"), "in", [])) == "0"  # false on SQLite
    assert sql(condition(text("v1"), "in", [])) == "t.s IS NULL OR t.s = ''"
    assert sql(condition(text("v1"), "not in", ["a"])) == "(t.s NOT IN ('a')) OR t.s IS NULL"


def test_like_escapes_backslashes_and_is_case_insensitive_on_postgres() -> None:
    assert sql(condition(text("v2"), "like", "a\\b%")) == "t.s LIKE 'a\\\\b%' ESCAPE '\\'"
    assert "ILIKE" in sql(
        condition(Operand(TABLE.c.s, "Data", "S", "v2", "postgresql"), "like", "a%"), postgresql.dialect()
    )


def test_is_set_and_not_set() -> None:
    assert sql(condition(text(), "is", "set")) == "t.s IS NOT NULL AND t.s != ''"
    assert sql(condition(Operand(TABLE.c.d, "Date", "D"), "is", "not set")) == "t.d IS NULL"
    with pytest.raises(errors.DataError):
        condition(text(), "is", "maybe")


def test_between_expands_dates_on_datetime_columns() -> None:
    clause = between(Operand(TABLE.c.dt, "Datetime", "DT"), ["2024-01-01", "2024-01-02"], date(2024, 5, 1))
    assert "2024-01-01 00:00:00" in sql(clause) and "2024-01-02 23:59:59.999999" in sql(clause)
    open_ended = between(Operand(TABLE.c.d, "Date", "D"), ["2024-01-01"], date(2024, 5, 1))
    assert sql(open_ended) == "t.d BETWEEN '2024-01-01' AND '2024-05-01'"


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [("Int", "12", 12), ("Check", "true", 1), ("Float", "1.5", 1.5), ("Date", "2024-02-03", date(2024, 2, 3)),
     ("Datetime", "2024-02-03", datetime(2024, 2, 3)), ("Data", 5, "5")],
)  # fmt: skip
def test_values_are_converted_by_field_type(kind: str, value: object, expected: object) -> None:
    assert convert_value(kind, value, "F") == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("Int", "abc"),
        ("Int", 2**70),
        ("Float", float("nan")),
        ("Date", "2024-13-01"),
        ("Data", "a\x00b"),
        ("Data", [1]),
    ],
)
def test_bad_values_are_data_errors(kind: str, value: object) -> None:
    with pytest.raises(errors.DataError):
        convert_value(kind, value, "F")
