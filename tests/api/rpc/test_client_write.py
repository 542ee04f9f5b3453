"""``frappe.client`` write and permission methods, with Frappe's argument names and return shapes."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from docframe.db.provision import drop_database
from docframe.settings import load_settings
from tests.api.rpc.helpers import doctype, message, unique, user_client
from tests.conftest import SiteClient, api_key_for, make_site

CLIENT = "/api/method/frappe.client"


@pytest.fixture(scope="module")
def parent_child(admin: SiteClient) -> tuple[str, str]:
    """A parent DocType with a child table."""
    child = doctype(admin, "CW Row", [{"fieldname": "item", "fieldtype": "Data"}], istable=1, permissions=[])
    parent = doctype(
        admin,
        "CW Parent",
        [
            {"fieldname": "title", "fieldtype": "Data", "reqd": 1},
            {"fieldname": "qty", "fieldtype": "Int"},
            {"fieldname": "secret", "fieldtype": "Password"},
            {"fieldname": "rows", "fieldtype": "Table", "options": child},
        ],
        allow_rename=1,
    )
    return parent, child


def test_insert_returns_the_document_and_a_child_returns_its_parent(
    admin: SiteClient, parent_child: tuple[str, str]
) -> None:
    parent, child = parent_child
    created = admin.post(f"{CLIENT}.insert", json={"doc": {"doctype": parent, "title": "p1"}})
    assert created.status_code == 200
    doc = created.json()["message"]
    assert doc["doctype"] == parent and doc["title"] == "p1" and doc["secret"] is None
    row = admin.post(
        f"{CLIENT}.insert",
        data={"doc": json.dumps({"doctype": child, "parent": doc["name"], "parenttype": parent,
                                 "parentfield": "rows", "item": "r1"})},
    )  # fmt: skip
    assert row.status_code == 200
    parent_doc = row.json()["message"]
    assert parent_doc["name"] == doc["name"] and [r["item"] for r in parent_doc["rows"]] == ["r1"]
    orphan = admin.post(f"{CLIENT}.insert", json={"doc": {"doctype": child, "item": "x"}})
    assert orphan.status_code == 417
    assert message(orphan) == "Parenttype, Parent and Parentfield are required to insert a child record"


def test_insert_refuses_get_bad_json_and_missing_doctype(admin: SiteClient) -> None:
    get = admin.get(f"{CLIENT}.insert", params={"doc": json.dumps({"doctype": "ToDo", "description": "x"})})
    assert get.status_code == 403 and message(get) == "Not permitted"
    bad = admin.post(f"{CLIENT}.insert", data={"doc": "{nope"})
    assert bad.status_code == 417 and bad.json()["exc_type"] == "FrappeTypeError"
    no_type = admin.post(f"{CLIENT}.insert", json={"doc": {"description": "x"}})
    assert no_type.status_code == 417
    not_object = admin.post(f"{CLIENT}.insert", json={"doc": [1, 2]})
    assert not_object.status_code == 417


def test_insert_many_returns_names_and_is_all_or_nothing(admin: SiteClient) -> None:
    tag = "insert-many-tag-" + admin.site.name
    docs = [{"doctype": "ToDo", "description": f"{tag} {i}"} for i in range(3)]
    response = admin.post(f"{CLIENT}.insert_many", json={"docs": docs})
    assert response.status_code == 200
    names = response.json()["message"]
    assert len(names) == 3 and all(isinstance(n, str) for n in names)
    broken = admin.post(
        f"{CLIENT}.insert_many",
        json={"docs": [{"doctype": "ToDo", "description": f"{tag} ok"}, {"doctype": "ToDo"}]},
    )
    assert broken.status_code == 417 and broken.json()["exc_type"] == "MandatoryError"
    count = admin.get(
        "/api/method/frappe.client.get_count",
        params={"doctype": "ToDo", "filters": json.dumps([["description", "like", f"{tag}%"]])},
    )
    if count.status_code == 200:
        assert count.json()["message"] == 3
    not_list = admin.post(f"{CLIENT}.insert_many", json={"docs": {"doctype": "ToDo"}})
    assert not_list.status_code == 417


def _todos(tag: str, count: int) -> list[dict[str, Any]]:
    return [{"doctype": "ToDo", "description": f"{tag} {i}"} for i in range(count)]


def _tagged(client: SiteClient, tag: str) -> list[str]:
    """Names of the ToDos whose description starts with ``tag``."""
    response = client.get(
        f"{CLIENT}.get_list",
        params={"doctype": "ToDo", "fields": json.dumps(["name"]), "limit_page_length": 0,
                "filters": json.dumps([["description", "like", f"{tag} %"]])},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return [row["name"] for row in response.json()["message"]]


def _assert_refused(response: Any, limit: int) -> None:
    """Frappe's ``frappe.throw`` answer: 417 ``ValidationError`` with the message in ``_server_messages``."""
    assert response.status_code == 417, response.text
    body = response.json()
    text = f"Only {limit} inserts allowed in one request"
    assert body["exc_type"] == "ValidationError"
    assert body["exception"] == f"frappe.exceptions.ValidationError: {text}"
    assert message(response) == text
    assert "message" not in body


