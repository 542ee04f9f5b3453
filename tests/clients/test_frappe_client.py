"""The Python ``frappe-client`` package (PyPI, unmodified) against a real ``docframe serve``: login,
CRUD, lists, counts, methods, a file upload and logout, as a script using it would.
"""

from __future__ import annotations

import secrets

import frappeclient
import pytest
import requests

from tests.conftest import ADMIN_PASSWORD


def test_frappe_client_scenario(server: str) -> None:
    client = frappeclient.FrappeClient(server)
    assert client.login("Administrator", ADMIN_PASSWORD)["message"] == "Logged In"
    assert client.get_api("frappe.auth.get_logged_user") == "Administrator"

    tag = secrets.token_hex(4)
    created = client.insert({"doctype": "ToDo", "description": f"py-client {tag}", "priority": "High"})
    name = created["name"]
    assert created["description"] == f"py-client {tag}" and created["priority"] == "High"
    client.insert({"doctype": "ToDo", "description": f"py-client {tag} second"})

    listed = client.get_list(
        "ToDo",
        fields=["name", "description", "priority"],
        filters=[["description", "like", f"py-client {tag}%"]],
        order_by="description asc",
        limit_page_length=10,
    )
    assert [row["description"] for row in listed] == [f"py-client {tag}", f"py-client {tag} second"]
    count = client.get_api(
        "frappe.client.get_count", {"doctype": "ToDo", "filters": f'[["description","like","%{tag}%"]]'}
    )
    assert count == 2

    updated = client.update({"doctype": "ToDo", "name": name, "description": f"py-client {tag} edited"})
    assert updated["description"] == f"py-client {tag} edited"
    client.set_value("ToDo", name, "status", "Closed")
    assert client.get_value("ToDo", "status", {"name": name}) == {"status": "Closed"}
    assert client.get_doc("ToDo", name)["status"] == "Closed"

    uploaded = client.session.post(
        f"{server}/api/method/upload_file",
        files={"file": (f"note-{tag}.txt", b"hello from frappe-client")},
        data={"doctype": "ToDo", "docname": name, "is_private": "0"},
        headers=client.headers,
    )
    assert uploaded.status_code == 200, uploaded.text
    file_url = uploaded.json()["message"]["file_url"]
    assert requests.get(f"{server}{file_url}", timeout=10).content == b"hello from frappe-client"

    client.delete("ToDo", name)
    missing = client.session.get(f"{server}/api/resource/ToDo/{name}", headers=client.headers)
    assert missing.status_code == 404

    client.logout()
    after = client.session.get(f"{server}/api/method/frappe.auth.get_logged_user", headers=client.headers)
    assert after.status_code == 403


def test_frappe_client_wrong_password_raises(server: str) -> None:
    with pytest.raises(frappeclient.frappeclient.AuthError):
        frappeclient.FrappeClient(server, "Administrator", "not-the-password")
