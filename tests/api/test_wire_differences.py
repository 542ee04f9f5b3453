"""Wire differences with Frappe found by black-box testing, on every backend (issue 16).

Each test pins the shape Frappe answers with; the source checked is named in each docstring.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_auth import cookies_of, keys_for, login, new_user, ok
from tests.conftest import SiteClient

GUEST_BODY = {"message": "No App", "home_page": "/login", "full_name": "Guest"}


def as_user(admin: SiteClient, sites_root: Path, roles: tuple[str, ...] = ()) -> tuple[str, SiteClient]:
    name = new_user(admin, roles=roles)
    keys = keys_for(admin, name)
    return name, SiteClient(admin.site, sites_root, f"token {keys['api_key']}:{keys['api_secret']}")


# -- 1. logout answers with the Guest login body (frappe/auth.py LoginManager.logout -> login_as_guest)


def test_logout_answers_with_the_guest_login_body_in_every_form(admin: SiteClient, sites_root: Path) -> None:
    name = new_user(admin)
    client, _sid = login(admin, sites_root, name)
    out = client.post("/api/method/logout")
    assert ok(out) == GUEST_BODY
    assert cookies_of(out)["sid"].startswith("sid=;")
    client, _sid = login(admin, sites_root, name)
    assert ok(client.post("/api/v2/method/logout")) == GUEST_BODY
    client, _sid = login(admin, sites_root, name)
    assert ok(client.post("/", data={"cmd": "logout"})) == GUEST_BODY
    # a Guest logging out gets the same body (Frappe logs Guest in as Guest again)
    assert ok(SiteClient(admin.site, sites_root).post("/api/method/logout")) == GUEST_BODY


# -- 2. ToDo delete: allocated_to or assigned_by only (frappe/desk/doctype/todo/todo.py has_permission)


def test_todo_creator_cannot_delete_a_todo_that_does_not_concern_them(
    admin: SiteClient, sites_root: Path
) -> None:
    name, user = as_user(admin, sites_root)
    mine = ok(user.post("/api/resource/ToDo", json={"description": "unassigned"}))["data"]["name"]
    assert ok(user.get(f"/api/resource/ToDo/{mine}"))["data"]["owner"] == name  # owner still reads it
    refused = user.delete(f"/api/resource/ToDo/{mine}")
    assert refused.status_code == 403 and refused.json()["exc_type"] == "PermissionError"
    assert user.delete(f"/api/v2/document/ToDo/{mine}").status_code == 403
    assert admin.get(f"/api/resource/ToDo/{mine}").status_code == 200  # nothing was deleted
    allocated = ok(user.post("/api/resource/ToDo", json={"description": "a", "allocated_to": name}))["data"]
    assert user.delete(f"/api/resource/ToDo/{allocated['name']}").status_code == 202
    assigned = ok(user.post("/api/resource/ToDo", json={"description": "b", "assigned_by": name}))["data"]
    assert user.delete(f"/api/v2/document/ToDo/{assigned['name']}").status_code == 202


# -- 3. non-whitelisted methods are 403 (frappe/__init__.py is_whitelisted; model/document.py)

INHERITED = ("as_json", "as_dict", "get_valid_dict", "run_method", "db_set", "save")


@pytest.mark.parametrize("method", INHERITED)
def test_inherited_document_methods_are_403_not_404(admin: SiteClient, method: str) -> None:
    todo = ok(admin.post("/api/resource/ToDo", json={"description": "methods"}))["data"]["name"]
    v2 = admin.post(f"/api/v2/document/ToDo/{todo}/method/{method}")
    assert v2.status_code == 403, v2.text
    assert v2.json()["errors"][0]["type"] == "PermissionError"
    v1_get = admin.get(f"/api/resource/ToDo/{todo}", params={"run_method": method})
    assert v1_get.status_code == 403 and v1_get.json()["exc_type"] == "PermissionError"
    v1_post = admin.post(f"/api/resource/ToDo/{todo}", json={"run_method": method})
    assert v1_post.status_code == 403 and v1_post.json()["exc_type"] == "PermissionError"
    doc = json.dumps(ok(admin.get(f"/api/resource/ToDo/{todo}"))["data"])
    rdm = admin.post("/api/method/run_doc_method", data={"method": method, "docs": doc})
    assert rdm.status_code == 403, rdm.text


def test_unknown_document_method_stays_404(admin: SiteClient) -> None:
    todo = ok(admin.post("/api/resource/ToDo", json={"description": "methods"}))["data"]["name"]
    missing = admin.post(f"/api/v2/document/ToDo/{todo}/method/no_such_method_{secrets.token_hex(2)}")
    assert missing.status_code == 404


def test_existing_module_function_that_is_not_whitelisted_is_403(admin: SiteClient) -> None:
    for prefix in ("/api/method", "/api/v2/method"):
        found = admin.post(f"{prefix}/docframe.model.operations.get_document")
        assert found.status_code == 403, found.text


# -- 6. v2 or_filters must be a list or a dict (frappe/api/v2.py document_list)


@pytest.mark.parametrize("value", ['"name"', "5", "true"])
def test_v2_or_filters_of_the_wrong_type_is_417(admin: SiteClient, value: str) -> None:
    out = admin.get("/api/v2/document/ToDo", params={"or_filters": value})
    assert out.status_code == 417, out.text
    assert out.json()["errors"][0]["message"] == "'or_filters' must be a list or dictionary"


# -- 7. POST on a v2 document path is a 404 (werkzeug NotFound -> DoesNotExistError in frappe/api)


def test_post_on_a_v2_document_is_404(admin: SiteClient) -> None:
    todo = ok(admin.post("/api/resource/ToDo", json={"description": "post"}))["data"]["name"]
    for path in (f"/api/v2/document/ToDo/{todo}", f"/api/v2/document/ToDo/{todo}/"):
        out = admin.post(path, json={"description": "x"})
        assert out.status_code == 404, out.text
        assert out.json()["errors"][0]["type"] == "DoesNotExistError"


# -- 8. expand over a Link to a DocType that is not installed


def test_expand_star_on_user_ignores_links_to_missing_doctypes(admin: SiteClient) -> None:
    out = admin.get("/api/v2/document/User/Administrator", params={"expand": json.dumps(["*"])})
    assert out.status_code == 200, out.text
    assert out.json()["data"]["name"] == "Administrator"
    listed = admin.get(
        "/api/v2/document/User", params={"fields": json.dumps(["name", "module_profile"]), "expand": '["*"]'}
    )
    assert listed.status_code == 200, listed.text


# -- 10. Frappe develop's v2 additions (frappe/api/include.py, frappe/api/v2.py url_rules)


def test_include_parts_on_a_document_read(admin: SiteClient, sites_root: Path) -> None:
    name, _user = as_user(admin, sites_root)
    todo = ok(admin.post("/api/resource/ToDo", json={"description": "incl", "allocated_to": name}))["data"]
    note = ok(admin.post("/api/resource/Note", json={"title": f"n-{secrets.token_hex(3)}"}))["data"]["name"]
    ok(admin.post("/api/resource/ToDo", json={
        "description": "assigned", "allocated_to": name, "reference_type": "Note", "reference_name": note,
    }))  # fmt: skip
    ok(admin.post("/api/method/frappe.share.add", data={"doctype": "Note", "name": note, "user": name}))
    parts = "permissions,assignments,shares,tags,comments,attachments,link_titles,users"
    out = ok(admin.get(f"/api/v2/document/Note/{note}", params={"include": parts}))
    assert out["data"]["name"] == note
    assert out["permissions"]["read"] == 1 and out["permissions"]["write"] == 1
    assert [a["user"] for a in out["assignments"]] == [name]
    assert [s["user"] for s in out["shares"]] == [name] and out["shares"][0]["read"] == 1
    assert out["tags"] == [] and out["comments"] == [] and out["attachments"] == []
    assert isinstance(out["link_titles"], dict)
    assert {"Administrator", name} <= set(out["users"])
    assert set(out["users"][name]) == {"full_name", "user_image"}
    todo_read = ok(admin.get(f"/api/v2/document/ToDo/{todo['name']}", params={"include": "link_titles"}))
    assert todo_read["link_titles"] == {}  # User does not show its title in links
    unknown = admin.get(f"/api/v2/document/Note/{note}", params={"include": "nonsense"})
    assert unknown.status_code == 417
    assert "Unknown include part nonsense" in unknown.json()["errors"][0]["message"]


def test_include_link_titles_for_doctypes_that_show_titles(admin: SiteClient) -> None:
    tag = secrets.token_hex(3)
    target, source = f"Titled {tag}", f"Linker {tag}"
    perms = [{"role": "System Manager", "read": 1, "write": 1, "create": 1}]
    ok(admin.post("/api/resource/DocType", json={
        "name": target, "custom": 1, "module": "Custom", "autoname": "hash", "title_field": "title",
        "show_title_field_in_link": 1, "permissions": perms,
        "fields": [{"fieldname": "title", "fieldtype": "Data", "label": "Title"}],
    }))  # fmt: skip
    ok(admin.post("/api/resource/DocType", json={
        "name": source, "custom": 1, "module": "Custom", "permissions": perms,
        "fields": [{"fieldname": "target", "fieldtype": "Link", "label": "Target", "options": target}],
    }))  # fmt: skip
    linked = ok(admin.post(f"/api/v2/document/{target}", json={"title": "The Title"}))["data"]["name"]
    doc = ok(admin.post(f"/api/v2/document/{source}", json={"target": linked}))["data"]["name"]
    out = ok(admin.get(f"/api/v2/document/{source}/{doc}", params={"include": "link_titles"}))
    assert out["link_titles"] == {f"{target}::{linked}": "The Title"}


def test_include_permissions_reflect_the_caller(admin: SiteClient, sites_root: Path) -> None:
    name, user = as_user(admin, sites_root)
    todo = ok(user.post("/api/resource/ToDo", json={"description": "mine", "allocated_to": name}))["data"]
    perms = ok(user.get(f"/api/v2/document/ToDo/{todo['name']}", params={"include": "permissions"}))
    assert perms["permissions"]["read"] == 1 and perms["permissions"]["delete"] == 1
    assert perms["permissions"].get("export", 0) == 0


def test_meta_include_children(admin: SiteClient) -> None:
    out = ok(admin.get("/api/v2/doctype/User/meta", params={"include": "children"}))
    children = {c["name"] for c in out["children"]}
    assert {"Has Role", "User Email"} <= children
    assert all(c["istable"] == 1 for c in out["children"])
    assert out["data"]["name"] == "User"


def test_query_method_reads_lists_counts_and_document_methods(server: str, sqlite_site: Any) -> None:
    import httpx

    from tests.conftest import api_key_for

    headers = {"Authorization": api_key_for(sqlite_site), "X-Frappe-Site-Name": sqlite_site.name}
    with httpx.Client(base_url=server, headers=headers, timeout=10) as http:
        created = http.post("/api/v2/document/ToDo", json={"description": f"q-{secrets.token_hex(3)}"})
        assert created.status_code == 200, created.text
        name = created.json()["data"]["name"]
        body = {"filters": {"name": name}, "fields": ["name", "description"]}
        listed = http.request("QUERY", "/api/v2/document/ToDo", json=body)
        assert listed.status_code == 200, listed.text
        assert [r["name"] for r in listed.json()["data"]] == [name]
        counted = http.request("QUERY", "/api/v2/doctype/ToDo/count", json={"filters": {"name": name}})
        assert counted.status_code == 200 and counted.json()["data"] == 1
        refused = http.request("QUERY", f"/api/v2/document/ToDo/{name}", json={})
        assert refused.status_code in (404, 405)


def test_search_shape(admin: SiteClient) -> None:
    out = ok(admin.get("/api/v2/doctype/User/search", params={"txt": "Admin"}))
    assert out["data"] and set(out["data"][0]) >= {"value", "description"}
    assert out["data"][0]["value"] == "Administrator"


def test_query_method_on_every_backend(admin: SiteClient) -> None:
    name = ok(admin.post("/api/v2/document/ToDo", json={"description": "q"}))["data"]["name"]
    listed = admin.request("QUERY", "/api/v2/document/ToDo", json={"filters": {"name": name}})
    assert [r["name"] for r in ok(listed)["data"]] == [name]
    counted = admin.request("QUERY", "/api/v2/doctype/ToDo/count", json={"filters": {"name": name}})
    assert ok(counted)["data"] == 1
    # a document method through QUERY needs read, like GET: a non-whitelisted one is still 403
    assert admin.request("QUERY", f"/api/v2/document/ToDo/{name}/method/as_dict").status_code == 403
    # QUERY is a read: a write method refuses it
    bulk = admin.request("QUERY", "/api/v2/document/ToDo/bulk_delete", json={"names": [name]})
    assert bulk.status_code in (404, 405)
    assert admin.get(f"/api/v2/document/ToDo/{name}").status_code == 200


def test_include_parts_need_read_permission_first(admin: SiteClient, sites_root: Path) -> None:
    _name, user = as_user(admin, sites_root)
    secret = ok(admin.post("/api/resource/Note", json={"title": f"secret-{secrets.token_hex(3)}"}))["data"]
    refused = user.get(f"/api/v2/document/Note/{secret['name']}", params={"include": "comments,users"})
    assert refused.status_code == 403 and "comments" not in refused.json()
    guest = SiteClient(admin.site, sites_root).get(
        f"/api/v2/document/Note/{secret['name']}", params={"include": "permissions"}
    )
    assert guest.status_code == 403 and "permissions" not in guest.json()
    meta_guest = SiteClient(admin.site, sites_root).get(
        "/api/v2/doctype/User/meta", params={"include": "children"}
    )
    assert meta_guest.status_code == 403 and "children" not in meta_guest.json()