def test_insert_many_refuses_more_than_200_by_default_and_writes_nothing(admin: SiteClient) -> None:
    assert admin.site.settings.insert_many_limit == 200
    tag = unique("insert-many-default")
    _assert_refused(admin.post(f"{CLIENT}.insert_many", json={"docs": _todos(tag, 201)}), 200)
    form = admin.post(f"{CLIENT}.insert_many", data={"docs": json.dumps(_todos(tag, 201))})
    _assert_refused(form, 200)
    assert _tagged(admin, tag) == []


@pytest.fixture(scope="module")
def roomy(backend: str, sites_root: Path) -> Iterator[SiteClient]:
    """Administrator on a site of its own whose config sets ``insert_many_limit`` to 1000."""
    site = make_site(
        sites_root, f"many-{backend}-{secrets.token_hex(3)}.test", backend, {"insert_many_limit": 1000}
    )
    yield SiteClient(site, sites_root, api_key_for(site))
    site.dispose()
    if backend != "sqlite":
        drop_database(site.settings.db_url)


def test_insert_many_limit_from_site_config_takes_1000_in_one_call(roomy: SiteClient) -> None:
    assert roomy.site.settings.insert_many_limit == 1000
    tag = unique("insert-many-1000")
    _assert_refused(roomy.post(f"{CLIENT}.insert_many", json={"docs": _todos(tag, 1001)}), 1000)
    assert _tagged(roomy, tag) == []
    response = roomy.post(f"{CLIENT}.insert_many", json={"docs": _todos(tag, 1000)})
    assert response.status_code == 200, response.text[:500]
    names = response.json()["message"]
    assert len(names) == 1000 and len(set(names)) == 1000 and all(isinstance(n, str) for n in names)
    assert sorted(_tagged(roomy, tag)) == sorted(names)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1000, 1000), ("1000", 1000), (1000.0, 1000), (1, 1), (None, 200), (0, 200), (-5, 200),
     (2.5, 200), ("lots", 200), ("", 200), (True, 200), ([1000], 200), ({"ToDo": 5}, 200)],
)  # fmt: skip
def test_insert_many_limit_setting_is_a_positive_whole_number_else_200(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, value: Any, expected: int
) -> None:
    site_path = tmp_path / "limits.test"
    site_path.mkdir()
    config = {} if value is None else {"insert_many_limit": value}
    (site_path / "site_config.json").write_text(json.dumps(config))
    with caplog.at_level(logging.WARNING, logger="docframe.settings"):
        assert load_settings(site_path).insert_many_limit == expected
    warned = any("insert_many_limit" in r.getMessage() for r in caplog.records)
    assert warned == (value is not None and expected == 200)


