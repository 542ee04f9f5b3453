"""The document lifecycle through the HTTP API on every backend (documents spec 5, 5.7-5.10).

Child tables on save, atomic writes, optimistic concurrency, docstatus transitions, amendment and
delete rules. Each test creates its own DocTypes through ``POST /api/resource/DocType``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.v1.doctypes import FULL_RIGHTS, make_doctype, make_role, make_user, unique
from tests.conftest import SiteClient


@pytest.fixture(scope="module")
def row_type(admin: SiteClient) -> str:
    return make_doctype(
        admin,
        "LifecycleRow",
        [
            {"fieldname": "item", "fieldtype": "Data", "reqd": 1},
            {"fieldname": "qty", "fieldtype": "Int"},
            {"fieldname": "code", "fieldtype": "Data", "unique": 1},
        ],
        istable=1,
        sep="",  # one word: db/dialects/sqlite.py misreads key clashes in tables named with spaces
    )


@pytest.fixture(scope="module")
def parent_type(admin: SiteClient, row_type: str) -> str:
    return make_doctype(
        admin,
        "Lifecycle Parent",
        [
            {"fieldname": "title", "fieldtype": "Data"},
            {"fieldname": "note", "fieldtype": "Data"},
            {"fieldname": "items", "fieldtype": "Table", "options": row_type},
        ],
    )


@pytest.fixture(scope="module")
def submittable(admin: SiteClient, row_type: str) -> str:
    return make_doctype(
        admin,
        "Lifecycle Order",
        [
            {"fieldname": "title", "fieldtype": "Data"},
            {"fieldname": "remark", "fieldtype": "Data", "allow_on_submit": 1},
            {"fieldname": "items", "fieldtype": "Table", "options": row_type},
        ],
        is_submittable=1,
    )


def _get(admin: SiteClient, doctype: str, name: str) -> dict[str, Any]:
    response = admin.get(f"/api/v2/document/{doctype}/{name}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _count(admin: SiteClient, doctype: str, **filters: Any) -> int:
    response = admin.get(f"/api/v2/doctype/{doctype}/count", params={"filters": _json(filters)})
    assert response.status_code == 200, response.text
    return int(response.json()["data"])


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


# -- partial updates ---------------------------------------------------------------------------------


def test_v1_update_is_partial(admin: SiteClient, parent_type: str) -> None:
    doc = admin.post(f"/api/resource/{parent_type}", json={"title": "t", "note": "n"}).json()["data"]
    updated = admin.put(f"/api/resource/{parent_type}/{doc['name']}", json={"note": "changed"})
    assert updated.status_code == 200
    stored = _get(admin, parent_type, doc["name"])
    assert stored["title"] == "t" and stored["note"] == "changed"


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_v2_patch_and_put_update(admin: SiteClient, parent_type: str, method: str) -> None:
    doc = admin.post(f"/api/v2/document/{parent_type}", json={"title": "t", "note": "n"}).json()["data"]
    response = admin.request(method, f"/api/v2/document/{parent_type}/{doc['name']}", json={"note": method})
    assert response.status_code == 200
    assert response.json()["data"]["note"] == method and response.json()["data"]["title"] == "t"
    assert _get(admin, parent_type, doc["name"])["note"] == method


def test_a_body_name_never_redirects_the_update(admin: SiteClient, parent_type: str) -> None:
    a = admin.post(f"/api/v2/document/{parent_type}", json={"title": "a"}).json()["data"]["name"]
    b = admin.post(f"/api/v2/document/{parent_type}", json={"title": "b"}).json()["data"]["name"]
    response = admin.put(f"/api/v2/document/{parent_type}/{a}", json={"name": b, "title": "a2"})
    assert response.status_code == 200 and response.json()["data"]["name"] == a
    assert _get(admin, parent_type, a)["title"] == "a2" and _get(admin, parent_type, b)["title"] == "b"


# -- optimistic concurrency --------------------------------------------------------------------------


def test_stale_modified_is_a_timestamp_mismatch_and_writes_nothing(
    admin: SiteClient, parent_type: str
) -> None:
    doc = admin.post(f"/api/v2/document/{parent_type}", json={"title": "v1"}).json()["data"]
    stale = doc["modified"]
    fresh = admin.put(f"/api/v2/document/{parent_type}/{doc['name']}", json={"title": "v2"}).json()["data"]
    assert fresh["modified"] != stale
    for url in (
        f"/api/v2/document/{parent_type}/{doc['name']}",
        f"/api/resource/{parent_type}/{doc['name']}",
    ):
        response = admin.put(url, json={"title": "lost update", "modified": stale})
        assert response.status_code == 417
        body = response.json()
        exc_type = body["errors"][0]["type"] if "errors" in body else body["exc_type"]
        assert exc_type == "TimestampMismatchError"
    stored = _get(admin, parent_type, doc["name"])
    assert stored["title"] == "v2" and stored["modified"] == fresh["modified"]
    echoed = admin.put(
        f"/api/v2/document/{parent_type}/{doc['name']}", json={"title": "v3", "modified": fresh["modified"]}
    )
    assert echoed.status_code == 200 and echoed.json()["data"]["title"] == "v3"


# -- child tables ------------------------------------------------------------------------------------


def test_put_with_the_table_key_replaces_the_table(admin: SiteClient, parent_type: str) -> None:
    doc = admin.post(
        f"/api/v2/document/{parent_type}",
        json={"title": "rows", "items": [{"item": "a", "qty": 1}, {"item": "b", "qty": 2}, {"item": "c"}]},
    ).json()["data"]
    a, b, c = doc["items"]
    assert [r["idx"] for r in doc["items"]] == [1, 2, 3]
    assert all(r["parent"] == doc["name"] and r["parentfield"] == "items" for r in doc["items"])
    assert all(r["parenttype"] == parent_type for r in doc["items"])
    body = {
        "items": [
            {"name": c["name"], "item": "c2", "qty": 30},
            {"item": "new"},
            {"name": a["name"], "item": "a"},
        ]
    }
    response = admin.put(f"/api/v2/document/{parent_type}/{doc['name']}", json=body)
    assert response.status_code == 200, response.text
    rows = _get(admin, parent_type, doc["name"])["items"]
    assert [(r["item"], r["idx"]) for r in rows] == [("c2", 1), ("new", 2), ("a", 3)]
    assert rows[0]["name"] == c["name"] and rows[0]["qty"] == 30 and rows[2]["name"] == a["name"]
    assert rows[1]["name"] not in (a["name"], b["name"], c["name"])
    assert admin.get(f"/api/v2/document/{_row_type(admin, parent_type)}/{b['name']}").status_code == 404


def _row_type(admin: SiteClient, parent_type: str) -> str:
    meta = admin.get(f"/api/v2/doctype/{parent_type}/meta").json()["data"]
    return str(next(f["options"] for f in meta["fields"] if f["fieldname"] == "items"))


def test_idx_is_kept_as_sent(admin: SiteClient, parent_type: str) -> None:
    doc = admin.post(
        f"/api/v2/document/{parent_type}",
        json={"items": [{"item": "x", "idx": 5}, {"item": "y", "idx": 2}, {"item": "z"}]},
    ).json()["data"]
    assert [(r["item"], r["idx"]) for r in doc["items"]] == [("x", 5), ("y", 2), ("z", 3)]
    stored = _get(admin, parent_type, doc["name"])["items"]
    assert [(r["item"], r["idx"]) for r in stored] == [("y", 2), ("z", 3), ("x", 5)]


def test_body_without_the_table_key_leaves_the_table_untouched(admin: SiteClient, parent_type: str) -> None:
    doc = admin.post(f"/api/v2/document/{parent_type}", json={"items": [{"item": "keep"}]}).json()["data"]
    for url in (
        f"/api/v2/document/{parent_type}/{doc['name']}",
        f"/api/resource/{parent_type}/{doc['name']}",
    ):
        assert admin.put(url, json={"title": "only the title"}).status_code == 200
    rows = _get(admin, parent_type, doc["name"])["items"]
    assert [(r["name"], r["item"]) for r in rows] == [(doc["items"][0]["name"], "keep")]


@pytest.mark.parametrize("empty", [[], None])
def test_an_empty_or_null_table_clears_it(admin: SiteClient, parent_type: str, empty: Any) -> None:
    doc = admin.post(f"/api/v2/document/{parent_type}", json={"items": [{"item": "gone"}]}).json()["data"]
    assert (
        admin.put(f"/api/v2/document/{parent_type}/{doc['name']}", json={"items": empty}).status_code == 200
    )
    assert _get(admin, parent_type, doc["name"])["items"] == []


def test_a_failing_child_row_leaves_no_parent_row(admin: SiteClient, parent_type: str) -> None:
    title = unique("atomic")
    code = unique("code", "-")
    before = _count(admin, parent_type)
    # Both rows carry the same unique code: the second row's INSERT fails in the database, after the
    # parent's INSERT ran in the same transaction.
    response = admin.post(
        f"/api/v2/document/{parent_type}",
        json={"title": title, "items": [{"item": "a", "code": code}, {"item": "b", "code": code}]},
    )
    assert response.status_code == 409, response.text
    assert response.json()["errors"][0]["type"] == "UniqueValidationError"
    assert _count(admin, parent_type) == before
    assert _count(admin, parent_type, title=title) == 0
    invalid = admin.post(f"/api/v2/document/{parent_type}", json={"title": title, "items": [{"qty": 1}]})
    assert invalid.status_code == 417 and invalid.json()["errors"][0]["type"] == "MandatoryError"
    assert _count(admin, parent_type) == before


def test_child_row_names_sent_on_create_are_replaced(admin: SiteClient, parent_type: str) -> None:
    same = unique("row", "-")
    doc = admin.post(
        f"/api/v2/document/{parent_type}",
        json={"items": [{"name": same, "item": "a"}, {"name": same, "item": "b"}]},
    )
    assert doc.status_code == 200
    names = [r["name"] for r in doc.json()["data"]["items"]]
    assert same not in names and len(set(names)) == 2


def test_a_failing_child_row_on_update_leaves_parent_and_rows_unchanged(
    admin: SiteClient, parent_type: str
) -> None:
    doc = admin.post(
        f"/api/v2/document/{parent_type}", json={"title": "before", "items": [{"item": "a"}]}
    ).json()
    name, row = doc["data"]["name"], doc["data"]["items"][0]["name"]
    other = admin.post(f"/api/v2/document/{parent_type}", json={"items": [{"item": "o"}]}).json()["data"]
    stolen = other["items"][0]["name"]
    response = admin.put(
        f"/api/v2/document/{parent_type}/{name}",
        json={"title": "after", "items": [{"item": "fresh"}, {"name": stolen, "item": "hijack"}]},
    )
    assert response.status_code == 409
    stored = _get(admin, parent_type, name)
    assert stored["title"] == "before" and [r["name"] for r in stored["items"]] == [row]
    assert [(r["name"], r["item"]) for r in _get(admin, parent_type, other["name"])["items"]] == [
        (stolen, "o")
    ]


def test_table_field_given_a_string_or_objects_is_refused(admin: SiteClient, parent_type: str) -> None:
    for bad in ("not rows", {"item": "x"}, ["not a row"], 5):
        response = admin.post(f"/api/v2/document/{parent_type}", json={"title": "bad", "items": bad})
        assert response.status_code == 417, bad
        assert response.json()["errors"][0]["type"] in ("DataError", "ValidationError")


# -- docstatus ---------------------------------------------------------------------------------------


def _new_order(admin: SiteClient, doctype: str, **values: Any) -> dict[str, Any]:
    response = admin.post(f"/api/v2/document/{doctype}", json={"title": "order", **values})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_submit_cancel_and_the_transition_table(admin: SiteClient, submittable: str) -> None:
    doc = _new_order(admin, submittable, items=[{"item": "a"}])
    url = f"/api/v2/document/{submittable}/{doc['name']}"
    bad = admin.put(url, json={"docstatus": 2})
    assert bad.status_code == 417 and bad.json()["errors"][0]["type"] == "DocstatusTransitionError"
    assert "from 0 (Draft) to 2 (Cancelled)" in bad.json()["errors"][0]["message"]
    submitted = admin.put(url, json={"docstatus": 1})
    assert submitted.status_code == 200 and submitted.json()["data"]["docstatus"] == 1
    assert submitted.json()["data"]["items"][0]["docstatus"] == 1
    back = admin.put(url, json={"docstatus": 0})
    assert back.status_code == 417 and back.json()["errors"][0]["type"] == "DocstatusTransitionError"
    assert "from 1 (Submitted) to 0 (Draft)" in back.json()["errors"][0]["message"]
    locked = admin.put(url, json={"title": "changed after submit"})
    assert locked.status_code == 417 and locked.json()["errors"][0]["type"] == "UpdateAfterSubmitError"
    allowed = admin.put(url, json={"remark": "allowed on submit"})
    assert allowed.status_code == 200 and allowed.json()["data"]["remark"] == "allowed on submit"
    cancelled = admin.put(f"/api/resource/{submittable}/{doc['name']}", json={"docstatus": 2})
    assert cancelled.status_code == 200 and cancelled.json()["data"]["docstatus"] == 2
    for body in ({"remark": "x"}, {"docstatus": 2}, {"docstatus": 0}, {"docstatus": 1}):
        refused = admin.put(url, json=body)
        assert refused.status_code == 417 and refused.json()["errors"][0]["type"] == "ValidationError"
        assert refused.json()["errors"][0]["message"] == "Cannot edit cancelled document"
    stored = _get(admin, submittable, doc["name"])
    assert stored["docstatus"] == 2 and stored["remark"] == "allowed on submit"


def test_insert_as_submitted(admin: SiteClient, submittable: str) -> None:
    doc = _new_order(admin, submittable, docstatus=1)
    assert doc["docstatus"] == 1
    assert _get(admin, submittable, doc["name"])["docstatus"] == 1


def test_submit_needs_submit_permission(admin: SiteClient, sites_root: Path, row_type: str) -> None:
    role = make_role(admin)
    doctype = make_doctype(
        admin,
        "No Submit",
        [{"fieldname": "title", "fieldtype": "Data"}],
        is_submittable=1,
        permissions=[
            {"role": role, "read": 1, "write": 1, "create": 1, "delete": 1, "submit": 0},
            FULL_RIGHTS,
        ],
    )
    clerk = make_user(admin, sites_root, [role])
    doc = clerk.post(f"/api/v2/document/{doctype}", json={"title": "draft"})
    assert doc.status_code == 200
    name = doc.json()["data"]["name"]
    refused = clerk.put(f"/api/v2/document/{doctype}/{name}", json={"docstatus": 1})
    assert refused.status_code == 403 and refused.json()["errors"][0]["type"] == "PermissionError"
    assert _get(admin, doctype, name)["docstatus"] == 0
    direct = clerk.post(f"/api/v2/document/{doctype}", json={"title": "direct", "docstatus": 1})
    assert direct.status_code == 403
    assert admin.put(f"/api/v2/document/{doctype}/{name}", json={"docstatus": 1}).status_code == 200


def test_amendments_are_named_dash_one_then_dash_two(admin: SiteClient, submittable: str) -> None:
    source = _new_order(admin, submittable, docstatus=1, items=[{"item": "a"}])
    not_cancelled = admin.post(f"/api/v2/document/{submittable}", json={"amended_from": source["name"]})
    assert not_cancelled.status_code == 417
    assert "cannot be amended because it is not cancelled" in not_cancelled.json()["errors"][0]["message"]
    assert (
        admin.put(f"/api/v2/document/{submittable}/{source['name']}", json={"docstatus": 2}).status_code
        == 200
    )
    first = admin.post(
        f"/api/v2/document/{submittable}", json={"title": "amended", "amended_from": source["name"]}
    )
    assert first.status_code == 200, first.text
    assert first.json()["data"]["name"] == f"{source['name']}-1"
    assert first.json()["data"]["docstatus"] == 0
    first_name = first.json()["data"]["name"]
    assert admin.put(f"/api/v2/document/{submittable}/{first_name}", json={"docstatus": 1}).status_code == 200
    assert admin.put(f"/api/v2/document/{submittable}/{first_name}", json={"docstatus": 2}).status_code == 200
    second = admin.post(f"/api/resource/{submittable}", json={"title": "again", "amended_from": first_name})
    assert second.status_code == 200 and second.json()["data"]["name"] == f"{source['name']}-2"


def test_submitted_documents_cannot_be_deleted(admin: SiteClient, submittable: str) -> None:
    doc = _new_order(admin, submittable, docstatus=1)
    for url in (
        f"/api/resource/{submittable}/{doc['name']}",
        f"/api/v2/document/{submittable}/{doc['name']}",
    ):
        response = admin.delete(url)
        assert response.status_code == 417
        assert "Submitted Record cannot be deleted" in response.text
    assert _get(admin, submittable, doc["name"])["docstatus"] == 1
    assert (
        admin.put(f"/api/v2/document/{submittable}/{doc['name']}", json={"docstatus": 2}).status_code == 200
    )
    assert admin.delete(f"/api/v2/document/{submittable}/{doc['name']}").status_code == 202


# -- delete and links --------------------------------------------------------------------------------


def test_delete_is_refused_while_another_document_links_to_it(admin: SiteClient, parent_type: str) -> None:
    target = admin.post(f"/api/v2/document/{parent_type}", json={"title": "target"}).json()["data"]["name"]
    referrer_type = make_doctype(
        admin, "Lifecycle Ref", [{"fieldname": "target", "fieldtype": "Link", "options": parent_type}]
    )
    ref = admin.post(f"/api/v2/document/{referrer_type}", json={"target": target})
    assert ref.status_code == 200, ref.text
    for url in (f"/api/resource/{parent_type}/{target}", f"/api/v2/document/{parent_type}/{target}"):
        refused = admin.delete(url)
        assert refused.status_code == 417
        body = refused.json()
        assert (body.get("exc_type") or body["errors"][0]["type"]) == "LinkExistsError"
    assert _get(admin, parent_type, target)["title"] == "target"
    ref_name = ref.json()["data"]["name"]
    assert admin.put(f"/api/v2/document/{referrer_type}/{ref_name}", json={"target": None}).status_code == 200
    assert admin.delete(f"/api/v2/document/{parent_type}/{target}").status_code == 202
    assert admin.get(f"/api/v2/document/{parent_type}/{target}").status_code == 404


def test_delete_removes_child_rows(admin: SiteClient, parent_type: str) -> None:
    doc = admin.post(f"/api/v2/document/{parent_type}", json={"items": [{"item": "a"}, {"item": "b"}]}).json()
    rows = [r["name"] for r in doc["data"]["items"]]
    assert admin.delete(f"/api/resource/{parent_type}/{doc['data']['name']}").status_code == 202
    row_type = _row_type(admin, parent_type)
    for row in rows:
        assert admin.get(f"/api/v2/document/{row_type}/{row}").status_code == 404


def test_v2_delete_of_a_child_row_goes_through_the_parent(admin: SiteClient, parent_type: str) -> None:
    doc = admin.post(f"/api/v2/document/{parent_type}", json={"items": [{"item": "a"}, {"item": "b"}]}).json()
    first, second = (r["name"] for r in doc["data"]["items"])
    row_type = _row_type(admin, parent_type)
    assert admin.delete(f"/api/v2/document/{row_type}/{first}").status_code == 202
    assert [r["name"] for r in _get(admin, parent_type, doc["data"]["name"])["items"]] == [second]
    assert admin.delete(f"/api/v2/document/{row_type}/{first}").status_code == 404


def test_updating_a_child_row_saves_it_through_its_parent(admin: SiteClient, parent_type: str) -> None:
    doc = admin.post(f"/api/v2/document/{parent_type}", json={"items": [{"item": "a"}, {"item": "b"}]}).json()
    parent, (first, second) = doc["data"], doc["data"]["items"]
    row_type = _row_type(admin, parent_type)
    for version, url in ((1, f"/api/resource/{row_type}/{first['name']}"),
                         (2, f"/api/v2/document/{row_type}/{first['name']}")):  # fmt: skip
        response = admin.put(url, json={"qty": 10 + version, "parent": "elsewhere"})
        assert response.status_code == 200, response.text
        row = response.json()["data"]
        assert row["qty"] == 10 + version and row["parent"] == parent["name"]
    stored = _get(admin, parent_type, parent["name"])
    assert [(r["name"], r["qty"]) for r in stored["items"]] == [(first["name"], 12), (second["name"], 0)]
    assert stored["modified"] > parent["modified"]
