"""v2 document reads with ``expand``: Link values become the linked documents (a docframe extension)."""

from __future__ import annotations

import json
import secrets

from tests.conftest import SiteClient


def test_expand_replaces_link_values_with_documents(admin: SiteClient) -> None:
    name = f"Expand Read {secrets.token_hex(3)}"
    created = admin.post("/api/resource/DocType", json={
        "name": name, "custom": 1, "module": "Custom",
        "fields": [{"fieldname": "title", "fieldtype": "Data", "label": "Title"},
                   {"fieldname": "owner_user", "fieldtype": "Link", "label": "Owner User", "options": "User"}],
        "permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1}],
    })  # fmt: skip
    assert created.status_code == 200, created.text
    doc = admin.post(f"/api/v2/document/{name}", json={"title": "t", "owner_user": "Administrator"}).json()[
        "data"
    ]
    plain = admin.get(f"/api/v2/document/{name}/{doc['name']}").json()["data"]
    assert plain["owner_user"] == "Administrator"
    expanded = admin.get(
        f"/api/v2/document/{name}/{doc['name']}", params={"expand": json.dumps(["owner_user"])}
    )
    assert expanded.status_code == 200
    linked = expanded.json()["data"]["owner_user"]
    assert isinstance(linked, dict) and linked["name"] == "Administrator"
    ignored = admin.get(f"/api/v2/document/{name}/{doc['name']}", params={"expand": json.dumps(["title"])})
    assert ignored.status_code == 200 and ignored.json()["data"]["title"] == "t"  # not a Link: left as it is
    malformed = admin.get(f"/api/v2/document/{name}/{doc['name']}", params={"expand": json.dumps({"a": 1})})
    assert malformed.status_code == 417
