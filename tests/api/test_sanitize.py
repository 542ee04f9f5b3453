"""HTML sanitising on save (issue 10, finding 5): script tags escaped, event handlers dropped, everywhere."""

from __future__ import annotations

import json

from tests.api.rpc.helpers import doctype
from tests.conftest import SiteClient

ATTACK = '<img src=x onerror="alert(1)"><script>alert(2)</script><p onclick="x()">hi</p>'


def _executable(text: str) -> bool:
    lowered = text.lower()
    return "<script" in lowered or "onerror" in lowered or "onclick" in lowered or "javascript:" in lowered


def test_todo_description_is_not_returned_executable(admin: SiteClient) -> None:
    created = admin.post("/api/resource/ToDo", json={"description": ATTACK})
    assert created.status_code == 200, created.text
    stored = created.json()["data"]
    assert not _executable(stored["description"])
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in stored["description"]
    assert '<img src="x">' in stored["description"] and "<p>hi</p>" in stored["description"]
    again = admin.get(f"/api/resource/ToDo/{stored['name']}").json()["data"]["description"]
    assert again == stored["description"]
    v2 = admin.post("/api/v2/document/ToDo", json={"description": '<a href="javascript:alert(1)">x</a>'})
    assert v2.status_code == 200 and not _executable(v2.json()["data"]["description"])
    updated = admin.put(
        f"/api/resource/ToDo/{stored['name']}", json={"description": "<svg onload=alert(1)>x"}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["data"]["description"] == "&lt;svg onload=alert(1)&gt;x"
    via_client = admin.post(
        "/api/method/frappe.client.set_value",
        data={"doctype": "ToDo", "name": stored["name"], "fieldname": "description", "value": ATTACK},
    )
    assert via_client.status_code == 200 and not _executable(via_client.json()["message"]["description"])


def test_what_is_left_alone(admin: SiteClient) -> None:
    dt = doctype(
        admin, "Xss Kinds",
        [{"fieldname": "plain", "fieldtype": "Data"}, {"fieldname": "code", "fieldtype": "Code"},
         {"fieldname": "raw", "fieldtype": "Small Text", "ignore_xss_filter": 1},
         {"fieldname": "mail", "fieldtype": "Data", "options": "Email"},
         {"fieldname": "note", "fieldtype": "Text Editor"},
         {"fieldname": "rows", "fieldtype": "Table", "options": _child(admin)}],
    )  # fmt: skip
    body = {"plain": "1 < 2 and 3 > 2", "code": "<script>ok()</script>", "raw": "<script>raw</script>",
            "note": '{"a": "<b>json</b>"}', "rows": [{"text": "<script>row</script>"}]}  # fmt: skip
    doc = admin.post(f"/api/resource/{dt}", json=body).json()["data"]
    assert doc["plain"] == "1 < 2 and 3 > 2"
    assert doc["code"] == "<script>ok()</script>" and doc["raw"] == "<script>raw</script>"
    assert json.loads(doc["note"]) == {"a": "<b>json</b>"}
    assert doc["rows"][0]["text"] == "&lt;script&gt;row&lt;/script&gt;"


def _child(admin: SiteClient) -> str:
    return doctype(
        admin, "Xss Row", [{"fieldname": "text", "fieldtype": "Small Text"}], istable=1, permissions=[]
    )
