"""Coercion of client values into column values (``docframe.model.coerce``), without a database."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docframe import errors
from docframe.meta.schema import DocFieldDef
from docframe.model.coerce import coerce, parse_date, parse_datetime, parse_time


def f(fieldtype: str, **extra: Any) -> DocFieldDef:
    """A field labelled ``Target``."""
    return DocFieldDef(fieldname="target", fieldtype=fieldtype, label="Target", **extra)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 0), ("", 0), (True, 1), (False, 0), (1, 1), (0, 0), (2, 1), (0.0, 0), (0.4, 1), ("1", 1), ("0", 0),
     (" 1 ", 1), ("true", 1), ("TRUE", 1), ("yes", 1), ("false", 0), ("No", 0), ("0.0", 0), ("1,000", 1)],
)  # fmt: skip
def test_check(value: Any, expected: int) -> None:
    assert coerce(f("Check"), value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 0), ("", 0), (True, 1), (7, 7), (3.9, 3), (-3.9, -3), ("3.9", 3), ("-3.9", -3), ("1,234", 1234),
     (" 42 ", 42), ("99999999999999999999", 99999999999999999999), (10**30, 10**30), ("1e3", 1000)],
)  # fmt: skip
def test_int(value: Any, expected: int) -> None:
    result = coerce(f("Int"), value)
    assert result == expected and type(result) is int


@pytest.mark.parametrize(
    ("fieldtype", "value", "expected"),
    [("Float", "1,234.5", 1234.5), ("Float", None, 0.0), ("Currency", "", 0.0), ("Currency", 3, 3.0),
     ("Percent", "-12.5", -12.5), ("Duration", "90", 90.0), ("Rating", 5, 1.0), ("Rating", -1, 0.0),
     ("Rating", "0.6", 0.6), ("Float", True, 1.0), ("Float", 10**20, 1e20)],
)  # fmt: skip
def test_float_like(fieldtype: str, value: Any, expected: float) -> None:
    result = coerce(f(fieldtype), value)
    assert result == expected and type(result) is float


@pytest.mark.parametrize(
    ("fieldtype", "value", "kind"),
    [("Int", "abc", "a whole number"), ("Int", "1e400", "finite"), ("Int", float("nan"), "finite"),
     ("Int", float("inf"), "finite"), ("Int", [1], "a whole number"), ("Int", {"a": 1}, "a whole number"),
     ("Check", "maybe", "0 or 1"), ("Check", "inf", "finite"), ("Check", float("nan"), "finite"),
     ("Float", "NaN", "finite"), ("Float", "-Infinity", "finite"), ("Float", 10**400, "storable size"),
     ("Currency", "12abc", "a number"), ("Rating", {}, "a number")],
)  # fmt: skip
def test_unreadable_numbers_name_the_field(fieldtype: str, value: Any, kind: str) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        coerce(f(fieldtype), value)
    assert str(caught.value).startswith("Value for Target must be ") and kind in str(caught.value)
    assert caught.value.http_status == 417


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2024-01-05", date(2024, 1, 5)), ("2024-1-5", date(2024, 1, 5)), (" 2024-02-29 ", date(2024, 2, 29)),
     ("2024-02-29 10:00:00", date(2024, 2, 29)), ("2024-02-29T10:00", date(2024, 2, 29)),
     (datetime(2024, 3, 1, 8), date(2024, 3, 1)), (date(2024, 3, 2), date(2024, 3, 2)), ("", None), (None, None)],
)  # fmt: skip
def test_date(value: Any, expected: date | None) -> None:
    assert coerce(f("Date"), value) == expected


@pytest.mark.parametrize("value", ["2024-13-01", "2024-02-30", "0000-01-01", "10000-01-01", "2024/01/01", "\u0662\u0660\u0662\u0664-01-01",
                                   "today", "2024-01", 20240101, [2024, 1, 1]])  # fmt: skip
def test_bad_dates(value: Any) -> None:
    with pytest.raises(errors.ValidationError, match="must be a date"):
        coerce(f("Date"), value)


def test_datetime() -> None:
    field = f("Datetime")
    assert coerce(field, "2024-02-29 23:59:59.5") == datetime(2024, 2, 29, 23, 59, 59, 500000)
    assert coerce(field, "2024-02-29") == datetime(2024, 2, 29)
    assert coerce(field, "2024-02-29T08:30") == datetime(2024, 2, 29, 8, 30)
    assert coerce(field, date(2024, 1, 1)) == datetime(2024, 1, 1)
    assert coerce(field, "") is None


def test_datetime_with_an_offset_moves_to_the_site_zone() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")
    assert coerce(f("Datetime"), "2024-01-01T10:00:00Z", tz=kolkata) == datetime(2024, 1, 1, 15, 30)
    assert coerce(f("Datetime"), "2024-01-01 10:00:00+01:00", tz=UTC) == datetime(2024, 1, 1, 9, 0)
    assert parse_datetime("2024-06-01T00:00:00-04:00", ZoneInfo("Europe/Paris")) == datetime(2024, 6, 1, 6, 0)


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01 10:00", "2024-01-01 25:00", "0001-01-01T00:00:00+05:00",
                                   "\u0662\u0660\u0662\u0664-01-01 10:00", {"d": 1}, 1700000000])  # fmt: skip
def test_bad_datetimes(value: Any) -> None:
    with pytest.raises(errors.ValidationError, match="must be a date and time"):
        coerce(f("Datetime"), value, tz=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("9:05", time(9, 5)), ("09:05:07", time(9, 5, 7)), ("23:59:59.999999", time(23, 59, 59, 999999)),
     ("10:00:00.5", time(10, 0, 0, 500000)), ("10:00:00.1234567", time(10, 0, 0, 123456)),
     (timedelta(hours=9, minutes=5), time(9, 5)), (time(1, 2), time(1, 2)), ("", None), (None, None)],
)  # fmt: skip
def test_time(value: Any, expected: time | None) -> None:
    assert coerce(f("Time"), value) == expected


@pytest.mark.parametrize(
    "value", ["25:00", "10:61", "-5:00", "10", "1:2:3:4", "10:00 AM", "10:00:00.x", 3600, [9, 5]]
)
def test_bad_times(value: Any) -> None:
    with pytest.raises(errors.ValidationError, match="must be a time"):
        coerce(f("Time"), value)


def test_json() -> None:
    field = f("JSON")
    assert coerce(field, {"b": [1, 2], "a": None}) == '{"b":[1,2],"a":null}'
    assert coerce(field, '{"a": 1}') == '{"a": 1}'
    assert coerce(field, None) is None
    for bad in (5, True, [1, 2], {"big": 2**70}, "x\x00"):
        with pytest.raises(errors.ValidationError, match="Target"):
            coerce(field, bad)


@pytest.mark.parametrize(
    ("fieldtype", "value", "expected"),
    [("Data", "  kept  ", "  kept  "), ("Select", "  Open ", "Open"), ("Data", 5, "5"), ("Data", 2.5, "2.5"),
     ("Data", True, "1"), ("Small Text", "é", "é"), ("Link", 10**20, str(10**20)), ("Password", None, None)],
)  # fmt: skip
def test_text(fieldtype: str, value: Any, expected: str | None) -> None:
    assert coerce(f(fieldtype), value) == expected


@pytest.mark.parametrize("value", [{"a": 1}, [1], float("nan"), float("inf"), "a\x00b", "\ud800"])
def test_bad_text(value: Any) -> None:
    with pytest.raises(errors.ValidationError, match="Target"):
        coerce(f("Data"), value)


def test_parsers_reject_non_ascii_digits() -> None:
    for parse, text in (
        (parse_date, "\u0662\u0660\u0662\u0664-\u0661-\u0661"),
        (parse_time, "\u0661\u0660:\u0660\u0660"),
    ):
        with pytest.raises(ValueError):
            parse(text)


# -- property: any JSON value is either stored as the column's type or refused with a 417 -------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.dates().map(str)
    | st.datetimes().map(str)
    | st.times().map(str),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
COLUMN_TYPES: dict[str, tuple[type, ...]] = {
    "Check": (int,), "Int": (int,), "Float": (float,), "Currency": (float,), "Percent": (float,),
    "Duration": (float,), "Rating": (float,), "Date": (date,), "Datetime": (datetime,), "Time": (time,),
    "JSON": (str,), "Data": (str,), "Text": (str,), "Select": (str,), "Link": (str,), "Code": (str,),
}  # fmt: skip


@given(fieldtype=st.sampled_from(sorted(COLUMN_TYPES)), value=JSON_VALUES)
def test_any_json_value_is_coerced_or_refused(fieldtype: str, value: Any) -> None:
    try:
        result = coerce(f(fieldtype), value, tz=UTC)
    except errors.ValidationError as exc:
        assert exc.http_status == 417 and "Target" in str(exc)
        return
    if result is None:
        assert fieldtype in ("Date", "Datetime", "Time", "JSON", "Data", "Text", "Select", "Link", "Code")
        return
    assert isinstance(result, COLUMN_TYPES[fieldtype]) and not isinstance(result, bool)
    if isinstance(result, float):
        assert math.isfinite(result)
    if fieldtype == "Check":
        assert result in (0, 1)
    if fieldtype == "Rating":
        assert 0.0 <= result <= 1.0
    if isinstance(result, str):
        assert "\x00" not in result