def test_set_value_single_dict_standard_fields_and_child_rows(
    admin: SiteClient, parent_child: tuple[str, str]
) -> None:
    parent, child = parent_child
    doc = admin.post(
        f"/api/resource/{parent}", json={"title": "sv", "rows": [{"item": "a"}, {"item": "b"}]}
    ).json()["data"]
    one = admin.post(f"{CLIENT}.set_value", json={"doctype": parent, "name": doc["name"],
                                                  "fieldname": "qty", "value": 5})  # fmt: skip
    assert one.status_code == 200 and one.json()["message"]["qty"] == 5
    many = admin.post(
        f"{CLIENT}.set_value",
        data={"doctype": parent, "name": doc["name"], "fieldname": json.dumps({"qty": 7, "title": "sv2"})},
    )
    assert many.json()["message"]["qty"] == 7 and many.json()["message"]["title"] == "sv2"
    standard = admin.post(f"{CLIENT}.set_value", json={"doctype": parent, "name": doc["name"],
                                                       "fieldname": "owner", "value": "x"})  # fmt: skip
    assert standard.status_code == 417 and message(standard) == "Cannot edit standard fields"
    row_name = doc["rows"][1]["name"]
    row = admin.post(f"{CLIENT}.set_value", json={"doctype": child, "name": row_name,
                                                  "fieldname": "item", "value": "B!"})  # fmt: skip
    assert row.status_code == 200
    assert row.json()["message"]["name"] == doc["name"]
    assert [r["item"] for r in row.json()["message"]["rows"]] == ["a", "B!"]
    missing = admin.post(f"{CLIENT}.set_value", json={"doctype": parent, "name": "nope",
                                                      "fieldname": "qty", "value": 1})  # fmt: skip
    assert missing.status_code == 404


def test_save_checks_staleness(admin: SiteClient) -> None:
    doc = admin.post("/api/resource/ToDo", json={"description": "to save"}).json()["data"]
    saved = admin.post(f"{CLIENT}.save", json={"doc": {**doc, "description": "saved"}})
    assert saved.status_code == 200 and saved.json()["message"]["description"] == "saved"
    stale = admin.post(f"{CLIENT}.save", json={"doc": {**doc, "description": "stale"}})
    assert stale.status_code == 417 and stale.json()["exc_type"] == "TimestampMismatchError"
    nameless = admin.post(f"{CLIENT}.save", json={"doc": {"doctype": "ToDo", "description": "x"}})
    assert nameless.status_code == 417


def test_submit_cancel_and_delete(admin: SiteClient) -> None:
    name = doctype(admin, "CW Sub", [{"fieldname": "title", "fieldtype": "Data"}], is_submittable=1)
    new = admin.post(f"{CLIENT}.submit", json={"doc": {"doctype": name, "title": "direct"}})
    assert new.status_code == 200 and new.json()["message"]["docstatus"] == 1
    draft = admin.post(f"/api/resource/{name}", json={"title": "draft"}).json()["data"]
    submitted = admin.post(f"{CLIENT}.submit", json={"doc": {"doctype": name, "name": draft["name"]}})
    assert submitted.json()["message"]["docstatus"] == 1
    cancelled = admin.post(f"{CLIENT}.cancel", data={"doctype": name, "name": draft["name"]})
    assert cancelled.status_code == 200 and cancelled.json()["message"]["docstatus"] == 2
    deleted = admin.post(f"{CLIENT}.delete", data={"doctype": name, "name": draft["name"]})
    assert deleted.status_code == 200 and deleted.json() == {}
    again = admin.delete(f"{CLIENT}.delete", params={"doctype": name, "name": draft["name"]})
    assert again.status_code == 404
    wrong_method = admin.get(f"{CLIENT}.cancel", params={"doctype": name, "name": "x"})
    assert wrong_method.status_code == 403


