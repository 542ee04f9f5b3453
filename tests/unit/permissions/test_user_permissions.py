"""User Permissions in detail: applicable_for, strict mode, tree descendants, defaults, duplicates."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from docframe.permissions.user_permissions import Entry, allowed_values
from docframe.sites import Site
from docframe.users import User
from tests.conftest import SiteClient, api_key_for

OFF = dict.fromkeys(("write", "create", "delete", "report", "export", "share", "print", "email"), 0)


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def gone(response: Any) -> None:
    assert response.status_code == 202, response.text


def test_allowed_values_respect_applicable_for() -> None:
    compiled = {"Company": (Entry("A"), Entry("B", applicable_for="Invoice"))}
    assert allowed_values(compiled, "Company", "Order") == ["A"]
    assert allowed_values(compiled, "Company", "Invoice") == ["A", "B"]
    assert allowed_values(compiled, "Region", "Order") is None
    assert allowed_values({"Company": (Entry("B", applicable_for="Invoice"),)}, "Company", "Order") is None


@pytest.fixture(scope="module")
def setup(sqlite_site: Site, sites_root: Path) -> dict[str, Any]:
    admin = SiteClient(sqlite_site, sites_root, api_key_for(sqlite_site))
    tag = secrets.token_hex(3)
    role = f"UP Role {tag}"
    ok(admin.post("/api/resource/Role", json={"role_name": role}))
    tree, doc = f"UP Tree {tag}", f"UP Doc {tag}"
    ok(admin.post("/api/resource/DocType", json={
        "name": tree, "custom": 1, "module": "Custom", "is_tree": 1, "autoname": "field:title",
        "fields": [{"fieldname": "title", "fieldtype": "Data", "unique": 1}],
        "permissions": [{"role": role, "read": 1, **OFF}],
    }))  # fmt: skip
    ok(admin.post("/api/resource/DocType", json={
        "name": doc, "custom": 1, "module": "Custom",
        "fields": [{"fieldname": "title", "fieldtype": "Data"},
                   {"fieldname": "node", "fieldtype": "Link", "options": tree}],
        "permissions": [{"role": role, "read": 1, **OFF, "write": 1, "create": 1}],
    }))  # fmt: skip
    table = sqlite_site.tables.get(sqlite_site.metas.get(tree))
    for title, lft, rgt in (("root", 1, 6), ("leaf", 2, 3), ("other", 4, 5)):
        ok(admin.post(f"/api/resource/{tree}", json={"title": f"{title}-{tag}"}))
        with sqlite_site.unit_of_work(User.administrator()) as ctx:
            ctx.conn.execute(update(table).where(table.c.name == f"{title}-{tag}").values(lft=lft, rgt=rgt))
    email = f"up-{tag}@example.com"
    ok(admin.post("/api/resource/User", json={"email": email, "first_name": "U", "roles": [{"role": role}]}))
    keys = ok(admin.post("/api/method/frappe.core.doctype.user.user.generate_keys", data={"user": email}))[
        "message"
    ]
    user = SiteClient(sqlite_site, sites_root, f"token {keys['api_key']}:{keys['api_secret']}")
    docs = {
        key: ok(admin.post(f"/api/resource/{doc}", json={"title": key, "node": node}))["data"]["name"]
        for key, node in (("leaf", f"leaf-{tag}"), ("other", f"other-{tag}"), ("empty", None))
    }
    return {"admin": admin, "user": user, "email": email, "tree": tree, "doc": doc, "tag": tag, "docs": docs}


def names(client: SiteClient, doctype: str) -> set[str]:
    return {
        r["name"] for r in ok(client.get(f"/api/resource/{doctype}", params={"limit_page_length": 0}))["data"]
    }


def test_tree_permissions_cover_descendants_unless_hidden(setup: dict[str, Any], sqlite_site: Site) -> None:
    admin, user, tag, docs = setup["admin"], setup["user"], setup["tag"], setup["docs"]
    perm = ok(admin.post("/api/resource/User Permission", json={
        "user": setup["email"], "allow": setup["tree"], "for_value": f"root-{tag}"}))["data"]["name"]  # fmt: skip
    assert names(user, setup["doc"]) == {docs["leaf"], docs["other"], docs["empty"]}
    assert names(user, setup["tree"]) == {f"root-{tag}", f"leaf-{tag}", f"other-{tag}"}
    ok(admin.put(f"/api/resource/User Permission/{perm}", json={"hide_descendants": 1}))
    assert names(user, setup["doc"]) == {docs["empty"]}
    assert names(user, setup["tree"]) == {f"root-{tag}"}
    assert user.get(f"/api/resource/{setup['doc']}/{docs['leaf']}").status_code == 403
    gone(admin.delete(f"/api/resource/User Permission/{perm}"))
    assert names(user, setup["doc"]) == set(docs.values())


def test_strict_mode_hides_empty_links(setup: dict[str, Any], sqlite_site: Site) -> None:
    from tests.api.test_auth import system_settings

    admin, user, tag, docs = setup["admin"], setup["user"], setup["tag"], setup["docs"]
    perm = ok(admin.post("/api/resource/User Permission", json={
        "user": setup["email"], "allow": setup["tree"], "for_value": f"leaf-{tag}", "hide_descendants": 1}))  # fmt: skip
    assert names(user, setup["doc"]) == {docs["leaf"], docs["empty"]}
    with system_settings(sqlite_site, apply_strict_user_permissions=1):
        assert names(user, setup["doc"]) == {docs["leaf"]}
        assert user.get(f"/api/resource/{setup['doc']}/{docs['empty']}").status_code == 403
    gone(admin.delete(f"/api/resource/User Permission/{perm['data']['name']}"))


def test_applicable_for_limits_the_entry_to_one_doctype(setup: dict[str, Any]) -> None:
    admin, user, tag, docs = setup["admin"], setup["user"], setup["tag"], setup["docs"]
    perm = ok(admin.post("/api/resource/User Permission", json={
        "user": setup["email"], "allow": setup["tree"], "for_value": f"other-{tag}", "hide_descendants": 1,
        "apply_to_all_doctypes": 0, "applicable_for": setup["doc"]}))["data"]  # fmt: skip
    assert perm["applicable_for"] == setup["doc"]
    assert names(user, setup["doc"]) == {docs["other"], docs["empty"]}
    assert len(names(user, setup["tree"])) == 3  # not applicable to the tree itself
    gone(admin.delete(f"/api/resource/User Permission/{perm['name']}"))


def test_duplicates_and_second_defaults_are_refused(setup: dict[str, Any]) -> None:
    admin, tag = setup["admin"], setup["tag"]
    body = {"user": setup["email"], "allow": setup["tree"], "for_value": f"root-{tag}", "is_default": 1}
    first = ok(admin.post("/api/resource/User Permission", json=body))["data"]["name"]
    again = admin.post("/api/resource/User Permission", json=body)
    assert again.status_code == 409 and "User permission already exists" in again.text
    second_default = admin.post("/api/resource/User Permission", json={**body, "for_value": f"leaf-{tag}"})
    assert second_default.status_code == 417
    assert f"root-{tag} has already assigned default value for {setup['tree']}." in second_default.text
    gone(admin.delete(f"/api/resource/User Permission/{first}"))
