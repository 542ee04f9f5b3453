"""Bad input is a 4xx in the version's own error format, never a 500 and never a partial write."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from docframe.db.provision import drop_database
from tests.api.v1.doctypes import make_doctype, unique
from tests.conftest import SiteClient, api_key_for, make_site

HOSTILE = [
    "name; drop table", "1=1 --", "`tabUser`.`password`", "tabUser.password", "name) or (1=1",
    "ünïcødé", "名前", "x" * 10_000, "sleep(5)", "name desc; select 1", "' or ''='", "\\x00",
    "name asc asc", "(select password from `__Auth`)", "*/ name /*", "name -- comment",
]  # fmt: skip
HOSTILE_FILTERS = [
    '{"name; drop table": 1}', '[["`tabUser`.`password`", "=", "x"]]', '[["name", "=", "a", "b", "c"]]',
    '[["name", "bogus op", "x"]]', '[["name", "in", {"x": 1}]]', '[[1, 2, 3]]', '{"name": ["bogus", 1]}',
    '[["tabUser", "password", "=", "x"]]', "[oops", '{"title": {"$gt": ""}}',
    json.dumps({"x" * 10_000: 1}),
]  # fmt: skip


def error_type(version: int, response: httpx.Response) -> str:
    """The error class name of a v1 or v2 error body (asserting the body has that version's shape)."""
    body = response.json()
    if version == 1:
        assert "errors" not in body, body
        return str(body["exc_type"])
    assert "exc_type" not in body and "_server_messages" not in body, body
    assert isinstance(body["errors"], list) and len(body["errors"]) == 1
    return str(body["errors"][0]["type"])


@pytest.fixture(scope="module")
def doctype(admin: SiteClient) -> str:
    name = make_doctype(
        admin,
        "Bad Input",
        [{"fieldname": "title", "fieldtype": "Data"}, {"fieldname": "qty", "fieldtype": "Int"},
         {"fieldname": "day", "fieldtype": "Date"}, {"fieldname": "flag", "fieldtype": "Check"}],
        autoname="prompt",
    )  # fmt: skip
    assert (
        admin.post(f"/api/v2/document/{name}", json={"name": unique("seed"), "title": "seed"}).status_code
        == 200
    )
    return name


def _count(admin: SiteClient, doctype: str) -> int:
    return int(admin.get(f"/api/v2/doctype/{doctype}/count").json()["data"])


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("key", ["fields", "order_by", "group_by"])
def test_hostile_identifiers_are_417(admin: SiteClient, doctype: str, key: str, value: str) -> None:
    raw = json.dumps([value]) if key == "fields" else value
    for version, url in ((1, f"/api/resource/{doctype}"), (2, f"/api/v2/document/{doctype}")):
        response = admin.get(url, params={key: raw})
        assert response.status_code == 417, (url, key, value, response.text[:300])
        assert error_type(version, response) in ("DataError", "ValidationError")
    assert _count(admin, doctype) >= 1  # the table is still there


@pytest.mark.parametrize("raw", HOSTILE_FILTERS)
def test_hostile_filters_are_4xx(admin: SiteClient, doctype: str, raw: str) -> None:
    for key in ("filters", "or_filters"):
        for version, url in ((1, f"/api/resource/{doctype}"), (2, f"/api/v2/document/{doctype}"),
                             (2, f"/api/v2/doctype/{doctype}/count")):  # fmt: skip
            response = admin.get(url, params={key: raw})
            assert response.status_code == 417, (url, key, raw, response.text[:300])
            assert error_type(version, response) in ("DataError", "ValidationError")


@pytest.mark.parametrize("key", ["limit", "start", "limit_start", "limit_page_length"])
@pytest.mark.parametrize("value", ["abc", "-5", "1e400", "x" * 10_000, "[1]", "{}"])
def test_hostile_paging_values(admin: SiteClient, doctype: str, key: str, value: str) -> None:
    for version, url in ((1, f"/api/resource/{doctype}"), (2, f"/api/v2/document/{doctype}")):
        response = admin.get(url, params={key: value})
        if response.status_code == 200:  # a parameter this version does not read
            assert (version, key) in {(1, "start"), (2, "limit_page_length")}
            continue
        assert response.status_code == 417 and error_type(version, response) == "DataError"


def test_objects_where_strings_are_expected(admin: SiteClient, doctype: str) -> None:
    bodies: list[dict[str, Any]] = [
        {"fields": [{"a": 1}]}, {"fields": {"name": 1}}, {"order_by": {"name": "desc"}},
        {"group_by": ["name"]}, {"limit": {"n": 1}}, {"start": [0]},
    ]  # fmt: skip
    for body in bodies:
        response = admin.request("GET", f"/api/v2/document/{doctype}", json=body)
        assert response.status_code == 417, (body, response.text[:300])
        assert error_type(2, response) in ("DataError", "ValidationError")


@pytest.mark.parametrize(
    "body",
    [{"qty": "many"}, {"qty": {"n": 1}}, {"qty": [1]}, {"day": "2024-13-45"}, {"day": 20240101},
     {"flag": {"yes": True}}, {"title": {"a": 1}}, {"title": ["a"]}, {"title": "x" * 10_000},
     {"docstatus": "draft"}, {"docstatus": 7}, {"idx": "first"}, {"name": {"a": 1}}, {"name": ["a"]},
     {"name": True}, {"name": "x" * 141}, {"title": "ok", "name": ""}],
)  # fmt: skip
def test_wrong_types_on_create_are_417_and_write_nothing(admin: SiteClient, doctype: str, body: dict) -> None:
    before = _count(admin, doctype)
    for version, url in ((1, f"/api/resource/{doctype}"), (2, f"/api/v2/document/{doctype}")):
        payload = {"name": unique("typed"), **body} if "name" not in body else body
        response = admin.post(url, json=payload)
        assert 400 <= response.status_code < 500, (url, body, response.text[:300])
        assert error_type(version, response)
    assert _count(admin, doctype) == before


def test_wrong_types_on_update_write_nothing(admin: SiteClient, doctype: str) -> None:
    name = unique("update target")
    created = admin.post(f"/api/v2/document/{doctype}", json={"name": name, "title": "kept", "qty": 1})
    stored = created.json()["data"]
    for body in ({"title": "changed", "qty": "many"}, {"title": "changed", "day": "someday"},
                 {"title": "changed", "docstatus": "x"}, {"title": "changed", "modified": "not a date"}):  # fmt: skip
        for version, url in (
            (1, f"/api/resource/{doctype}/{name}"),
            (2, f"/api/v2/document/{doctype}/{name}"),
        ):
            response = admin.put(url, json=body)
            assert response.status_code == 417, (body, response.text[:300])
            assert error_type(version, response)
    after = admin.get(f"/api/v2/document/{doctype}/{name}").json()["data"]
    assert after["title"] == "kept" and after["modified"] == stored["modified"]


def test_over_long_names(admin: SiteClient, doctype: str) -> None:
    for version, url in ((1, f"/api/resource/{doctype}"), (2, f"/api/v2/document/{doctype}")):
        response = admin.post(url, json={"name": "n" * 141, "title": "long"})
        assert response.status_code == 417 and error_type(version, response) == "ValidationError"
        assert "Name is too long" in response.text
        assert admin.post(url, json={"name": unique("n" * 120, "")[:140], "title": "ok"}).status_code == 200
    for missing in ("y" * 10_000, "nul%00byte", "%F0%9F%92%A9 emoji", "..%2F..%2Fetc%2Fpasswd"):
        for version, base in ((1, f"/api/resource/{doctype}"), (2, f"/api/v2/document/{doctype}")):
            for method in ("GET", "PUT", "DELETE"):
                body = {"title": "x"} if method == "PUT" else None
                response = admin.request(method, f"{base}/{missing}", json=body)
                assert response.status_code == 404, (method, missing[:20], response.text[:300])
                assert error_type(version, response) == "DoesNotExistError"


def test_unknown_doctype_names_of_any_shape_are_404(admin: SiteClient) -> None:
    for name in ("x" * 10_000, "`tabUser`", "User; drop table", "名前", "a%00b"):
        for version, url in ((1, f"/api/resource/{name}"), (2, f"/api/v2/document/{name}"),
                             (2, f"/api/v2/doctype/{name}/count")):  # fmt: skip
            response = admin.get(url)
            assert response.status_code == 404, (url[:60], response.text[:300])
            assert error_type(version, response) == "DoesNotExistError"


# -- body size -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_site(backend: str, sites_root: Path) -> Iterator[SiteClient]:
    """A site whose config allows request bodies of at most 4 KiB."""
    site = make_site(sites_root, f"small-{backend}-{secrets.token_hex(3)}", backend, {"max_file_size": 4096})
    try:
        yield SiteClient(site, sites_root, api_key_for(site))
    finally:
        site.dispose()
        if backend != "sqlite":
            drop_database(site.settings.db_url)


def test_oversized_bodies_are_413_in_each_format(small_site: SiteClient) -> None:
    big = {"description": "x" * 8000}
    before = small_site.get("/api/v2/doctype/ToDo/count").json()["data"]
    for version, url in ((1, "/api/resource/ToDo"), (2, "/api/v2/document/ToDo")):
        response = small_site.post(url, json=big)
        assert response.status_code == 413
        assert error_type(version, response) == "RequestEntityTooLarge"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while reading
            data = json.dumps(big).encode()
            for i in range(0, len(data), 1000):
                yield data[i : i + 1000]

        streamed = small_site.post(url, content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413 and error_type(version, streamed) == "RequestEntityTooLarge"
    assert small_site.get("/api/v2/doctype/ToDo/count").json()["data"] == before
    fits = small_site.post("/api/v2/document/ToDo", json={"description": "x" * 1000})
    assert fits.status_code == 200
