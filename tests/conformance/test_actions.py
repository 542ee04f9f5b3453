"""Document actions on every backend: document methods, run_doc_method, rename, comments, versions, bulk."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.rpc import fixtures
from tests.api.rpc.helpers import doctype, message, poll_job, unique, user_client
from tests.conftest import SiteClient

app_site, app_admin, app_guest = fixtures.app_site, fixtures.app_admin, fixtures.app_guest

WIDGET = "RPC Widget"


def _widget(client: SiteClient, **values: Any) -> dict[str, Any]:
    response = client.post(f"/api/v2/document/{WIDGET}", json={"title": unique("w"), **values})
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


# -- document methods ------------------------------------------------------------------------------


def test_v2_document_method_returns_data_and_docs(app_admin: SiteClient) -> None:
    w = _widget(app_admin)
    bumped = app_admin.post(f"/api/v2/document/{WIDGET}/{w['name']}/method/bump", json={"by": 3, "zzz": 1})
    assert bumped.status_code == 200
    body = bumped.json()
    assert body["data"] == 3 and body["docs"][0]["count"] == 3 and body["docs"][0]["name"] == w["name"]
    assert "note" in body["docs"][0]  # v2 documents keep null fields
    peek = app_admin.get(f"/api/v2/document/{WIDGET}/{w['name']}/method/peek")
    assert peek.json()["data"] == f"{w['name']}:3"


def test_document_method_checks(app_admin: SiteClient, app_guest: SiteClient) -> None:
    w = _widget(app_admin)
    base = f"/api/v2/document/{WIDGET}/{w['name']}/method"
    post_peek = app_admin.post(f"{base}/peek")
    assert post_peek.status_code == 403 and message(post_peek) == "Not permitted"
    hidden = app_admin.post(f"{base}/hidden")
    assert hidden.status_code == 403 and "is not whitelisted" in message(hidden)
    for bad in ("nope", "_private", "__init__"):
        missing = app_admin.post(f"{base}/{bad}")
        assert missing.status_code == 404, bad
    ghost = app_admin.post(f"/api/v2/document/{WIDGET}/no-such-widget/method/bump")
    assert ghost.status_code == 404
    guest_ok = app_guest.get(f"{base}/describe")
    assert guest_ok.status_code == 200 and guest_ok.json()["data"]["title"] == w["title"]
    guest_refused = app_guest.get(f"{base}/peek")
    assert guest_refused.status_code == 403 and "is not whitelisted" in message(guest_refused)
    wrong_type = app_admin.post(f"{base}/bump", json={"by": "lots"})
    assert wrong_type.status_code == 417 and wrong_type.json()["errors"][0]["type"] == "FrappeTypeError"


def test_get_needs_read_and_post_needs_write(app_admin: SiteClient) -> None:
    w = _widget(app_admin)
    _email, reader = user_client(app_admin, [])
    base = f"/api/v2/document/{WIDGET}/{w['name']}/method"
    assert reader.get(f"{base}/peek").status_code == 200
    refused = reader.post(f"{base}/bump")
    assert refused.status_code == 403 and refused.json()["errors"][0]["type"] == "PermissionError"
    assert app_admin.get(f"/api/v2/document/{WIDGET}/{w['name']}").json()["data"]["count"] == 0


def test_v1_run_method(app_admin: SiteClient) -> None:
    w = _widget(app_admin)
    posted = app_admin.post(f"/api/resource/{WIDGET}/{w['name']}", json={"run_method": "bump", "by": 2})
    assert posted.status_code == 200 and posted.json() == {"data": 2}
    got = app_admin.get(f"/api/resource/{WIDGET}/{w['name']}", params={"run_method": "peek"})
    assert got.json() == {"data": f"{w['name']}:2"}
    read = app_admin.get(f"/api/resource/{WIDGET}/{w['name']}")
    assert read.json()["data"]["count"] == 2
    missing = app_admin.post(f"/api/resource/{WIDGET}/{w['name']}", json={})
    assert missing.status_code == 417


def test_v1_run_doc_method_with_dt_dn_and_with_docs(app_admin: SiteClient) -> None:
    w = _widget(app_admin)
    by_name = app_admin.get(
        "/", params={"cmd": "run_doc_method", "dt": WIDGET, "dn": w["name"], "method": "peek"}
    )
    assert by_name.status_code == 200
    assert by_name.json()["message"] == f"{w['name']}:0" and by_name.json()["docs"][0]["name"] == w["name"]
    assert "note" not in by_name.json()["docs"][0]  # v1 documents omit nulls
    in_memory = {**w, "title": w["title"], "count": 9}
    described = app_admin.post(
        "/api/method/run_doc_method",
        data={"docs": json.dumps(in_memory), "method": "describe", "args": json.dumps({"k": 1})},
    )
    assert described.status_code == 200
    assert described.json()["message"] == {"title": w["title"], "args": {"k": 1}}
    assert described.json()["docs"][0]["count"] == 9
    stale = app_admin.post(
        "/api/method/run_doc_method",
        data={"docs": json.dumps({**w, "modified": "2001-01-01 00:00:00"}), "method": "describe"},
    )
    assert stale.status_code == 417 and stale.json()["exc_type"] == "TimestampMismatchError"
    bad = app_admin.post("/api/method/run_doc_method", data={"docs": "{broken", "method": "describe"})
    assert bad.status_code == 417


def test_v2_run_doc_method(app_admin: SiteClient, app_guest: SiteClient) -> None:
    w = _widget(app_admin)
    posted = app_admin.post(
        "/api/v2/method/run_doc_method",
        json={"method": "bump", "document": w, "kwargs": {"by": 4, "unknown": True}},
    )
    assert posted.status_code == 200 and posted.json()["data"] == 4
    assert posted.json()["docs"][0]["count"] == 4
    fresh = app_admin.get(f"/api/v2/document/{WIDGET}/{w['name']}").json()["data"]
    read = app_guest.get(
        "/api/v2/method/run_doc_method", params={"method": "describe", "document": json.dumps(fresh)}
    )
    assert read.status_code == 200 and read.json()["data"]["title"] == w["title"]
    not_dict = app_admin.post("/api/v2/method/run_doc_method", json={"method": "bump", "document": [1]})
    assert not_dict.status_code == 417 and message(not_dict) == "'document' must be a dictionary"
    no_method = app_admin.post("/api/v2/method/run_doc_method", json={"document": fresh})
    assert no_method.status_code == 417


# -- standard methods on any DocType ---------------------------------------------------------------


def test_add_comment_updates_the_comments_cache(admin: SiteClient) -> None:
    todo = admin.post("/api/v2/document/ToDo", json={"description": "comment me"}).json()["data"]
    response = admin.post(
        f"/api/v2/document/ToDo/{todo['name']}/method/add_comment",
        json={"text": "nice <script>alert(1)</script><b>work</b>"},
    )
    assert response.status_code == 200
    comment = response.json()["data"]
    assert comment["content"] == "nice <b>work</b>" and comment["comment_type"] == "Comment"
    assert comment["reference_doctype"] == "ToDo" and comment["reference_name"] == todo["name"]
    rows = admin.get(
        "/api/resource/ToDo",
        params={"fields": json.dumps(["name", "_comments"]), "filters": json.dumps({"name": todo["name"]})},
    ).json()["data"]
    cached = json.loads(rows[0]["_comments"])
    assert cached == [{"comment": "nice <b>work</b>", "by": "Administrator", "name": comment["name"]}]


def test_submit_and_cancel_methods(admin: SiteClient) -> None:
    name = doctype(admin, "Act Sub", [{"fieldname": "title", "fieldtype": "Data"}], is_submittable=1)
    doc = admin.post(f"/api/v2/document/{name}", json={"title": "s"}).json()["data"]
    submitted = admin.post(f"/api/v2/document/{name}/{doc['name']}/method/submit")
    assert submitted.status_code == 200 and submitted.json()["docs"][0]["docstatus"] == 1
    cancelled = admin.post(f"/api/v2/document/{name}/{doc['name']}/method/cancel")
    assert cancelled.json()["docs"][0]["docstatus"] == 2
    again = admin.post(f"/api/v2/document/{name}/{doc['name']}/method/cancel")
    assert again.status_code == 417 and message(again) == "Cannot edit cancelled document"


def test_rename_method_follows_links_and_dynamic_links(admin: SiteClient) -> None:
    target = doctype(admin, "Act Target", [{"fieldname": "title", "fieldtype": "Data"}], allow_rename=1)
    linker = doctype(
        admin,
        "Act Linker",
        [{"fieldname": "target", "fieldtype": "Link", "options": target},
         {"fieldname": "ref_type", "fieldtype": "Link", "options": "DocType"},
         {"fieldname": "ref_name", "fieldtype": "Dynamic Link", "options": "ref_type"}],
    )  # fmt: skip
    old = admin.post(f"/api/v2/document/{target}", json={"title": "t"}).json()["data"]["name"]
    link = admin.post(f"/api/v2/document/{linker}", json={"target": old, "ref_type": target, "ref_name": old})
    link_name = link.json()["data"]["name"]
    admin.post(f"/api/v2/document/{target}/{old}/method/add_comment", json={"text": "before"})
    new = f"{old}-new"
    renamed = admin.post(f"/api/v2/document/{target}/{old}/method/rename", json={"name": new})
    assert renamed.status_code == 200 and renamed.json()["docs"][0]["name"] == new
    after = admin.get(f"/api/v2/document/{linker}/{link_name}").json()["data"]
    assert after["target"] == new and after["ref_name"] == new
    comments = admin.get(
        "/api/resource/Comment",
        params={"fields": json.dumps(["comment_type", "content"]),
                "filters": json.dumps({"reference_doctype": target, "reference_name": new})},
    ).json()["data"]  # fmt: skip
    kinds = sorted(c["comment_type"] for c in comments)
    assert kinds == ["Comment", "Edit"]
    edit = next(c for c in comments if c["comment_type"] == "Edit")
    assert edit["content"] == f"renamed from <strong>{old}</strong> to <strong>{new}</strong>"


def test_rename_merge_moves_links_then_deletes_the_old_document(admin: SiteClient) -> None:
    target = doctype(admin, "Act Merge", [{"fieldname": "title", "fieldtype": "Data"}], allow_rename=1)
    linker = doctype(admin, "Act MLink", [{"fieldname": "target", "fieldtype": "Link", "options": target}])
    keep = admin.post(f"/api/v2/document/{target}", json={"title": "keep"}).json()["data"]["name"]
    gone = admin.post(f"/api/v2/document/{target}", json={"title": "gone"}).json()["data"]["name"]
    link = admin.post(f"/api/v2/document/{linker}", json={"target": gone}).json()["data"]["name"]
    no_target = admin.post(
        f"/api/v2/document/{target}/{gone}/method/rename", json={"name": "nobody", "merge": 1}
    )
    assert no_target.status_code == 417
    assert message(no_target) == f"{target} nobody does not exist, select a new target to merge"
    merged = admin.post(f"/api/v2/document/{target}/{gone}/method/rename", json={"name": keep, "merge": True})
    assert merged.status_code == 200
    assert admin.get(f"/api/v2/document/{target}/{gone}").status_code == 404
    assert admin.get(f"/api/v2/document/{linker}/{link}").json()["data"]["target"] == keep


# -- versions --------------------------------------------------------------------------------------


def _versions(admin: SiteClient, doctype_name: str, name: str) -> list[dict[str, Any]]:
    rows = admin.get(
        "/api/resource/Version",
        params={"fields": json.dumps(["data"]), "order_by": "creation asc",
                "filters": json.dumps({"ref_doctype": doctype_name, "docname": name})},
    ).json()["data"]  # fmt: skip
    return [json.loads(r["data"]) for r in rows]


def test_versions_record_changes_of_tracked_doctypes(admin: SiteClient) -> None:
    child = doctype(admin, "Ver Row", [{"fieldname": "item", "fieldtype": "Data"}], istable=1, permissions=[])
    tracked = doctype(
        admin, "Ver Doc",
        [{"fieldname": "title", "fieldtype": "Data"}, {"fieldname": "qty", "fieldtype": "Int"},
         {"fieldname": "rows", "fieldtype": "Table", "options": child}],
        track_changes=1,
    )  # fmt: skip
    doc = admin.post(f"/api/v2/document/{tracked}", json={"title": "a", "qty": 1}).json()["data"]
    assert _versions(admin, tracked, doc["name"]) == []
    admin.put(f"/api/v2/document/{tracked}/{doc['name']}", json={"title": "b", "rows": [{"item": "r1"}]})
    admin.put(f"/api/v2/document/{tracked}/{doc['name']}", json={"title": "b"})
    versions = _versions(admin, tracked, doc["name"])
    assert len(versions) == 1
    assert versions[0]["changed"] == [["title", "a", "b"]]
    assert [row[0] for row in versions[0]["added"]] == ["rows"] and versions[0]["added"][0][1]["item"] == "r1"
    assert versions[0]["removed"] == [] and versions[0]["row_changed"] == []
    untracked = doctype(admin, "Ver None", [{"fieldname": "title", "fieldtype": "Data"}])
    plain = admin.post(f"/api/v2/document/{untracked}", json={"title": "x"}).json()["data"]
    admin.put(f"/api/v2/document/{untracked}/{plain['name']}", json={"title": "y"})
    assert _versions(admin, untracked, plain["name"]) == []


# -- bulk ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bulk_types(admin: SiteClient) -> tuple[str, str]:
    """A DocType with a Select and a required field, and one that links to it."""
    target = doctype(
        admin, "Bulk T",
        [{"fieldname": "title", "fieldtype": "Data", "reqd": 1},
         {"fieldname": "state", "fieldtype": "Select", "options": "A\nB"}],
        autoname="prompt",
    )  # fmt: skip
    linker = doctype(admin, "Bulk L", [{"fieldname": "target", "fieldtype": "Link", "options": target}])
    return target, linker


def _make(admin: SiteClient, dt: str, count: int) -> list[str]:
    return [
        admin.post(f"/api/v2/document/{dt}", json={"name": unique("b"), "title": f"t{i}"}).json()["data"][
            "name"
        ]
        for i in range(count)
    ]


def test_bulk_delete_per_doctype_reports_each_failure(admin: SiteClient, bulk_types: tuple[str, str]) -> None:
    target, linker = bulk_types
    a, b, linked = _make(admin, target, 3)
    admin.post(f"/api/v2/document/{linker}", json={"target": linked})
    response = admin.post(
        f"/api/v2/document/{target}/bulk_delete", json={"names": [a, "ghost", linked, 3.5, b]}
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["deleted"] == [a, b]
    assert [f["name"] for f in data["failed"]] == ["ghost", linked, 3.5]
    assert "is linked with" in data["failed"][1]["error"]
    assert data["failed"][2]["error"] == "'name' must be a string or integer"
    assert (data["total"], data["success_count"], data["failure_count"]) == (5, 2, 3)
    assert admin.get(f"/api/v2/document/{target}/{linked}").status_code == 200
    not_list = admin.post(f"/api/v2/document/{target}/bulk_delete", json={"names": a})
    assert not_list.status_code == 417
    assert not_list.json()["errors"][0] == {**not_list.json()["errors"][0], "type": "FrappeValueError",
                                            "message": "'names' must be a list"}  # fmt: skip


def test_bulk_update_per_doctype_returns_updated_docs(admin: SiteClient, bulk_types: tuple[str, str]) -> None:
    target, _linker = bulk_types
    a, b = _make(admin, target, 2)
    response = admin.post(
        f"/api/v2/document/{target}/bulk_update",
        json={"docs": [{"name": a, "state": "B"}, {"name": b, "state": "Z"}, "junk", {"state": "A"}]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["updated"] == [a]
    assert [f["name"] for f in body["data"]["failed"]] == [b, None, None]
    assert (
        body["data"]["failed"][1]["error"] == "Each update must be a dictionary with 'name' and field values"
    )
    assert [d["name"] for d in body["docs"]] == [a] and body["docs"][0]["state"] == "B"
    assert admin.get(f"/api/v2/document/{target}/{b}").json()["data"]["state"] == "A"


def test_bulk_across_doctypes(admin: SiteClient, bulk_types: tuple[str, str]) -> None:
    target, _linker = bulk_types
    a, b = _make(admin, target, 2)
    todo = admin.post("/api/v2/document/ToDo", json={"description": "bulk across"}).json()["data"]["name"]
    updated = admin.post(
        "/api/v2/method/bulk_update",
        json={"docs": [{"doctype": target, "name": a, "state": "A"}, {"doctype": "ToDo", "name": todo,
                                                                      "status": "Closed"},
                       {"doctype": 5, "name": "x"}]},
    )  # fmt: skip
    data = updated.json()["data"]
    assert data["updated"] == [{"doctype": target, "name": a}, {"doctype": "ToDo", "name": todo}]
    assert data["failed"] == [{"doctype": 5, "name": "x", "error": "'doctype' must be a string"}]
    deleted = admin.post(
        "/api/v2/method/bulk_delete",
        json={
            "docs": [{"doctype": target, "name": b}, {"doctype": "ToDo", "name": todo}, {"doctype": target}]
        },
    )
    data = deleted.json()["data"]
    assert data["deleted"] == [{"doctype": target, "name": b}, {"doctype": "ToDo", "name": todo}]
    assert data["failure_count"] == 1
    assert admin.post("/api/v2/method/bulk_update", json={"docs": "nope"}).status_code == 417


def test_bulk_insert_isolates_failures_in_savepoints(admin: SiteClient, bulk_types: tuple[str, str]) -> None:
    target, _linker = bulk_types
    dup, other = unique("dup"), unique("other")
    response = admin.post(
        f"/api/v2/document/{target}/bulk_insert",
        json={"docs": [{"name": dup, "title": "1"}, {"name": dup, "title": "2"}, {"name": other},
                       {"name": other, "title": "3"}]},
    )  # fmt: skip
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["inserted"] == [dup, other]
    assert [(f["index"], f["name"]) for f in data["failed"]] == [(1, dup), (2, other)]
    assert [d["title"] for d in response.json()["docs"]] == ["1", "3"]
    across = admin.post(
        "/api/v2/method/bulk_insert",
        json={"docs": [{"doctype": "ToDo", "description": "bulk insert across"}, {"doctype": "ToDo"}]},
    )
    assert across.json()["data"]["success_count"] == 1 and across.json()["data"]["failed"][0]["index"] == 1


def test_large_bulk_is_queued_and_runs_in_the_background(
    admin: SiteClient, bulk_types: tuple[str, str]
) -> None:
    target, _linker = bulk_types
    names = _make(admin, target, admin.site.settings.bulk_async_threshold + 1)
    response = admin.post(f"/api/v2/document/{target}/bulk_delete", json={"names": names})
    assert response.status_code == 202
    job_id = response.json()["data"]["job_id"]
    record = poll_job(admin, job_id)
    assert record["status"] == "finished", record.get("exc_info")
    assert record["result"]["success_count"] == len(names)
    assert record["job_name"] == "bulk delete_docs" and record["owner"] == "Administrator"
    assert admin.get(f"/api/v2/document/{target}/{names[0]}").status_code == 404
