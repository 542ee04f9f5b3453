"""Desk calls (``frappe.desk.form.load.*``, ``frappe.desk.reportview.*``) and User's whitelisted
functions, as frappe-ui and frappe-react-sdk call them, checked as an attacker would (users without
read, fields above the user's permission level), on every backend.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_permissions_matrix import make_role, make_user, ok, rule, uid
from tests.conftest import SiteClient


@dataclass
class Desk:
    doctype: str
    child: str
    reader: SiteClient  # read at level 0 only
    outsider: SiteClient  # no rule on the DocType
    doc: str


@pytest.fixture(scope="module")
def desk(admin: SiteClient, sites_root: Path) -> Desk:
    role = make_role(admin, "Desk Reader")
    child, doctype = uid("Desk Item"), uid("Desk Doc")
    ok(admin.post("/api/resource/DocType", json={
        "name": child, "custom": 1, "module": "Custom", "istable": 1,
        "fields": [{"fieldname": "item", "fieldtype": "Data"}, {"fieldname": "cost", "fieldtype": "Int", "permlevel": 1}],
    }))  # fmt: skip
    ok(admin.post("/api/resource/DocType", json={
        "name": doctype, "custom": 1, "module": "Custom",
        "fields": [
            {"fieldname": "title", "fieldtype": "Data"},
            {"fieldname": "secret", "fieldtype": "Data", "permlevel": 1},
            {"fieldname": "items", "fieldtype": "Table", "options": child},
        ],
        "permissions": [rule(role, read=1, write=1, create=1)],
    }))  # fmt: skip
    body = {"title": "first", "secret": "s3cret", "items": [{"item": "a", "cost": 9}]}
    name = ok(admin.post(f"/api/resource/{doctype}", json=body))["data"]["name"]
    ok(admin.post(f"/api/resource/{doctype}", json={"title": "second", "secret": "other"}))
    return Desk(doctype, child, make_user(admin, sites_root, [role]), make_user(admin, sites_root, []), name)


def _call(client: SiteClient, method: str, version: int = 1, **params: Any) -> Any:
    prefix = "/api/method" if version == 1 else "/api/v2/method"
    return client.get(f"{prefix}/{method}", params=params)


# -- getdoctype ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
def test_getdoctype_sends_the_doctype_and_its_child_doctypes_in_docs(desk: Desk, version: int) -> None:
    body = ok(_call(desk.reader, "frappe.desk.form.load.getdoctype", version, doctype=desk.doctype))
    docs = body["docs"]
    assert [d["name"] for d in docs] == [desk.doctype, desk.child]
    assert all(d["doctype"] == "DocType" for d in docs)
    assert [f["fieldname"] for f in docs[0]["fields"]] == ["title", "secret", "items"]
    assert docs[1]["istable"] == 1
    assert json.loads(body["user_settings"]) == {}  # frappe-ui's getMeta JSON.parses it


def test_getdoctype_with_parent_of_a_child_sends_the_parents_bundle(desk: Desk) -> None:
    body = ok(_call(desk.reader, "frappe.desk.form.load.getdoctype", doctype=desk.child, with_parent=1))
    assert body["parent_dt"] == desk.doctype
    assert [d["name"] for d in body["docs"]] == [desk.doctype, desk.child]
    # The parent must still be readable.
    assert (
        _call(
            desk.outsider, "frappe.desk.form.load.getdoctype", doctype=desk.child, with_parent=1
        ).status_code
        == 403
    )


def test_getdoctype_answers_use_cache_for_an_unchanged_doctype(desk: Desk) -> None:
    first = ok(_call(desk.reader, "frappe.desk.form.load.getdoctype", doctype=desk.doctype))
    again = ok(
        _call(
            desk.reader,
            "frappe.desk.form.load.getdoctype",
            doctype=desk.doctype,
            cached_timestamp=first["docs"][0]["modified"],
        )
    )
    assert again["message"] == "use_cache" and "docs" not in again


def test_getdoctype_is_403_without_read_on_the_doctype(desk: Desk, guest: SiteClient) -> None:
    for client in (desk.outsider, guest):
        response = _call(client, "frappe.desk.form.load.getdoctype", doctype=desk.doctype)
        assert response.status_code == 403, response.text
        assert "docs" not in response.json()
    # A child DocType is not readable on its own.
    response = _call(desk.reader, "frappe.desk.form.load.getdoctype", doctype=desk.child)
    assert response.status_code == 403


# -- getdoc -------------------------------------------------------------------------------------------


def test_getdoc_sends_the_document_and_docinfo_without_hidden_fields(desk: Desk, admin: SiteClient) -> None:
    body = ok(_call(desk.reader, "frappe.desk.form.load.getdoc", doctype=desk.doctype, name=desk.doc))
    (doc,) = body["docs"]
    assert doc["name"] == desk.doc and doc["title"] == "first"
    assert "secret" not in doc and "cost" not in doc["items"][0] and doc["items"][0]["item"] == "a"
    info = body["docinfo"]
    assert info["permissions"]["read"] == 1 and info["permissions"]["delete"] == 0
    assert {"attachments", "comments", "versions", "assignments", "shared"} <= set(info)
    full = ok(_call(admin, "frappe.desk.form.load.getdoc", doctype=desk.doctype, name=desk.doc))
    assert full["docs"][0]["secret"] == "s3cret" and full["docs"][0]["items"][0]["cost"] == 9


def test_getdoc_of_a_missing_document_is_an_empty_list(desk: Desk) -> None:
    body = ok(_call(desk.reader, "frappe.desk.form.load.getdoc", doctype=desk.doctype, name="no-such-doc"))
    assert body["message"] == [] and "docs" not in body


def test_getdoc_is_403_without_read(desk: Desk, guest: SiteClient) -> None:
    for client in (desk.outsider, guest):
        response = _call(client, "frappe.desk.form.load.getdoc", doctype=desk.doctype, name=desk.doc)
        assert response.status_code == 403, response.text
        assert "s3cret" not in response.text


# -- reportview ---------------------------------------------------------------------------------------


def test_reportview_get_answers_keys_and_values(desk: Desk) -> None:
    fields = json.dumps([f"`tab{desk.doctype}`.`name`", f"`tab{desk.doctype}`.`title`"])
    body = ok(
        desk.reader.post(
            "/api/method/frappe.desk.reportview.get",
            data={"doctype": desk.doctype, "fields": fields, "order_by": f"`tab{desk.doctype}`.`title` asc",
                  "start": 0, "page_length": 20},
        )
    )  # fmt: skip
    message = body["message"]
    assert message["keys"] == ["name", "title"]
    assert [row[1] for row in message["values"]] == ["first", "second"]
    paged = ok(
        _call(desk.reader, "frappe.desk.reportview.get", doctype=desk.doctype, fields=fields, page_length=1)
    )
    assert len(paged["message"]["values"]) == 1
    filtered = ok(
        _call(
            desk.reader, "frappe.desk.reportview.get", doctype=desk.doctype, fields=fields,
            filters=json.dumps([[desk.doctype, "title", "=", "nothing"]]),
        )
    )  # fmt: skip
    assert filtered["message"] == []


def test_reportview_leaves_out_fields_above_the_users_level(desk: Desk, admin: SiteClient) -> None:
    fields = json.dumps(["name", "title", "secret"])
    reader = ok(_call(desk.reader, "frappe.desk.reportview.get", doctype=desk.doctype, fields=fields))
    assert "secret" not in reader["message"]["keys"]
    assert "s3cret" not in json.dumps(reader)
    full = ok(_call(admin, "frappe.desk.reportview.get", doctype=desk.doctype, fields=fields))
    assert "secret" in full["message"]["keys"]


def test_reportview_get_and_count_are_403_without_read(desk: Desk, guest: SiteClient) -> None:
    for client in (desk.outsider, guest):
        for method in ("frappe.desk.reportview.get", "frappe.desk.reportview.get_count"):
            response = _call(client, method, doctype=desk.doctype)
            assert response.status_code == 403, (method, response.text)


def test_reportview_get_count(desk: Desk) -> None:
    assert ok(_call(desk.reader, "frappe.desk.reportview.get_count", doctype=desk.doctype))["message"] == 2
    filters = json.dumps({"title": "first"})
    count = ok(_call(desk.reader, "frappe.desk.reportview.get_count", doctype=desk.doctype, filters=filters))
    assert count["message"] == 1


def test_reportview_bad_input_is_a_clear_4xx(desk: Desk) -> None:
    for params in (
        {"doctype": desk.doctype, "fields": json.dumps(["name; drop table x"])},
        {"doctype": desk.doctype, "order_by": "title; select 1"},
        {"doctype": desk.doctype, "filters": "{not json"},
        {"doctype": "No Such DocType"},
        {},
    ):
        response = _call(desk.reader, "frappe.desk.reportview.get", **params)
        assert 400 <= response.status_code < 500, (params, response.status_code, response.text)


def test_search_link_is_kept(desk: Desk) -> None:
    body = ok(_call(desk.reader, "frappe.desk.search.search_link", doctype=desk.doctype, txt=desk.doc[:4]))
    assert any(row["value"] == desk.doc for row in body["message"])


# -- User's whitelisted functions ---------------------------------------------------------------------


def test_get_all_roles_through_v2_doctype_method_and_v1_path(desk: Desk, admin: SiteClient) -> None:
    v2 = ok(desk.reader.get("/api/v2/method/User/get_all_roles"))["data"]
    assert "System Manager" in v2 and v2 == sorted(v2)
    assert not {"Administrator", "Guest", "All"} & set(v2)
    v1 = ok(_call(desk.reader, "frappe.core.doctype.user.user.get_all_roles"))["message"]
    assert v1 == v2


def test_user_functions_are_not_for_guests(guest: SiteClient) -> None:
    assert guest.get("/api/v2/method/User/get_all_roles").status_code == 403
    assert guest.get("/api/method/frappe.core.doctype.user.user.get_roles").status_code == 403


def test_get_roles_of_another_user_needs_system_manager(desk: Desk, admin: SiteClient) -> None:
    own = ok(desk.reader.get("/api/v2/method/User/get_roles"))["data"]
    assert "All" in own and "System Manager" not in own
    other = desk.outsider.name  # type: ignore[attr-defined]
    assert desk.reader.get("/api/v2/method/User/get_roles", params={"uid": other}).status_code == 403
    assert "All" in ok(admin.get("/api/v2/method/User/get_roles", params={"uid": other}))["data"]
    zones = ok(desk.reader.get("/api/v2/method/User/get_timezones"))["data"]["timezones"]
    assert "Asia/Kolkata" in zones


def test_a_share_opens_getdoc_and_the_list_to_one_document_only(
    desk: Desk, admin: SiteClient, sites_root: Path
) -> None:
    stranger = make_user(admin, sites_root, [])
    other = ok(admin.post(f"/api/resource/{desk.doctype}", json={"title": "shared", "secret": "hidden"}))[
        "data"
    ]["name"]
    assert (
        _call(stranger, "frappe.desk.form.load.getdoc", doctype=desk.doctype, name=other).status_code == 403
    )
    ok(admin.post("/api/method/frappe.share.add", json={
        "doctype": desk.doctype, "name": other, "user": stranger.name,  # type: ignore[attr-defined]
    }))  # fmt: skip
    body = ok(_call(stranger, "frappe.desk.form.load.getdoc", doctype=desk.doctype, name=other))
    assert body["docs"][0]["title"] == "shared" and "secret" not in body["docs"][0]
    assert body["docinfo"]["permissions"]["read"] == 1 and body["docinfo"]["permissions"]["write"] == 0
    assert body["docinfo"]["shared"][0]["user"] == stranger.name  # type: ignore[attr-defined]
    rows = ok(
        _call(stranger, "frappe.desk.reportview.get", version=2, doctype=desk.doctype, fields='["name"]')
    )
    assert rows["data"] == {"keys": ["name"], "values": [[other]], "user_info": {}}
    assert (
        _call(stranger, "frappe.desk.form.load.getdoc", doctype=desk.doctype, name=desk.doc).status_code
        == 403
    )
