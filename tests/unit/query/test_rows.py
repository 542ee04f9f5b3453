"""Rows of a kept list shape (:mod:`docframe.query.rows`): the same values and the same JSON as the
typed statement gives, with dates and datetimes passed through as text only where that is exact.

The property tests compare the text fast paths with what they replace (the column's result processor,
then the JSON encoder); the API tests compare, on every backend, a list rendered for JSON with the
same list read as Python values and encoded.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy.engine import processors

from docframe.auth.users import User
from docframe.http.envelopes import dumps
from docframe.query.builder import PLAN_CACHE, ListArgs, PlanCache
from docframe.query.listing import run_list
from docframe.query.rows import date_text, datetime_text
from docframe.sites import Site
from tests.api.test_permissions_matrix import ok
from tests.api.v1.doctypes import make_doctype
from tests.conftest import SiteClient


def _outcome(convert: Any, value: Any) -> tuple[str, Any]:
    """What converting ``value`` and encoding it gives: the JSON text, or the exception's type."""
    try:
        return "ok", dumps([convert(value)])
    except Exception as exc:
        return "error", type(exc)


_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=4)
_SEPARATORS = st.sampled_from([" ", "T", "-", ":", ".", "x", "\u3000"])


def _mangled(text: str, draw: Any) -> str:
    """``text`` with one character replaced, removed or added (malformed and edge-case inputs)."""
    position = draw(st.integers(0, len(text)))
    kind = draw(st.sampled_from(["replace", "remove", "insert"]))
    char = draw(st.one_of(st.sampled_from("0123456789 :-.T+Z\u0661\uff11"), st.characters()))
    if kind == "replace" and position < len(text):
        return text[:position] + char + text[position + 1 :]
    if kind == "remove" and position < len(text):
        return text[:position] + text[position + 1 :]
    return text[:position] + char + text[position:]


@st.composite
def datetime_texts(draw: Any) -> str:
    value = draw(
        st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59))
    )
    if draw(st.booleans()):
        value = value.replace(microsecond=0)
    form = draw(st.sampled_from(["stored", "space", "iso", "seconds", "date"]))
    text = {
        "stored": value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond:06d}",
        "space": str(value),
        "iso": value.isoformat(),
        "seconds": value.strftime("%Y-%m-%d %H:%M:%S"),
        "date": value.strftime("%Y-%m-%d"),
    }[form].rjust(draw(st.sampled_from([0, 0, 0, 27])), "0")
    return _mangled(text, draw) if draw(st.booleans()) else text


@st.composite
def date_texts(draw: Any) -> str:
    value = draw(st.dates())
    text = value.isoformat() if draw(st.booleans()) else value.strftime("%Y%m%d")
    return _mangled(text, draw) if draw(st.booleans()) else text


@given(st.one_of(datetime_texts(), st.text(max_size=30), st.integers(), st.floats()))
@example("2024-01-01 08:00:37.123456")
@example("2024-01-01 08:00:37.000000")
@example("2024-01-01 08:00:37.000010")
@example("2024-02-30 08:00:37.123456")
@example("2024-01-01 24:00:00.123456")
@example("2024-01-01T08:00:37.123456")
@example("2024-01-01 08:00:37.12345+")
@example("\uff12024-01-01 08:00:37.12345")
def test_datetime_text_encodes_as_the_parsed_value(text: Any) -> None:
    assert _outcome(datetime_text, text) == _outcome(processors.str_to_datetime, text)


@given(st.one_of(date_texts(), st.text(max_size=12), st.integers()))
@example("2024-01-01")
@example("2024-02-30")
@example("2024-W01-1")
@example("20240101")
@example("2024-1-011")
def test_date_text_encodes_as_the_parsed_value(text: Any) -> None:
    assert _outcome(date_text, text) == _outcome(processors.str_to_date, text)


def test_a_canonical_text_is_passed_through_unchanged() -> None:
    text = "2024-01-01 08:00:37.123456"
    assert datetime_text(text) is text
    assert date_text("2024-01-01") == "2024-01-01"
    assert datetime_text("2024-01-01 08:00:37.000000") == dt.datetime(2024, 1, 1, 8, 0, 37)


# -- lists through the API, every backend ------------------------------------------------------------

FIELDS = ["name", "title", "at", "day", "clock", "amount", "done", "count", "modified", "creation"]


