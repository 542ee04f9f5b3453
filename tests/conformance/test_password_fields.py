"""Password fields: the value goes to ``__Auth`` encrypted; the row and every API answer show ``*``."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from tests.conftest import SiteClient


def _doctype(admin: SiteClient) -> str:
    name = f"Vault {secrets.token_hex(3)}"
    response = admin.post("/api/resource/DocType", json={
        "name": name, "custom": 1, "module": "Custom",
        "fields": [{"fieldname": "title", "fieldtype": "Data", "label": "Title"},
                   {"fieldname": "token", "fieldtype": "Password", "label": "Token"}],
        "permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1}],
    })  # fmt: skip
    assert response.status_code == 200, response.text
    return name


def _stored(admin: SiteClient, doctype: str, name: str) -> tuple[str | None, str | None]:
    site = admin.site
    with site.db.engine.connect() as conn:
        row = conn.execute(select(site.tables.get(site.metas.get(doctype)).c.token).where(
            site.tables.get(site.metas.get(doctype)).c.name == name)).scalar()  # fmt: skip
        auth = site.tables.framework.auth
        sealed = conn.execute(select(auth.c.password).where(
            auth.c.doctype == doctype, auth.c.name == name, auth.c.fieldname == "token")).scalar()  # fmt: skip
    return row, sealed


def test_password_is_never_stored_or_returned_in_clear(admin: SiteClient) -> None:
    doctype = _doctype(admin)
    created = admin.post(f"/api/resource/{doctype}", json={"title": "a", "token": "s3cret-value"}).json()[
        "data"
    ]
    assert created["token"] == "*" * len("s3cret-value")
    name = created["name"]
    assert admin.get(f"/api/resource/{doctype}/{name}").json()["data"]["token"] == "************"
    assert admin.get(f"/api/v2/document/{doctype}/{name}").json()["data"]["token"] == "************"
    listed = admin.get(f"/api/resource/{doctype}", params={"fields": '["name","token"]'}).json()["data"]
    assert listed == [{"name": name, "token": "************"}]
    column, sealed = _stored(admin, doctype, name)
    assert column == "************" and sealed is not None and "s3cret" not in sealed
    revealed = admin.post(
        "/api/method/frappe.client.get_password",
        json={"doctype": doctype, "name": name, "fieldname": "token"},
    )
    assert revealed.json()["message"] == "s3cret-value"


def test_stars_keep_the_secret_and_a_new_value_replaces_it(admin: SiteClient) -> None:
    doctype = _doctype(admin)
    name = admin.post(f"/api/resource/{doctype}", json={"title": "a", "token": "first"}).json()["data"][
        "name"
    ]
    admin.put(f"/api/resource/{doctype}/{name}", json={"title": "b", "token": "*****"})
    args = {"doctype": doctype, "name": name, "fieldname": "token"}
    assert admin.post("/api/method/frappe.client.get_password", json=args).json()["message"] == "first"
    admin.put(f"/api/resource/{doctype}/{name}", json={"token": "second-secret"})
    assert (
        admin.post("/api/method/frappe.client.get_password", json=args).json()["message"] == "second-secret"
    )
    assert _stored(admin, doctype, name)[0] == "*" * len("second-secret")
