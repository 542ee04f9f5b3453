"""File permissions as an attacker probes them (issue 10, findings 1 and 2), on every backend.

A File's read/write/delete follow its owner, ``is_private`` and the document it is attached to; a
File record cannot be made for somebody else's private file; the file server serves a private file
only to a user who may read a File record of it; lists never show other users' private files.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.api.rpc.helpers import doctype, user_client
from tests.conftest import SiteClient


def _name() -> str:
    return f"perm-{secrets.token_hex(4)}.txt"


def _upload(client: SiteClient, content: bytes, **form: str) -> dict[str, Any]:
    response = client.post(
        "/api/method/upload_file", files={"file": (_name(), content, "text/plain")}, data=form
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["message"])


def _disk(client: SiteClient, url: str) -> Path:
    return client.site.settings.private_files_path / url.rsplit("/", 1)[-1]


@pytest.fixture()
def world(admin: SiteClient) -> dict[str, Any]:
    """A victim (desk user) with a private file, an attacker without roles, and the Administrator's file."""
    _victim_email, victim = user_client(admin, ["Desk User"])
    attacker_email, attacker = user_client(admin, [])
    secret = secrets.token_bytes(24)
    victim_file = _upload(victim, secret, is_private="1")
    admin_file = _upload(admin, secrets.token_bytes(24), is_private="1")
    return {"victim": victim, "attacker": attacker, "attacker_email": attacker_email,
            "victim_file": victim_file, "admin_file": admin_file, "secret": secret}  # fmt: skip


def _names(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    rows = body.get("data", body.get("message"))
    return {row["name"] if isinstance(row, dict) else row for row in rows}


def test_no_file_record_for_someone_elses_private_file(world: dict[str, Any]) -> None:
    attacker: SiteClient = world["attacker"]
    for target in (world["victim_file"], world["admin_file"]):
        url = target["file_url"]
        resource = attacker.post("/api/resource/File", json={"file_url": url})
        assert resource.status_code == 403, resource.text
        assert resource.json()["exc_type"] == "PermissionError"
        v2 = attacker.post("/api/v2/document/File", json={"file_url": url, "file_name": "x.txt"})
        assert v2.status_code == 403, v2.text
        upload = attacker.post("/api/method/upload_file", data={"file_url": url})
        assert upload.status_code == 403, upload.text
        insert = attacker.post(
            "/api/method/frappe.client.insert", data={"doc": json.dumps({"doctype": "File", "file_url": url})}
        )
        assert insert.status_code == 403, insert.text
        assert attacker.get(url).status_code == 403


def test_a_file_record_cannot_be_repointed_at_someone_elses_private_file(world: dict[str, Any]) -> None:
    attacker: SiteClient = world["attacker"]
    own = _upload(attacker, b"attacker's own", is_private="1")
    url = world["victim_file"]["file_url"]
    moved = attacker.put(f"/api/resource/File/{own['name']}", json={"file_url": url})
    assert moved.status_code == 403, moved.text
    assert attacker.get(url).status_code == 403
    assert attacker.get(own["file_url"]).content == b"attacker's own"


def test_other_users_private_file_records_are_closed(world: dict[str, Any]) -> None:
    attacker: SiteClient = world["attacker"]
    for target in (world["victim_file"], world["admin_file"]):
        name, url = target["name"], target["file_url"]
        assert attacker.get(f"/api/resource/File/{name}").status_code == 403
        assert attacker.get(f"/api/v2/document/File/{name}").status_code == 403
        edit = attacker.put(f"/api/resource/File/{name}", json={"file_name": "mine.txt"})
        assert edit.status_code == 403, edit.text
        gone = attacker.delete(f"/api/resource/File/{name}")
        assert gone.status_code == 403, gone.text
        assert attacker.delete(f"/api/v2/document/File/{name}").status_code == 403
        assert _disk(attacker, url).is_file()
    listed = _names(attacker.get("/api/resource/File", params={"fields": '["name"]', "limit_page_length": 0}))
    listed |= _names(attacker.get("/api/v2/document/File", params={"fields": '["name"]', "limit": 1000}))
    listed |= _names(
        attacker.post("/api/method/frappe.client.get_list", data={"doctype": "File", "limit_page_length": 0})
    )
    assert world["victim_file"]["name"] not in listed and world["admin_file"]["name"] not in listed
    by_url = attacker.get(
        "/api/v2/doctype/File/count",
        params={"filters": json.dumps([["file_url", "=", world["victim_file"]["file_url"]]])},
    )
    assert by_url.status_code == 200 and by_url.json()["data"] == 0
    victim: SiteClient = world["victim"]
    assert victim.get(world["victim_file"]["file_url"]).content == world["secret"]


def test_owner_keeps_full_control_and_delete_keeps_shared_content(world: dict[str, Any]) -> None:
    victim: SiteClient = world["victim"]
    first = world["victim_file"]
    second = _upload(victim, world["secret"], is_private="1")
    assert second["file_url"] == first["file_url"]
    assert victim.get(f"/api/resource/File/{first['name']}").status_code == 200
    assert victim.delete(f"/api/resource/File/{first['name']}").status_code == 202
    assert _disk(victim, first["file_url"]).is_file()
    assert victim.get(second["file_url"]).content == world["secret"]
    assert victim.delete(f"/api/resource/File/{second['name']}").status_code == 202
    assert not _disk(victim, first["file_url"]).exists()


def test_attached_private_files_follow_the_document(admin: SiteClient, world: dict[str, Any]) -> None:
    reader_role = f"File Reader {secrets.token_hex(3)}"
    assert admin.post("/api/resource/Role", json={"role_name": reader_role}).status_code == 200
    dt = doctype(
        admin, "File Host", [{"fieldname": "title", "fieldtype": "Data"}],
        permissions=[{"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1},
                     {"role": reader_role, "read": 1, "write": 0, "create": 0, "delete": 0, "share": 0}],
    )  # fmt: skip
    target = admin.post(f"/api/resource/{dt}", json={"title": "host"}).json()["data"]["name"]
    attached = _upload(admin, b"attached secret", is_private="1", doctype=dt, docname=target)
    _email, reader = user_client(admin, [reader_role])
    attacker: SiteClient = world["attacker"]
    assert reader.get(attached["file_url"]).content == b"attached secret"
    assert reader.get(f"/api/resource/File/{attached['name']}").status_code == 200
    listed = _names(reader.get("/api/resource/File", params={"limit_page_length": 0}))
    assert attached["name"] in listed and world["victim_file"]["name"] not in listed
    assert reader.delete(f"/api/resource/File/{attached['name']}").status_code == 403
    assert attacker.get(attached["file_url"]).status_code == 403
    assert attacker.get(f"/api/resource/File/{attached['name']}").status_code == 403
    # The reader may make its own record of a file it can already read.
    copy = reader.post("/api/resource/File", json={"file_url": attached["file_url"]})
    assert copy.status_code == 200, copy.text