@pytest.fixture(scope="module")
def typed(admin: SiteClient, sites_root: Path) -> str:
    doctype = make_doctype(
        admin,
        "Row Types",
        [
            {"fieldname": "title", "fieldtype": "Data"},
            {"fieldname": "at", "fieldtype": "Datetime"},
            {"fieldname": "day", "fieldtype": "Date"},
            {"fieldname": "clock", "fieldtype": "Time"},
            {"fieldname": "amount", "fieldtype": "Currency"},
            {"fieldname": "done", "fieldtype": "Check"},
            {"fieldname": "count", "fieldtype": "Int"},
        ],
    )
    values: list[dict[str, Any]] = [
        {"title": "micro", "at": "2024-03-04 05:06:07.891011", "day": "2024-03-04", "clock": "05:06:07.5"},
        {"title": "whole", "at": "2024-03-04 05:06:07", "day": "2024-12-31", "clock": "23:59:59"},
        {"title": "midnight", "at": "2024-03-04 00:00:00", "clock": "00:00:00", "amount": 12.5, "done": 1},
        {"title": "empty"},
        {"title": "tiny", "at": "2024-03-04 05:06:07.000001", "count": 7, "amount": 0.1},
    ]
    for body in values:
        ok(admin.post(f"/api/resource/{doctype}", json=body))
    return doctype


def _kept_shape(site: Site, doctype: str) -> Any:
    cache = site.services.slot(PLAN_CACHE).get(PlanCache)
    shapes = [shape for key, shape in cache._shapes.items() if key[0] == doctype]
    assert shapes
    return shapes[-1]


def test_a_list_for_json_encodes_as_its_python_values(site: Site, typed: str) -> None:
    args = ListArgs(typed, fields=tuple(FIELDS), order_by="title asc", limit=None)
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        for as_dict in (True, False):
            python = run_list(ctx, args, as_dict=as_dict)
            ready = run_list(ctx, args, as_dict=as_dict, json_ready=True)
            assert dumps(ready) == dumps(python)
            assert len(python) == 5
        by_title = {r["title"]: r for r in run_list(ctx, args)}
    # Python callers still get Python values
    assert by_title["micro"]["at"] == dt.datetime(2024, 3, 4, 5, 6, 7, 891011)
    assert by_title["micro"]["day"] == dt.date(2024, 3, 4)
    assert isinstance(by_title["micro"]["modified"], dt.datetime)
    assert by_title["empty"]["at"] is None
    assert by_title["midnight"]["done"] == 1
    assert by_title["midnight"]["amount"] == 12.5
    if site.db.backend == "sqlite":  # the untyped twin runs there (pysqlite reports no column types)
        assert _kept_shape(site, typed).reader(site.db.engine.dialect) is not None
    else:
        assert _kept_shape(site, typed).reader(site.db.engine.dialect) is None


def test_list_endpoints_answer_what_the_values_encode_to(admin: SiteClient, site: Site, typed: str) -> None:
    params = {"fields": json.dumps(FIELDS), "order_by": "title asc", "limit_page_length": "0"}
    v1 = ok(admin.get(f"/api/resource/{typed}", params=params))["data"]
    v2 = ok(admin.get(f"/api/v2/document/{typed}", params={**params, "limit": "10"}))["data"]
    as_lists = ok(admin.get(f"/api/resource/{typed}", params={**params, "as_dict": "0"}))["data"]
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        expected = json.loads(
            dumps(run_list(ctx, ListArgs(typed, fields=tuple(FIELDS), order_by="title asc", limit=None)))
        )
    assert v1 == expected
    assert v2 == expected
    assert as_lists == [[row[f] for f in FIELDS] for row in expected]
    by_title = {r["title"]: r for r in v1}
    assert by_title["micro"]["at"] == "2024-03-04 05:06:07.891011"
    assert by_title["whole"]["at"] == "2024-03-04 05:06:07"
    assert by_title["midnight"]["at"] == "2024-03-04 00:00:00"
    assert by_title["tiny"]["at"] == "2024-03-04 05:06:07.000001"
    assert by_title["micro"]["day"] == "2024-03-04"
    assert by_title["micro"]["clock"] == "05:06:07.500000"
    assert by_title["empty"]["at"] is None


def test_a_duplicate_label_keeps_the_later_columns_value(site: Site, typed: str) -> None:
    args = ListArgs(typed, fields=("at as stamp", "title as stamp"), order_by="title asc", limit=None)
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        python = run_list(ctx, args)
        ready = run_list(ctx, args, json_ready=True)
    assert [r["stamp"] for r in ready] == ["empty", "micro", "midnight", "tiny", "whole"]
    assert dumps(ready) == dumps(python)


def test_a_malformed_stored_datetime_fails_as_before(site: Site, admin: SiteClient) -> None:
    if site.db.backend != "sqlite":
        pytest.skip("SQLite keeps whatever text was written; the other backends refuse it")
    doctype = make_doctype(admin, "Row Bad", [{"fieldname": "at", "fieldtype": "Datetime"}])
    ok(admin.post(f"/api/resource/{doctype}", json={"at": "2024-03-04 05:06:07.891011"}))
    with site.unit_of_work(User.administrator(), write=True) as ctx:
        ctx.conn.exec_driver_sql(f'UPDATE "tab{doctype}" SET "at" = \'2024-02-30 05:06:07.891011\'')
    args = ListArgs(doctype, fields=("name", "at"), limit=None)
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        for json_ready in (False, True):
            with pytest.raises(ValueError, match="day is out of range"):
                run_list(ctx, args, json_ready=json_ready)
