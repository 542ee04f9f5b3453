"""Names with control characters are refused with a 417 on every path (issue 10, finding 8).

A name like ``"a\\nb"`` could be stored but never reached by URL (routes stop at a newline), so
docframe refuses C0/C1 control characters (and DEL) in every new name: given by the client (v1, v2,
``frappe.client.insert``/``insert_many``, ``set_name``), made from a field (``autoname: field:...``),
and in renames.
"""

from __future__ import annotations

import json
import secrets

import pytest

from tests.api.rpc.helpers import doctype
from tests.conftest import SiteClient

BAD = ["a\nb", "a\rb", "tab\there", "bell\x07", "del\x7f", "c1\x85x", "esc\x1b[31m"]


def _refused(response: object, what: str) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    assert status == 417, (what, status, response.text)  # type: ignore[attr-defined]
    assert "control character" in response.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad", BAD)
def test_control_characters_in_new_names_are_417(admin: SiteClient, bad: str) -> None:
    name = f"{secrets.token_hex(3)} {bad}"
    _refused(admin.post("/api/resource/Role", json={"role_name": name}), "v1 field name")
    _refused(admin.post("/api/v2/document/Role", json={"role_name": name}), "v2 field name")
    _refused(admin.post("/api/v2/document/ToDo", json={"name": name, "description": "x"}), "v2 given name")
    _refused(
        admin.post(
            "/api/method/frappe.client.insert",
            data={"doc": json.dumps({"doctype": "Role", "role_name": name})},
        ),
        "frappe.client.insert",
    )
    many = [
        {"doctype": "Role", "role_name": f"ok {secrets.token_hex(3)}"},
        {"doctype": "Role", "role_name": name},
    ]
    _refused(
        admin.post("/api/method/frappe.client.insert_many", data={"docs": json.dumps(many)}), "insert_many"
    )
    assert admin.get(f"/api/resource/Role/{many[0]['role_name']}").status_code == 404  # nothing half-written
    assert (
        admin.get("/api/v2/doctype/Role/count", params={"filters": json.dumps({"role_name": name})}).json()[
            "data"
        ]
        == 0
    )


def test_prompt_names_and_renames_refuse_control_characters(admin: SiteClient) -> None:
    dt = doctype(admin, "Ctl Prompt", [{"fieldname": "title", "fieldtype": "Data"}], autoname="prompt")
    _refused(admin.post(f"/api/resource/{dt}", json={"__newname": "x\ny", "title": "t"}), "prompt")
    good = f"ok-{secrets.token_hex(3)}"
    assert admin.post("/api/resource/Role", json={"role_name": good}).status_code == 200
    renamed = admin.post(
        "/api/method/frappe.client.rename_doc",
        data={"doctype": "Role", "old_name": good, "new_name": f"{good}\nx"},
    )
    _refused(renamed, "rename")
    assert admin.get(f"/api/resource/Role/{good}").status_code == 200
    # Ordinary Unicode (spaces, accents, emoji) is still fine.
    fine = f"Rôle ✓ {secrets.token_hex(3)}"
    assert admin.post("/api/resource/Role", json={"role_name": fine}).status_code == 200
    assert admin.get(f"/api/resource/Role/{fine}").status_code == 200


def test_bulk_inserts_report_the_refused_name(admin: SiteClient) -> None:
    bad = f"bulk {secrets.token_hex(3)}\nx"
    good = f"bulk ok {secrets.token_hex(3)}"
    response = admin.post(
        "/api/v2/document/Role/bulk_insert", json={"docs": [{"role_name": good}, {"role_name": bad}]}
    )
    assert response.status_code in (200, 417), response.text
    assert "control character" in response.text
    count = admin.get("/api/v2/doctype/Role/count", params={"filters": json.dumps({"role_name": bad})})
    assert count.json()["data"] == 0
