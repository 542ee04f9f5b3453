"""Property tests: random bodies and list parameters never cause a 500 or a partial write.

Hypothesis throws arbitrary JSON at create and update (v1 and v2) and arbitrary strings and JSON at
the list parameters. Every answer must be below 500; every error must be in the version's format;
a refused create must leave the row count alone and a refused update must leave the row alone.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.v1.doctypes import make_doctype, unique
from tests.conftest import SiteClient

FIELDS = ["title", "qty", "amount", "day", "stamp", "flag", "kind", "items", "name", "docstatus", "idx",
          "modified", "owner", "doctype", "flags", "__islocal", "data", "parent"]  # fmt: skip
LIST_KEYS = ["fields", "filters", "or_filters", "order_by", "group_by", "limit", "start", "limit_start",
             "limit_page_length", "as_dict", "distinct", "_"]  # fmt: skip
# ``cmd`` is left out on purpose: at any path it turns the request into a legacy v1 RPC call.

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["2024-01-01", "2024-13-45", "12:00", "A", "B", "x" * 300, "1=1 --", "`name`"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), json_values, max_size=6)
list_params = st.dictionaries(
    st.sampled_from(LIST_KEYS),
    st.text(max_size=60) | json_values.map(lambda v: json.dumps(v)),
    max_size=5,
)


def assert_error_format(version: int, response: httpx.Response) -> None:
    """A response below 500; when it is an error, its body has the version's shape."""
    assert response.status_code < 500, response.text[:500]
    if response.status_code < 400:
        return
    body = response.json()
    if version == 1:
        assert isinstance(body.get("exc_type"), str) and "errors" not in body, body
    else:
        assert isinstance(body.get("errors"), list) and isinstance(body["errors"][0]["type"], str), body
        assert "exc_type" not in body


@pytest.fixture(scope="module")
def doctype(admin: SiteClient) -> str:
    rows = make_doctype(admin, "FuzzRow", [{"fieldname": "item", "fieldtype": "Data", "reqd": 1},
                                           {"fieldname": "n", "fieldtype": "Int"}], istable=1, sep="")  # fmt: skip
    return make_doctype(
        admin,
        "Fuzz Doc",
        [{"fieldname": "title", "fieldtype": "Data"}, {"fieldname": "qty", "fieldtype": "Int"},
         {"fieldname": "amount", "fieldtype": "Currency"}, {"fieldname": "day", "fieldtype": "Date"},
         {"fieldname": "stamp", "fieldtype": "Datetime"}, {"fieldname": "flag", "fieldtype": "Check"},
         {"fieldname": "kind", "fieldtype": "Select", "options": "A\nB"},
         {"fieldname": "items", "fieldtype": "Table", "options": rows}],
    )  # fmt: skip


def _count(admin: SiteClient, doctype: str) -> int:
    return int(admin.get(f"/api/v2/doctype/{doctype}/count").json()["data"])


def _post(admin: SiteClient, url: str, body: Any) -> httpx.Response:
    return admin.post(url, content=json.dumps(body), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("version", [1, 2])
def test_random_create_bodies(admin: SiteClient, doctype: str, version: int) -> None:
    url = f"/api/resource/{doctype}" if version == 1 else f"/api/v2/document/{doctype}"

    @SETTINGS
    @given(body=bodies)
    def check(body: dict[str, Any]) -> None:
        before = _count(admin, doctype)
        response = _post(admin, url, body)
        assert_error_format(version, response)
        assert _count(admin, doctype) == before + (1 if response.status_code == 200 else 0)

    check()


@pytest.mark.parametrize("version", [1, 2])
def test_random_update_bodies(admin: SiteClient, doctype: str, version: int) -> None:
    name = admin.post(f"/api/v2/document/{doctype}", json={"title": unique("fuzz")}).json()["data"]["name"]
    url = f"/api/resource/{doctype}/{name}" if version == 1 else f"/api/v2/document/{doctype}/{name}"

    @SETTINGS
    @given(body=bodies)
    def check(body: dict[str, Any]) -> None:
        before = admin.get(f"/api/v2/document/{doctype}/{name}").json()["data"]
        response = admin.put(url, content=json.dumps(body), headers={"Content-Type": "application/json"})
        assert_error_format(version, response)
        after = admin.get(f"/api/v2/document/{doctype}/{name}").json()["data"]
        if response.status_code >= 400:
            assert after == before

    check()


@SETTINGS
@given(raw=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_random_raw_json_bodies(admin: SiteClient, doctype: str, raw: bytes) -> None:
    before = _count(admin, doctype)
    created = 0
    for version, url in ((1, f"/api/resource/{doctype}"), (2, f"/api/v2/document/{doctype}")):
        response = admin.post(url, content=raw, headers={"Content-Type": "application/json"})
        assert_error_format(version, response)
        created += response.status_code == 200
    assert _count(admin, doctype) == before + created


@SETTINGS
@given(params=list_params)
def test_random_list_parameters(admin: SiteClient, doctype: str, params: dict[str, str]) -> None:
    for version, url in ((1, f"/api/resource/{doctype}"), (2, f"/api/v2/document/{doctype}"),
                         (2, f"/api/v2/doctype/{doctype}/count")):  # fmt: skip
        response = admin.get(url, params=params)
        assert_error_format(version, response)
        if response.status_code == 200:
            assert "data" in response.json() or url.endswith("/count")


@SETTINGS
@given(params=st.dictionaries(st.sampled_from(LIST_KEYS), json_values, max_size=5))
def test_random_list_parameters_in_a_json_body(
    admin: SiteClient, doctype: str, params: dict[str, Any]
) -> None:
    response = admin.request(
        "GET",
        f"/api/v2/document/{doctype}",
        content=json.dumps(params),
        headers={"Content-Type": "application/json"},
    )
    assert_error_format(2, response)