def test_rename_doc_updates_links_and_merges(admin: SiteClient, parent_child: tuple[str, str]) -> None:
    parent, _child = parent_child
    linker = doctype(admin, "CW Linker", [{"fieldname": "target", "fieldtype": "Link", "options": parent}])
    old = admin.post(f"/api/resource/{parent}", json={"title": "old"}).json()["data"]["name"]
    link = admin.post(f"/api/resource/{linker}", json={"target": old}).json()["data"]
    new_name = f"renamed-{old}"
    renamed = admin.post(
        f"{CLIENT}.rename_doc", json={"doctype": parent, "old_name": old, "new_name": new_name}
    )
    assert renamed.status_code == 200 and renamed.json() == {"message": new_name}
    assert admin.get(f"/api/resource/{linker}/{link['name']}").json()["data"]["target"] == new_name
    assert admin.get(f"/api/resource/{parent}/{old}").status_code == 404
    same = admin.post(
        f"{CLIENT}.rename_doc", json={"doctype": parent, "old_name": new_name, "new_name": new_name}
    )
    assert message(same) == "No changes made because old and new name are the same."
    other = admin.post(f"/api/resource/{parent}", json={"title": "other"}).json()["data"]["name"]
    clash = admin.post(
        f"{CLIENT}.rename_doc", json={"doctype": parent, "old_name": other, "new_name": new_name}
    )
    assert clash.status_code == 417
    assert message(clash) == f"Another {parent} with name {new_name} exists, select another name"
    merged = admin.post(
        f"{CLIENT}.rename_doc",
        json={"doctype": parent, "old_name": other, "new_name": new_name, "merge": True},
    )
    assert merged.status_code == 200 and admin.get(f"/api/resource/{parent}/{other}").status_code == 404
    missing = admin.post(
        f"{CLIENT}.rename_doc", json={"doctype": parent, "old_name": "ghost", "new_name": "g2"}
    )
    assert message(missing) == "Can't rename ghost to g2 because ghost doesn't exist."


def test_rename_needs_allow_rename(admin: SiteClient) -> None:
    todo = admin.post("/api/resource/ToDo", json={"description": "no rename"}).json()["data"]["name"]
    response = admin.post(
        f"{CLIENT}.rename_doc", json={"doctype": "ToDo", "old_name": todo, "new_name": "x1"}
    )
    assert response.status_code == 417 and message(response) == "ToDo not allowed to be renamed"


def test_bulk_update_reports_failures_without_stopping(admin: SiteClient) -> None:
    a = admin.post("/api/resource/ToDo", json={"description": "bulk a"}).json()["data"]["name"]
    docs = [
        {"doctype": "ToDo", "docname": a, "status": "Closed"},
        {"doctype": "ToDo", "docname": "missing-doc", "status": "Closed"},
        {"doctype": "ToDo", "docname": a, "priority": "Nope"},
    ]
    response = admin.post(f"{CLIENT}.bulk_update", data={"docs": json.dumps(docs)})
    assert response.status_code == 200
    failed = response.json()["message"]["failed_docs"]
    assert [f["doc"]["docname"] for f in failed] == ["missing-doc", a]
    assert "DoesNotExistError" in failed[0]["exc"]
    assert admin.get(f"/api/resource/ToDo/{a}").json()["data"]["status"] == "Closed"
    not_list = admin.post(f"{CLIENT}.bulk_update", json={"docs": {"a": 1}})
    assert not_list.status_code == 417


