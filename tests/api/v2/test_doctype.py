"""v2 ``/api/v2/doctype/{doctype}/meta`` and ``/count`` (transport spec 9.10-9.11)."""

from __future__ import annotations

import json

import pytest

from tests.api.v1.doctypes import make_doctype
from tests.conftest import SiteClient


@pytest.fixture(scope="module")
def doctype(admin: SiteClient) -> str:
    name = make_doctype(admin, "Meta Doc", [{"fieldname": "title", "fieldtype": "Data", "label": "Title"},
                                            {"fieldname": "kind", "fieldtype": "Select", "options": "A\nB"}])  # fmt: skip
    for kind in ("A", "A", "B"):
        assert admin.post(f"/api/v2/document/{name}", json={"title": "m", "kind": kind}).status_code == 200
    return name


def test_meta_returns_the_definition(admin: SiteClient, doctype: str) -> None:
    response = admin.get(f"/api/v2/doctype/{doctype}/meta")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["name"] == doctype and data["doctype"] == "DocType" and data["custom"] == 1
    assert [f["fieldname"] for f in data["fields"]] == ["title", "kind"]
    assert data["fields"][0]["label"] == "Title" and data["permissions"][0]["role"] == "System Manager"


def test_meta_of_a_builtin_doctype_has_the_same_shape(admin: SiteClient) -> None:
    data = admin.get("/api/v2/doctype/ToDo/meta").json()["data"]
    assert data["name"] == "ToDo" and data["doctype"] == "DocType" and data["istable"] == 0
    assert data["autoname"] == "hash" and None not in data.values()
    description = next(f for f in data["fields"] if f["fieldname"] == "description")
    assert description["fieldtype"] == "Text Editor" and description["reqd"] == 1
    assert description["parent"] == "ToDo" and description["parentfield"] == "fields"


def test_meta_is_refused_to_guests(guest: SiteClient, doctype: str) -> None:
    response = guest.get(f"/api/v2/doctype/{doctype}/meta")
    assert response.status_code == 403 and response.json() == {"errors": [{"type": "PermissionError"}]}
    assert guest.get("/api/v2/doctype/ToDo/meta").status_code == 403


def test_meta_of_an_unknown_doctype_is_404(admin: SiteClient) -> None:
    response = admin.get("/api/v2/doctype/No Such Type/meta")
    assert response.status_code == 404 and response.json()["errors"][0]["type"] == "DoesNotExistError"


def test_count(admin: SiteClient, doctype: str) -> None:
    assert admin.get(f"/api/v2/doctype/{doctype}/count").json() == {"data": 3}
    filtered = admin.get(f"/api/v2/doctype/{doctype}/count", params={"filters": json.dumps({"kind": "A"})})
    assert filtered.json() == {"data": 2}
    as_list = admin.get(
        f"/api/v2/doctype/{doctype}/count", params={"filters": json.dumps([["kind", "=", "B"]])}
    )
    assert as_list.json() == {"data": 1}


def test_count_with_limit_caps_and_sets_cache_control(admin: SiteClient, doctype: str) -> None:
    response = admin.get(f"/api/v2/doctype/{doctype}/count", params={"limit": "2"})
    assert response.json() == {"data": 2}
    assert response.headers["cache-control"] == "private,max-age=600,stale-while-revalidate=10800"


def test_count_refuses_guests_and_bad_filters(admin: SiteClient, guest: SiteClient, doctype: str) -> None:
    assert guest.get(f"/api/v2/doctype/{doctype}/count").status_code == 403
    bad = admin.get(f"/api/v2/doctype/{doctype}/count", params={"filters": json.dumps({"nope": 1})})
    assert bad.status_code == 417 and bad.json()["errors"][0]["type"] == "DataError"
