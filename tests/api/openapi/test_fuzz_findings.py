"""Server bugs schemathesis found through the OpenAPI document, kept fixed (in-process, SQLite).

* a ``null`` for a required argument of a whitelisted method was a 500 (TypeError);
* the standard document methods (``submit``, ``cancel``, ``rename``, ``add_comment``) could be called as
  plain RPC functions (``/api/method/docframe.methods.documents.submit``) and failed with a 500;
* the Administrator and Guest users could be renamed (fuzzing renamed the Administrator to ``0``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from docframe.sites import Site
from tests.conftest import SiteClient, api_key_for


@pytest.fixture(scope="module")
def admin_client(sqlite_site: Site, sites_root: Path) -> SiteClient:
    return SiteClient(sqlite_site, sites_root, api_key_for(sqlite_site))


@pytest.mark.parametrize("method", ["frappe.client.get", "frappe.client.cancel", "frappe.client.get_count"])
def test_null_for_a_required_argument_is_a_417(admin_client: SiteClient, method: str) -> None:
    response = admin_client.post(f"/api/method/{method}", json={"doctype": None, "name": 0})
    assert response.status_code == 417, response.text
    assert response.json()["exc_type"] == "FrappeTypeError"


@pytest.mark.parametrize("name", ["submit", "cancel", "rename", "add_comment"])
def test_standard_document_methods_are_not_plain_methods(admin_client: SiteClient, name: str) -> None:
    for prefix in ("/api/method/", "/api/v2/method/"):
        response = admin_client.get(f"{prefix}docframe.methods.documents.{name}", params={"doc": "x"})
        assert response.status_code == 403, response.text


@pytest.mark.parametrize(("old", "new"), [("Administrator", "0"), ("Guest", "someone@example.com")])
def test_the_standard_users_keep_their_names(admin_client: SiteClient, old: str, new: str) -> None:
    response = admin_client.post(
        "/api/method/frappe.client.rename_doc", json={"doctype": "User", "old_name": old, "new_name": new}
    )
    assert response.status_code == 417, response.text
    assert f"User {old} cannot be renamed" in response.text
    v2 = admin_client.post(f"/api/v2/document/User/{old}/method/rename", json={"name": new})
    assert v2.status_code == 417
    assert admin_client.get(f"/api/resource/User/{old}").status_code == 200


def test_no_user_is_renamed_into_a_standard_user(admin_client: SiteClient) -> None:
    created = admin_client.post(
        "/api/resource/User", json={"email": "renamer@example.com", "first_name": "R"}
    )
    assert created.status_code == 200, created.text
    response = admin_client.post(
        "/api/method/frappe.client.rename_doc",
        json={"doctype": "User", "old_name": "renamer@example.com", "new_name": "Administrator", "merge": 1},
    )
    assert response.status_code == 417
    assert admin_client.get("/api/resource/User/renamer@example.com").status_code == 200


def test_a_stored_doctype_keeps_its_table_kind(admin_client: SiteClient) -> None:
    child = {"name": "Fuzz Part", "module": "Custom", "custom": 1, "istable": 1, "permissions": [],
             "fields": [{"fieldname": "part", "fieldtype": "Data", "label": "Part"}]}  # fmt: skip
    assert admin_client.post("/api/resource/DocType", json=child).status_code == 200
    parent = {"name": "Fuzz Box", "module": "Custom", "custom": 1, "autoname": "hash",
              "permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1}],
              "fields": [{"fieldname": "parts", "fieldtype": "Table", "options": "Fuzz Part", "label": "Parts"}]}  # fmt: skip
    assert admin_client.post("/api/resource/DocType", json=parent).status_code == 200
    box = admin_client.post("/api/v2/document/Fuzz Box", json={"parts": [{"part": "x"}]}).json()["data"][
        "name"
    ]
    flip = admin_client.put("/api/v2/document/DocType/Fuzz Part", json={"istable": 0})
    assert flip.status_code == 417
    assert (
        flip.json()["errors"][0]["message"]
        == "Cannot change Is Child Table of the existing DocType Fuzz Part"
    )
    single = admin_client.put("/api/v2/document/DocType/Fuzz Box", json={"issingle": 1})
    assert single.status_code == 417
    read = admin_client.get(f"/api/v2/document/Fuzz Box/{box}")
    assert read.status_code == 200 and read.json()["data"]["parts"][0]["part"] == "x"
