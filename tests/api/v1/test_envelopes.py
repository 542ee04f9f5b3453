"""Response envelopes and value encoding on the wire (transport spec 4.1-4.9), v1 and v2 side by side."""

from __future__ import annotations

import json
import re

import pytest

from tests.api.v1.doctypes import make_doctype
from tests.conftest import SiteClient

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{6})?$")
NO_STORE = "no-store,no-cache,must-revalidate,max-age=0"


@pytest.fixture(scope="module")
def doctype(admin: SiteClient) -> str:
    return make_doctype(
        admin,
        "Envelope Doc",
        [
            {"fieldname": "title", "fieldtype": "Data"},
            {"fieldname": "amount", "fieldtype": "Currency"},
            {"fieldname": "ratio", "fieldtype": "Float"},
            {"fieldname": "qty", "fieldtype": "Int"},
            {"fieldname": "done", "fieldtype": "Check"},
            {"fieldname": "when", "fieldtype": "Datetime"},
            {"fieldname": "day", "fieldtype": "Date"},
            {"fieldname": "at", "fieldtype": "Time"},
            {"fieldname": "remark", "fieldtype": "Small Text"},
        ],
    )


def test_values_are_encoded_like_frappe(admin: SiteClient, doctype: str) -> None:
    body = {"title": "été ✓", "amount": 12, "ratio": "2.5", "qty": "3", "done": 1,
            "when": "2024-05-01 13:45:10", "day": "2024-05-01", "at": "09:05:03"}  # fmt: skip
    created = admin.post(f"/api/v2/document/{doctype}", json=body)
    assert created.status_code == 200
    name = created.json()["data"]["name"]
    for url in (f"/api/v2/document/{doctype}/{name}", f"/api/resource/{doctype}/{name}"):
        data = admin.get(url).json()["data"]
        assert data["title"] == "été ✓"
        assert data["amount"] == 12.0 and isinstance(data["amount"], float)
        assert data["ratio"] == 2.5 and data["qty"] == 3 and isinstance(data["qty"], int)
        assert data["done"] == 1
        assert data["when"] == "2024-05-01 13:45:10"
        assert data["day"] == "2024-05-01" and data["at"] == "09:05:03"
        assert DATETIME.match(data["creation"]) and DATETIME.match(data["modified"])
        assert data["docstatus"] == 0 and data["doctype"] == doctype


def test_microseconds_are_kept_when_not_zero(admin: SiteClient, doctype: str) -> None:
    created = admin.post(f"/api/v2/document/{doctype}", json={"when": "2024-05-01 13:45:10.123456"})
    name = created.json()["data"]["name"]
    assert admin.get(f"/api/resource/{doctype}/{name}").json()["data"]["when"] == "2024-05-01 13:45:10.123456"


def test_null_handling_per_endpoint(admin: SiteClient, doctype: str) -> None:
    v1_created = admin.post(f"/api/resource/{doctype}", json={"title": "nulls"}).json()["data"]
    assert "remark" not in v1_created and "when" not in v1_created and v1_created["title"] == "nulls"
    name = v1_created["name"]
    assert "remark" not in admin.get(f"/api/resource/{doctype}/{name}").json()["data"]
    assert "remark" not in admin.put(f"/api/resource/{doctype}/{name}", json={"qty": 1}).json()["data"]

    v2_read = admin.get(f"/api/v2/document/{doctype}/{name}").json()["data"]
    assert v2_read["remark"] is None and v2_read["when"] is None
    v2_updated = admin.patch(f"/api/v2/document/{doctype}/{name}", json={"qty": 2}).json()["data"]
    assert v2_updated["remark"] is None and v2_updated["qty"] == 2
    v2_created = admin.post(f"/api/v2/document/{doctype}", json={"title": "v2"}).json()["data"]
    assert "remark" in v2_created and v2_created["remark"] is None


def test_numbers_are_numbers_for_empty_numeric_fields(admin: SiteClient, doctype: str) -> None:
    data = admin.post(f"/api/v2/document/{doctype}", json={"title": "zeros"}).json()["data"]
    assert (data["amount"], data["ratio"], data["qty"], data["done"]) == (0.0, 0.0, 0, 0)


def test_create_is_200_and_delete_is_202_ok(admin: SiteClient, doctype: str) -> None:
    for prefix in ("/api/resource", "/api/v1/resource", "/api/v2/document"):
        created = admin.post(f"{prefix}/{doctype}", json={"title": "status"})
        assert created.status_code == 200
        deleted = admin.delete(f"{prefix}/{doctype}/{created.json()['data']['name']}")
        assert deleted.status_code == 202 and deleted.json() == {"data": "ok"}


def test_content_type_and_cache_control(admin: SiteClient, doctype: str) -> None:
    for url in (f"/api/resource/{doctype}", f"/api/v2/document/{doctype}", "/api/method/ping",
                f"/api/resource/{doctype}/missing-doc", "/api/v2/nothing-here"):  # fmt: skip
        response = admin.get(url)
        assert response.headers["content-type"] == "application/json", url
        assert response.headers["cache-control"] == NO_STORE, url


def test_rpc_uses_message_in_v1_and_data_in_v2(admin: SiteClient) -> None:
    assert admin.get("/api/method/ping").json() == {"message": "pong"}
    assert admin.get("/api/v1/method/ping").json() == {"message": "pong"}
    assert admin.get("/api/v2/method/ping").json() == {"data": "pong"}


def test_none_result_has_no_result_key(admin: SiteClient) -> None:
    # v1 and v2 ``login`` routes are no-ops returning None
    assert admin.post("/api/v2/method/login").json() == {}


def test_list_envelopes(admin: SiteClient, doctype: str) -> None:
    for _ in range(2):
        admin.post(f"/api/v2/document/{doctype}", json={"title": "listed"})
    v1 = admin.get(f"/api/resource/{doctype}", params={"limit": "1"}).json()
    assert set(v1) == {"data"}
    v2 = admin.get(f"/api/v2/document/{doctype}", params={"limit": "1"}).json()
    assert set(v2) == {"data", "has_next_page"} and v2["has_next_page"] is True


def test_error_messages_are_double_encoded_in_v1_and_an_array_in_v2(admin: SiteClient, doctype: str) -> None:
    v1 = admin.post(f"/api/resource/{doctype}", json={"qty": "many"})
    assert v1.status_code == 417
    outer = json.loads(v1.json()["_server_messages"])
    assert isinstance(outer, list) and all(isinstance(m, str) for m in outer)
    first = json.loads(outer[0])
    assert first["indicator"] == "red" and first["raise_exception"] == 1 and "qty" in first["message"]
    v2 = admin.post(f"/api/v2/document/{doctype}", json={"qty": "many"})
    error = v2.json()["errors"][0]
    assert error["type"] == "ValidationError" and "qty" in error["message"] and "raise_exception" not in error
    assert "_server_messages" not in v2.json() and "exc_type" not in v2.json()
