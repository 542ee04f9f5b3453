"""v2 list ``GET /api/v2/document/{doctype}``: fields, paging and ``has_next_page`` (transport spec 9.1)."""

from __future__ import annotations

import json

import pytest

from tests.api.v1.doctypes import make_doctype
from tests.conftest import SiteClient


@pytest.fixture(scope="module")
def doctype(admin: SiteClient) -> str:
    name = make_doctype(admin, "V2 List", [{"fieldname": "title", "fieldtype": "Data"},
                                           {"fieldname": "rank", "fieldtype": "Int"}])  # fmt: skip
    for rank in range(5):
        assert (
            admin.post(f"/api/v2/document/{name}", json={"title": f"row {rank}", "rank": rank}).status_code
            == 200
        )
    return name


def _list(admin: SiteClient, doctype: str, **params: str) -> dict:
    base = {"fields": json.dumps(["title", "rank"]), "order_by": "rank asc"}
    response = admin.get(f"/api/v2/document/{doctype}", params={**base, **params})
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def test_default_fields_are_names_and_default_limit_is_20(admin: SiteClient, doctype: str) -> None:
    body = admin.get(f"/api/v2/document/{doctype}").json()
    assert len(body["data"]) == 5 and all(set(r) == {"name"} for r in body["data"])
    assert body["has_next_page"] is False


def test_start_limit_and_has_next_page(admin: SiteClient, doctype: str) -> None:
    first = _list(admin, doctype, limit="2")
    assert [r["rank"] for r in first["data"]] == [0, 1] and first["has_next_page"] is True
    middle = _list(admin, doctype, limit="2", start="2")
    assert [r["rank"] for r in middle["data"]] == [2, 3] and middle["has_next_page"] is True
    last = _list(admin, doctype, limit="2", start="4")
    assert [r["rank"] for r in last["data"]] == [4] and last["has_next_page"] is False
    exact = _list(admin, doctype, limit="5")
    assert len(exact["data"]) == 5 and exact["has_next_page"] is False


def test_limit_start_is_accepted_too(admin: SiteClient, doctype: str) -> None:
    body = _list(admin, doctype, limit="2", limit_start="3")
    assert [r["rank"] for r in body["data"]] == [3, 4] and body["has_next_page"] is False


def test_as_dict_false_gives_lists(admin: SiteClient, doctype: str) -> None:
    for falsy in ("0", "false", "False"):
        body = _list(admin, doctype, limit="2", as_dict=falsy)
        assert body["data"] == [["row 0", 0], ["row 1", 1]]


def test_filters_and_order(admin: SiteClient, doctype: str) -> None:
    body = _list(admin, doctype, filters=json.dumps([["rank", ">=", 3]]), order_by="rank desc")
    assert [r["rank"] for r in body["data"]] == [4, 3]
    as_dict = _list(admin, doctype, filters=json.dumps({"title": "row 2"}))
    assert [r["rank"] for r in as_dict["data"]] == [2]


def test_json_body_on_get_is_the_form_dict(admin: SiteClient, doctype: str) -> None:
    response = admin.request(
        "GET", f"/api/v2/document/{doctype}",
        json={"fields": ["rank"], "filters": {"rank": 1}, "limit": 5},
    )  # fmt: skip
    assert response.status_code == 200 and response.json()["data"] == [{"rank": 1}]


def test_guests_are_refused(guest: SiteClient, doctype: str) -> None:
    response = guest.get(f"/api/v2/document/{doctype}")
    assert response.status_code == 403 and response.json()["errors"][0]["type"] == "PermissionError"
