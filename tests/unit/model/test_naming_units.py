"""Naming pieces that need no database: hashes, UUIDv7, series and format rendering, name rules."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any

import pytest

from docframe import errors
from docframe.meta.schema import DocFieldDef, Meta
from docframe.model.document import Document
from docframe.model.naming import make_hash, render_format, render_series, uuid7, validate_name

TODAY = datetime(2025, 3, 7, 14, 5, 9)


def meta(autoname: str = "", *, name: str = "Sales Invoice", issingle: bool = False) -> Meta:
    """A DocType with ``title``, ``customer``, ``posting_date``, ``qty`` and ``extra`` fields."""
    fields = (
        DocFieldDef("title", "Data", "Title"),
        DocFieldDef("customer", "Data", "Customer"),
        DocFieldDef("posting_date", "Date", "Posting Date"),
        DocFieldDef("qty", "Int", "Qty"),
        DocFieldDef("extra", "JSON", "Extra"),
    )
    return Meta(name=name, autoname=autoname, fields=fields, issingle=issingle)


def doc(values: dict[str, Any] | None = None, **kwargs: Any) -> Document:
    """A document of :func:`meta` holding ``values``."""
    return Document(meta(**kwargs), values or {})


class Counter:
    """A stand-in number generator that records the prefixes it was asked for."""

    def __init__(self, start: int = 0) -> None:
        self.value = start
        self.prefixes: list[str] = []

    def __call__(self, prefix: str, width: int) -> str:
        self.value += 1
        self.prefixes.append(prefix)
        return str(self.value).zfill(width)


def test_hash_is_ten_base32hex_characters() -> None:
    names = {make_hash() for _ in range(500)}
    assert len(names) == 500
    assert all(re.fullmatch(r"[0-9a-v]{10}", n) for n in names)
    assert len(make_hash(6)) == 6


def test_uuid7_is_version_7_and_time_ordered() -> None:
    values = [uuid7() for _ in range(200)]
    assert all(uuid.UUID(v).version == 7 and uuid.UUID(v).variant == uuid.RFC_4122 for v in values)
    assert [v[:13] for v in values] == sorted(v[:13] for v in values)  # millisecond prefix never goes back


@pytest.mark.parametrize(
    ("series", "expected", "prefix"),
    [
        ("SINV-.YY.-.####", "SINV-25-0001", "SINV-25-"),
        ("SINV-.YYYY.-.MM.-.DD.-", "SINV-2025-03-07-00001", "SINV-2025-03-07-"),
        ("EV.#####", "EV00001", "EV"),
        ("ABC", "ABC00001", "ABC"),
        ("X-.WW.-.###", "X-10-001", "X-10-"),
        ("A..B.###.###", "AB001", "AB"),
        ("PRE-.####.-.YY", "PRE-0001-25", "PRE-"),
        ("C-.customer.-.{title}.-.###", "C-ACME-Hello-001", "C-ACME-Hello-"),
        ("Q-.qty.-.posting_date.-.#", "Q-3-2025-01-02-1", "Q-3-2025-01-02-"),
        ("N-.extra.-.unknown.-.#", "N--unknown-1", "N--unknown-"),
    ],
)
def test_render_series(series: str, expected: str, prefix: str) -> None:
    counter = Counter()
    values = {
        "customer": "ACME",
        "title": " Hello ",
        "qty": 3,
        "posting_date": date(2025, 1, 2),
        "extra": {"a": 1},
    }
    assert render_series(doc(values), series, TODAY, counter) == expected
    assert counter.prefixes == [prefix]


def test_render_series_uses_the_counter_value_and_widens() -> None:
    assert render_series(doc(), "INV-.##", TODAY, Counter(start=99)) == "INV-100"


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (date(2021, 1, 1), "00"),
        (date(2021, 1, 4), "01"),
        (date(2024, 12, 30), "53"),
        (date(2025, 6, 18), "25"),
    ],
)
def test_week_part(day: date, week: str) -> None:
    assert (
        render_series(doc(), "W.WW.#", datetime.combine(day, datetime.min.time()), Counter()) == f"W{week}1"
    )


def test_render_format() -> None:
    counter = Counter()
    values = {"customer": "ACME", "title": None}
    name = render_format(doc(values), "LOG-{MM}-{customer}-{title}-{unknown}-{####}-end", TODAY, counter)
    assert name == "LOG-03-ACME--unknown-0001-end"
    assert counter.prefixes == ["LOG-03-ACME--unknown-"]
    assert render_format(doc(), "{YYYY}{DD}-{timestamp}", TODAY, counter) == f"202507-{TODAY}"


def test_render_format_allows_one_counter() -> None:
    with pytest.raises(errors.ValidationError, match="Only one counter"):
        render_format(doc(), "A-{##}-{###}", TODAY, Counter())


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("", errors.ValidationError, "No Name Specified for Sales Invoice"),
        ("   ", errors.ValidationError, "No Name Specified for Sales Invoice"),
        (None, errors.ValidationError, "No Name Specified for Sales Invoice"),
        ("New Sales Invoice 3", errors.NameError, "There were some errors setting the name, please contact the administrator"),
        ("Sales Invoice", errors.NameError, "Name of Sales Invoice cannot be Sales Invoice"),
        (" Sales Invoice ", errors.NameError, "Name of Sales Invoice cannot be Sales Invoice"),
        ("a<b", errors.NameError, "Name cannot contain special characters like '<', '>'"),
        ("a>b", errors.NameError, "Name cannot contain special characters like '<', '>'"),
        ("x" * 141, errors.ValidationError, "Name is too long: 141 characters, Sales Invoice names may have at most 140"),
        (5, errors.NameError, "Invalid name type (integer) for varchar name column"),
    ],
)  # fmt: skip
def test_validate_name_refuses(name: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as caught:
        validate_name(doc(), name)
    assert type(caught.value) is error and str(caught.value) == message


@pytest.mark.parametrize("name", ["  spaced  ", "a/b c%'\"", "ünïcödé", "x" * 140, "sales invoice"])
def test_validate_name_accepts_and_strips(name: str) -> None:
    assert validate_name(doc(), name) == name.strip()


def test_validate_name_of_singles_and_autoincrement() -> None:
    assert validate_name(doc(issingle=True), "Sales Invoice") == "Sales Invoice"
    assert validate_name(doc(autoname="autoincrement"), 12) == 12
