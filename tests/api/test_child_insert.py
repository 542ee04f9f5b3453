"""Child rows cannot be written on their own without the right to the parent's table (issue 10, finding 9).

``POST /api/resource/Has Role`` by a user without roles used to answer 200 with a made-up row while
nothing was stored (the roles table is permlevel 1 on User). Like Frappe, inserting a child record
needs write permission on the parent's table field: without it the answer is a 403 PermissionError.
"""

from __future__ import annotations

import json

from tests.api.rpc.helpers import user_client
from tests.conftest import SiteClient


def _roles(admin: SiteClient, email: str) -> list[str]:
    return [row["role"] for row in admin.get(f"/api/resource/User/{email}").json()["data"]["roles"]]


def test_has_role_rows_cannot_be_posted_without_the_roles_table(admin: SiteClient) -> None:
    email, plain = user_client(admin, [])
    before = _roles(admin, email)
    row = {"parent": email, "parenttype": "User", "parentfield": "roles", "role": "System Manager"}
    v1 = plain.post("/api/resource/Has Role", json=row)
    assert v1.status_code == 403, v1.text
    assert v1.json()["exc_type"] == "PermissionError"
    v2 = plain.post("/api/v2/document/Has Role", json=row)
    assert v2.status_code == 403, v2.text
    client = plain.post(
        "/api/method/frappe.client.insert", data={"doc": json.dumps({"doctype": "Has Role", **row})}
    )
    assert client.status_code == 403, client.text
    bare = plain.post("/api/resource/Has Role", json={"role": "System Manager"})
    assert bare.status_code in (403, 417), bare.text
    assert _roles(admin, email) == before


def test_a_permitted_child_insert_is_stored(admin: SiteClient) -> None:
    email, _plain = user_client(admin, [])
    row = {"parent": email, "parenttype": "User", "parentfield": "roles", "role": "Desk User"}
    response = admin.post("/api/resource/Has Role", json=row)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["role"] == "Desk User" and response.json()["data"]["parent"] == email
    assert "Desk User" in _roles(admin, email)