def test_has_permission_and_get_doc_permissions(admin: SiteClient) -> None:
    name = admin.post("/api/resource/ToDo", json={"description": "perm"}).json()["data"]["name"]
    yes = admin.get(
        f"{CLIENT}.has_permission", params={"doctype": "ToDo", "docname": name, "perm_type": "WRITE"}
    )
    assert yes.json() == {"message": {"has_permission": True}}
    _email, plain = user_client(admin, [])
    no = plain.get(f"{CLIENT}.has_permission", params={"doctype": "ToDo", "docname": name})
    assert no.json() == {"message": {"has_permission": False}}
    perms = admin.get(f"{CLIENT}.get_doc_permissions", params={"doctype": "ToDo", "docname": name})
    assert perms.json()["message"]["permissions"]["read"] == 1
    assert set(perms.json()["message"]["permissions"]) >= {"read", "write", "create", "delete", "submit"}
    assert (
        plain.get(f"{CLIENT}.get_doc_permissions", params={"doctype": "ToDo", "docname": name}).json()[
            "message"
        ]["permissions"]["write"]
        == 0
    )
    missing = admin.get(f"{CLIENT}.has_permission", params={"doctype": "ToDo", "docname": "nope"})
    assert missing.status_code == 404


def test_validate_link(admin: SiteClient) -> None:
    name = admin.post("/api/resource/ToDo", json={"description": "link me", "priority": "Low"}).json()[
        "data"
    ]["name"]
    found = admin.get(f"{CLIENT}.validate_link", params={"doctype": "ToDo", "docname": name,
                                                        "fields": json.dumps(["priority"])})  # fmt: skip
    assert found.json() == {"message": {"name": name, "priority": "Low"}}
    absent = admin.get(f"{CLIENT}.validate_link", params={"doctype": "ToDo", "docname": "nope"})
    assert absent.json() == {"message": {"name": None}}
    bad_field = admin.get(f"{CLIENT}.validate_link", params={"doctype": "ToDo", "docname": name,
                                                            "fields": json.dumps(["nope"])})  # fmt: skip
    assert bad_field.status_code == 417
    _email, plain = user_client(admin, [])
    owner_only = plain.get(f"{CLIENT}.validate_link", params={"doctype": "ToDo", "docname": name,
                                                             "fields": json.dumps(["priority"])})  # fmt: skip
    assert owner_only.status_code == 200 and owner_only.json()["message"] == {"name": name}
    assert "You need <strong>Read</strong> permission" in message(owner_only)
    private = doctype(admin, "CW Private", [{"fieldname": "title", "fieldtype": "Data"}])
    target = admin.post(f"/api/resource/{private}", json={"title": "t"}).json()["data"]["name"]
    refused = plain.get(f"{CLIENT}.validate_link", params={"doctype": private, "docname": target})
    assert refused.status_code == 403
    assert message(refused) == f"You do not have Read or Select Permissions for <strong>{private}</strong>"


def test_get_password_is_for_system_managers(admin: SiteClient, parent_child: tuple[str, str]) -> None:
    parent, _child = parent_child
    doc = admin.post(f"/api/resource/{parent}", json={"title": "pw", "secret": "s3cret"}).json()["data"]
    params = {"doctype": parent, "name": doc["name"], "fieldname": "secret"}
    assert admin.get(f"{CLIENT}.get_password", params=params).json() == {"message": "s3cret"}
    not_password = admin.get(f"{CLIENT}.get_password", params={**params, "fieldname": "title"})
    assert not_password.status_code == 417
    _email, plain = user_client(admin, [])
    refused = plain.get(f"{CLIENT}.get_password", params=params)
    assert refused.status_code == 403


def test_v2_client_methods_answer_in_data(admin: SiteClient) -> None:
    response = admin.post(
        "/api/v2/method/frappe.client.insert", json={"doc": {"doctype": "ToDo", "description": "v2"}}
    )
    assert response.status_code == 200 and response.json()["data"]["description"] == "v2"
    alias = admin.post(
        "/api/v2/method/frappe.core.api.document.set_value",
        json={
            "doctype": "ToDo",
            "name": response.json()["data"]["name"],
            "fieldname": "status",
            "value": "Closed",
        },
    )
    assert alias.json()["data"]["status"] == "Closed"
