"""How v1 and v2 read a request's parameters (transport spec 3.1-3.3), seen through real documents."""

from __future__ import annotations

import json

import pytest

from tests.api.v1.doctypes import make_doctype
from tests.conftest import SiteClient


@pytest.fixture(scope="module")
def doctype(admin: SiteClient) -> str:
    return make_doctype(
        admin,
        "Form Note",
        [
            {"fieldname": "title", "fieldtype": "Data"},
            {"fieldname": "notes", "fieldtype": "Small Text"},
            {"fieldname": "count", "fieldtype": "Int"},
        ],
    )


def test_json_object_body_ignores_the_query_string(admin: SiteClient, doctype: str) -> None:
    response = admin.post(f"/api/v2/document/{doctype}?title=from-query&count=9", json={"notes": "body"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["notes"] == "body" and data["title"] is None and data["count"] == 0


def test_query_and_form_fields_merge_with_form_winning(admin: SiteClient, doctype: str) -> None:
    response = admin.post(
        f"/api/v2/document/{doctype}?title=from-query&notes=q1&notes=q2",
        data={"title": "from-form", "count": "4"},
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["title"], data["notes"], data["count"]) == ("from-form", "q1", 4)


def test_first_repeated_form_value_wins(admin: SiteClient, doctype: str) -> None:
    response = admin.post(
        f"/api/v2/document/{doctype}",
        content="title=first&title=second",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200 and response.json()["data"]["title"] == "first"


def test_cache_buster_is_ignored(admin: SiteClient, doctype: str) -> None:
    listed = admin.get(f"/api/resource/{doctype}", params={"_": "1700000000000", "limit": "1"})
    assert listed.status_code == 200 and isinstance(listed.json()["data"], list)
    created = admin.post(f"/api/v2/document/{doctype}?_=123", data={"title": "busted"})
    assert created.status_code == 200 and created.json()["data"]["title"] == "busted"


def test_v1_data_field_as_json_string_in_a_form(admin: SiteClient, doctype: str) -> None:
    doc = {"title": "frappe-client", "count": 3, "doctype": "Ignored"}
    created = admin.post(f"/api/resource/{doctype}", data={"data": json.dumps(doc)})
    assert created.status_code == 200
    data = created.json()["data"]
    assert data["title"] == "frappe-client" and data["count"] == 3 and data["doctype"] == doctype
    updated = admin.put(f"/api/resource/{doctype}/{data['name']}", data={"data": json.dumps({"count": 5})})
    assert updated.status_code == 200
    assert updated.json()["data"]["count"] == 5 and updated.json()["data"]["title"] == "frappe-client"


def test_v1_data_key_as_json_string_inside_a_json_body(admin: SiteClient, doctype: str) -> None:
    created = admin.post(f"/api/resource/{doctype}", json={"data": json.dumps({"title": "nested"})})
    assert created.status_code == 200 and created.json()["data"]["title"] == "nested"


def test_v1_urlencoded_create_falls_back_to_the_whole_form(admin: SiteClient, doctype: str) -> None:
    created = admin.post(f"/api/resource/{doctype}", data={"title": "plain form", "count": "7"})
    assert created.status_code == 200
    assert created.json()["data"]["title"] == "plain form" and created.json()["data"]["count"] == 7
    name = created.json()["data"]["name"]
    updated = admin.put(f"/api/resource/{doctype}/{name}", data={"notes": "form update"})
    assert updated.status_code == 200
    assert updated.json()["data"]["notes"] == "form update" and updated.json()["data"]["count"] == 7


def test_v1_raw_json_body_without_content_type(admin: SiteClient, doctype: str) -> None:
    created = admin.post(
        f"/api/resource/{doctype}",
        content=json.dumps({"title": "raw"}),
        headers={"Content-Type": "text/plain"},
    )
    assert created.status_code == 200 and created.json()["data"]["title"] == "raw"


def test_multipart_text_fields_are_form_fields(admin: SiteClient, doctype: str) -> None:
    for url in (f"/api/resource/{doctype}", f"/api/v2/document/{doctype}"):
        created = admin.post(
            url,
            data={"title": "multipart", "count": "2"},
            files={"attachment": ("a.txt", b"ignored file part", "text/plain")},
        )
        assert created.status_code == 200, created.text
        data = created.json()["data"]
        assert data["title"] == "multipart" and data["count"] == 2


def test_json_array_body_is_the_data_parameter(admin: SiteClient, doctype: str) -> None:
    v1 = admin.post(f"/api/resource/{doctype}", json=[{"title": "in an array"}])
    assert v1.status_code == 417 and v1.json()["exc_type"] == "DataError"
    before = admin.get(f"/api/v2/doctype/{doctype}/count").json()["data"]
    v2 = admin.post(f"/api/v2/document/{doctype}", json=[{"title": "in an array"}])
    # v2 uses the form dict ({"data": [...]}) as the document: "data" is not a field, so it is ignored
    assert v2.status_code == 200 and v2.json()["data"]["title"] is None
    assert admin.get(f"/api/v2/doctype/{doctype}/count").json()["data"] == before + 1


@pytest.mark.parametrize("body", ['"a string"', "42", "true", "null"])
def test_json_scalar_bodies_are_invalid_request_arguments(admin: SiteClient, doctype: str, body: str) -> None:
    headers = {"Content-Type": "application/json"}
    v1 = admin.post(f"/api/resource/{doctype}", content=body, headers=headers)
    assert v1.status_code == 417 and v1.json()["exc_type"] == "ValidationError"
    v2 = admin.post(f"/api/v2/document/{doctype}", content=body, headers=headers)
    assert v2.status_code == 417
    assert v2.json()["errors"][0] == {
        "type": "ValidationError", "message": "Invalid request arguments", "title": "Message", "indicator": "red"
    }  # fmt: skip


def test_malformed_json_is_a_data_error_in_each_format(admin: SiteClient, doctype: str) -> None:
    headers = {"Content-Type": "application/json"}
    v1 = admin.post(f"/api/resource/{doctype}", content='{"title": ', headers=headers)
    assert v1.status_code == 417 and v1.json()["exc_type"] == "DataError"
    messages = [json.loads(m) for m in json.loads(v1.json()["_server_messages"])]
    assert messages[0]["message"].startswith("Invalid request body")
    v2 = admin.put(f"/api/v2/document/{doctype}/whatever", content="{nope}", headers=headers)
    assert v2.status_code == 417 and v2.json()["errors"][0]["type"] == "DataError"
