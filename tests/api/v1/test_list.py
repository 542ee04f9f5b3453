"""v1 list ``GET /api/resource/{doctype}``: page size rules, offsets, ``as_dict`` (transport spec 8.1)."""

from __future__ import annotations

import json

import pytest

from tests.api.v1.doctypes import make_doctype
from tests.conftest import SiteClient


@pytest.fixture(scope="module")
def doctype(admin: SiteClient) -> str:
    name = make_doctype(admin, "V1 List", [{"fieldname": "title", "fieldtype": "Data"},
                                           {"fieldname": "rank", "fieldtype": "Int"}])  # fmt: skip
    for rank in range(25):
        assert (
            admin.post(f"/api/resource/{name}", json={"title": f"row {rank}", "rank": rank}).status_code
            == 200
        )
    return name


def _ranks(admin: SiteClient, doctype: str, **params: str) -> list[int]:
    base = {"fields": json.dumps(["rank"]), "order_by": "rank asc"}
    response = admin.get(f"/api/resource/{doctype}", params={**base, **params})
    assert response.status_code == 200, response.text
    return [row["rank"] for row in response.json()["data"]]


def test_default_page_is_20(admin: SiteClient, doctype: str) -> None:
    assert _ranks(admin, doctype) == list(range(20))


def test_limit_page_length_zero_returns_all(admin: SiteClient, doctype: str) -> None:
    assert _ranks(admin, doctype, limit_page_length="0") == list(range(25))


def test_limit_alone_is_the_page_size(admin: SiteClient, doctype: str) -> None:
    assert _ranks(admin, doctype, limit="3") == [0, 1, 2]
    assert _ranks(admin, doctype, limit="0") == list(range(20))
    assert _ranks(admin, doctype, limit="3", limit_page_length="5") == [0, 1, 2, 3, 4]


def test_limit_start_is_the_offset_and_start_is_ignored(admin: SiteClient, doctype: str) -> None:
    assert _ranks(admin, doctype, limit_page_length="2", limit_start="10") == [10, 11]
    assert _ranks(admin, doctype, limit_page_length="2", start="10") == [0, 1]


def test_as_dict_false_gives_lists(admin: SiteClient, doctype: str) -> None:
    response = admin.get(
        f"/api/resource/{doctype}",
        params={
            "fields": json.dumps(["title", "rank"]),
            "order_by": "rank asc",
            "limit": "2",
            "as_dict": "0",
        },
    )
    assert response.json()["data"] == [["row 0", 0], ["row 1", 1]]


def test_star_and_comma_fields(admin: SiteClient, doctype: str) -> None:
    star = admin.get(f"/api/resource/{doctype}", params={"fields": '["*"]', "limit": "1"}).json()["data"][0]
    assert {"name", "owner", "creation", "modified", "docstatus", "title", "rank"} <= set(star)
    counted = admin.get(f"/api/resource/{doctype}", params={"fields": '["count(name) as total"]'}).json()
    assert counted["data"] == [{"total": 25}]
