"""Custom DocPerm rows replace a DocType's own rows, when an app provides the Custom DocPerm DocType."""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from docframe.permissions.docperms import custom_perm_cache, effective_permissions
from docframe.users import User
from tests.conftest import SiteClient, api_key_for, make_site

CUSTOM_DOCPERM = {
    "name": "Custom DocPerm", "module": "Core", "autoname": "hash",
    "fields": [
        {"fieldname": "parent", "fieldtype": "Data"},
        {"fieldname": "role", "fieldtype": "Link", "options": "Role"},
        {"fieldname": "permlevel", "fieldtype": "Int"},
        {"fieldname": "if_owner", "fieldtype": "Check"},
        *({"fieldname": r, "fieldtype": "Check"} for r in (
            "select", "read", "write", "create", "delete", "submit", "cancel", "amend", "report", "export",
            "import", "share", "print", "email")),
    ],
    "permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1}],
}  # fmt: skip


@pytest.fixture(scope="module")
def app_admin(tmp_path_factory: pytest.TempPathFactory, sites_root: Path) -> Iterator[SiteClient]:
    """A site with an app that ships the Custom DocPerm DocType."""
    app = f"dfperm_{secrets.token_hex(3)}"
    root = tmp_path_factory.mktemp("apps")
    folder = root / app / "custom_docperm"
    folder.mkdir(parents=True)
    (root / app / "__init__.py").write_text("")
    (folder / "custom_docperm.json").write_text(json.dumps(CUSTOM_DOCPERM))
    sys.path.insert(0, str(root))
    site = make_site(sites_root, f"{app}.test", "sqlite", {"apps": [app]})
    yield SiteClient(site, sites_root, api_key_for(site))
    site.dispose()
    sys.path.remove(str(root))


def test_custom_rows_replace_the_doctype_rows(app_admin: SiteClient, sites_root: Path) -> None:
    role = f"Custom Perm {secrets.token_hex(3)}"
    assert app_admin.post("/api/resource/Role", json={"role_name": role}).status_code == 200
    email = f"cp-{secrets.token_hex(4)}@example.com"
    assert (
        app_admin.post(
            "/api/resource/User", json={"email": email, "first_name": "C", "roles": [{"role": role}]}
        ).status_code
        == 200
    )
    keys = app_admin.post(
        "/api/method/frappe.core.doctype.user.user.generate_keys", data={"user": email}
    ).json()["message"]
    user = SiteClient(app_admin.site, sites_root, f"token {keys['api_key']}:{keys['api_secret']}")
    todo = app_admin.post(
        "/api/resource/ToDo", json={"description": "custom perms", "allocated_to": email}
    ).json()["data"]["name"]
    assert user.get(f"/api/resource/ToDo/{todo}").status_code == 200  # ToDo's own rows: role All
    with app_admin.site.unit_of_work(User.administrator(), write=False) as ctx:
        assert (
            effective_permissions(ctx, ctx.site.metas.get("ToDo")) is ctx.site.metas.get("ToDo").permissions
        )
    row = {"parent": "ToDo", "role": "System Manager", "read": 1, "write": 1, "permlevel": 0}
    assert app_admin.post("/api/resource/Custom DocPerm", json=row).status_code == 200
    custom_perm_cache(app_admin.site).clear()
    refused = user.get(f"/api/resource/ToDo/{todo}")
    assert refused.status_code == 403  # role All lost its rights: only the custom row applies
    assert user.get("/api/resource/ToDo").status_code == 403
    row = {"parent": "ToDo", "role": role, "read": 1, "permlevel": 0}
    assert app_admin.post("/api/resource/Custom DocPerm", json=row).status_code == 200
    custom_perm_cache(app_admin.site).clear()
    assert user.get(f"/api/resource/ToDo/{todo}").status_code == 200
    assert user.put(f"/api/resource/ToDo/{todo}", json={"status": "Closed"}).status_code == 403
