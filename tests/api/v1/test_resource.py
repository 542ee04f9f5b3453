"""v1 ``/api/resource``: CRUD, list parameters, envelopes and errors, on every backend."""

from __future__ import annotations

import json

from tests.conftest import SiteClient


def _server_messages(body: dict) -> list[dict]:
    return [json.loads(m) for m in json.loads(body["_server_messages"])]


def test_create_read_update_delete_round_trip(admin: SiteClient) -> None:
    created = admin.post("/api/resource/ToDo", json={"description": "round trip", "priority": "High"})
    assert created.status_code == 200
    doc = created.json()["data"]
    assert doc["doctype"] == "ToDo" and doc["status"] == "Open" and doc["priority"] == "High"
    assert len(doc["name"]) == 10 and "color" not in doc  # nulls omitted in v1
    name = doc["name"]

    read = admin.get(f"/api/resource/ToDo/{name}")
    assert read.status_code == 200 and read.json()["data"]["description"] == "round trip"

    updated = admin.put(f"/api/resource/ToDo/{name}", json={"status": "Closed"})
    assert updated.status_code == 200
    assert updated.json()["data"]["status"] == "Closed"
    assert updated.json()["data"]["priority"] == "High"  # partial update keeps other values

    deleted = admin.delete(f"/api/resource/ToDo/{name}")
    assert deleted.status_code == 202 and deleted.json() == {"data": "ok"}
    missing = admin.get(f"/api/resource/ToDo/{name}")
    assert missing.status_code == 404 and missing.json()["exc_type"] == "DoesNotExistError"


def test_form_encoded_data_field_is_the_document(admin: SiteClient) -> None:
    response = admin.post("/api/resource/ToDo", data={"data": json.dumps({"description": "from data field"})})
    assert response.status_code == 200
    assert response.json()["data"]["description"] == "from data field"


def test_list_fields_filters_and_paging(admin: SiteClient) -> None:
    tag = "list-tag-v1"
    for i in range(3):
        admin.post("/api/resource/ToDo", json={"description": f"{tag} {i}", "priority": "Low"})
    params = {
        "fields": json.dumps(["name", "description", "priority"]),
        "filters": json.dumps([["description", "like", f"{tag}%"]]),
        "order_by": "description asc",
    }
    rows = admin.get("/api/resource/ToDo", params=params).json()["data"]
    assert [r["description"] for r in rows] == [f"{tag} 0", f"{tag} 1", f"{tag} 2"]
    assert set(rows[0]) == {"name", "description", "priority"}
    two = admin.get("/api/resource/ToDo", params={**params, "limit_page_length": "2"}).json()["data"]
    assert len(two) == 2
    rest = admin.get("/api/resource/ToDo", params={**params, "limit_start": "2"}).json()["data"]
    assert [r["description"] for r in rest] == [f"{tag} 2"]
    bare = admin.get("/api/resource/ToDo").json()["data"]
    assert bare and set(bare[0]) == {"name"}


def test_mandatory_error_has_frappe_body(admin: SiteClient) -> None:
    response = admin.post("/api/resource/ToDo", json={})
    assert response.status_code == 417
    body = response.json()
    assert body["exc_type"] == "MandatoryError"
    assert _server_messages(body)[0]["message"] == "Error: Value missing for ToDo: Description"


def test_unknown_doctype_and_unknown_field(admin: SiteClient) -> None:
    response = admin.get("/api/resource/NoSuchDocType")
    assert response.status_code == 404 and response.json()["exc_type"] == "DoesNotExistError"
    bad = admin.get("/api/resource/ToDo", params={"fields": json.dumps(["nope"])})
    assert bad.status_code == 417 and bad.json()["exc_type"] == "DataError"
    assert "Field not permitted in query: nope" in _server_messages(bad.json())[0]["message"]


def test_guest_is_refused(guest: SiteClient) -> None:
    response = guest.get("/api/resource/ToDo")
    assert response.status_code == 403 and response.json()["exc_type"] == "PermissionError"


def test_patch_is_not_a_v1_method(admin: SiteClient) -> None:
    response = admin.patch("/api/resource/ToDo/anything", json={})
    assert response.status_code == 405
    assert "PUT" in response.headers["allow"]
