"""Uploads and File documents on every backend: upload_file, attach_file, dedupe, delete, limits."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

from docframe.sites import Site
from tests.api.rpc.helpers import doctype, message, system_settings, user_client
from tests.conftest import SiteClient, api_key_for, make_site


def _name(ext: str = "txt") -> str:
    return f"up-{secrets.token_hex(4)}.{ext}"


def _upload(client: SiteClient, name: str, content: bytes, **form: str) -> dict:
    response = client.post(
        "/api/method/upload_file", files={"file": (name, content, "text/plain")}, data=form
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["message"])


def _disk(site: Site, url: str) -> Path:
    root = (
        site.settings.private_files_path if url.startswith("/private/") else site.settings.public_files_path
    )
    return root / url.rsplit("/", 1)[-1]


def test_upload_creates_a_file_document_and_stores_the_bytes(admin: SiteClient) -> None:
    name = _name()
    doc = _upload(admin, name, b"hello world")
    assert doc["doctype"] == "File" and doc["file_name"] == name and doc["file_url"] == f"/files/{name}"
    assert doc["is_private"] == 0 and doc["file_size"] == 11 and doc["folder"] == "Home"
    assert doc["content_hash"] == "5eb63bbbe01eeed093cb22bb8f5acdc3" and doc["file_type"] == "TXT"
    assert "attached_to_doctype" not in doc  # nulls omitted
    assert _disk(admin.site, doc["file_url"]).read_bytes() == b"hello world"
    private = _upload(admin, _name(), b"private bytes", is_private="1")
    assert private["file_url"].startswith("/private/files/") and private["is_private"] == 1
    sdk_style = _upload(admin, _name(), b"sdk", is_private="TRUE")
    assert sdk_style["is_private"] == 0
    v2 = admin.post("/api/v2/method/upload_file", files={"file": (_name(), b"v2", "text/plain")})
    assert v2.status_code == 200 and v2.json()["data"]["file_size"] == 2


def test_same_content_is_stored_once_and_removed_with_its_last_file(admin: SiteClient) -> None:
    content = secrets.token_bytes(32)
    first = _upload(admin, _name("bin"), content)
    second = _upload(admin, _name("bin"), content)
    assert second["file_url"] == first["file_url"]
    path = _disk(admin.site, first["file_url"])
    assert admin.delete(f"/api/resource/File/{first['name']}").status_code == 202
    assert path.is_file()
    assert admin.delete(f"/api/resource/File/{second['name']}").status_code == 202
    assert not path.exists()


def test_attach_to_a_document_needs_write_on_it(admin: SiteClient) -> None:
    todo = admin.post("/api/resource/ToDo", json={"description": "attach here"}).json()["data"]["name"]
    doc = _upload(admin, _name(), b"attached", doctype="ToDo", docname=todo, fieldname="description")
    assert (doc["attached_to_doctype"], doc["attached_to_name"]) == ("ToDo", todo)
    assert doc["folder"] == "Home/Attachments" and doc["attached_to_field"] == "description"
    _email, plain = user_client(admin, [])
    refused = plain.post(
        "/api/method/upload_file",
        files={"file": (_name(), b"nope", "text/plain")},
        data={"doctype": "ToDo", "docname": todo},
    )
    assert refused.status_code == 403


def test_attach_file_base64_sets_the_field(admin: SiteClient) -> None:
    dt = doctype(admin, "Up Attach", [{"fieldname": "photo", "fieldtype": "Attach"}])
    target = admin.post(f"/api/resource/{dt}", json={}).json()["data"]["name"]
    name = _name()
    response = admin.post(
        "/api/method/frappe.client.attach_file",
        data={"filename": name, "filedata": base64.b64encode(b"b64 data").decode(), "decode_base64": "1",
              "doctype": dt, "docname": target, "docfield": "photo"},
    )  # fmt: skip
    assert response.status_code == 200
    file = response.json()["message"]
    assert file["file_size"] == 8 and file["attached_to_field"] == "photo"
    assert admin.get(f"/api/resource/{dt}/{target}").json()["data"]["photo"] == file["file_url"]
    bad_field = admin.post(
        "/api/method/frappe.client.attach_file",
        data={"filename": _name(), "filedata": "x", "doctype": dt, "docname": target, "docfield": "nope"},
    )
    assert bad_field.status_code == 417


def test_bad_names_urls_and_missing_content_are_417(admin: SiteClient) -> None:
    public = admin.site.settings.public_files_path
    before = set(public.iterdir())
    traversal = admin.post("/api/method/upload_file", files={"file": ("../../evil.txt", b"x", "text/plain")})
    assert traversal.status_code == 417 and "Invalid file name" in message(traversal)
    url = admin.post("/api/method/upload_file", data={"file_url": "/files/../../site_config.json"})
    assert url.status_code == 417
    relative = admin.post("/api/method/upload_file", data={"file_url": "site_config.json"})
    assert relative.status_code == 417
    nothing = admin.post("/api/method/upload_file", data={})
    assert nothing.status_code == 417 and nothing.json()["exc_type"] == "MandatoryError"
    assert set(public.iterdir()) == before
    remote = admin.post("/api/method/upload_file", data={"file_url": "https://example.com/a/logo.png"})
    assert remote.status_code == 200 and remote.json()["message"]["file_name"] == "logo.png"
    get = admin.get("/api/method/upload_file")
    assert get.status_code == 403


def test_size_limit_and_extensions_from_system_settings(admin: SiteClient) -> None:
    public = admin.site.settings.public_files_path
    before = set(public.iterdir())
    with system_settings(admin.site, max_file_size=1, allowed_file_extensions="TXT\npng"):
        big = admin.post(
            "/api/method/upload_file", files={"file": (_name(), b"x" * (1024 * 1024 + 1), "text/plain")}
        )
        assert big.status_code == 417 and big.json()["exc_type"] == "MaxFileSizeReachedError"
        assert message(big) == "File size exceeded the maximum allowed size of 1.0 MB"
        exe = admin.post(
            "/api/method/upload_file", files={"file": (_name("exe"), b"MZ", "application/x-foo")}
        )
        assert exe.status_code == 417 and exe.json()["exc_type"] == "FileTypeNotAllowed"
        assert message(exe) == "File type of EXE is not allowed"
        assert set(public.iterdir()) == before
        assert _upload(admin, _name("png"), b"png-ish")["file_type"] == "PNG"
        limit = admin.get("/api/method/frappe.core.api.file.get_max_file_size")
        assert limit.json() == {"message": 1024 * 1024}


def test_guest_uploads_follow_system_settings(admin: SiteClient, guest: SiteClient) -> None:
    refused = guest.post("/api/method/upload_file", files={"file": (_name(), b"g", "text/plain")})
    assert refused.status_code == 403
    with system_settings(admin.site, allow_guests_to_upload_files=1):
        allowed = guest.post("/api/method/upload_file", files={"file": (_name(), b"g", "text/plain")})
        assert allowed.status_code == 200 and allowed.json()["message"]["owner"] == "Guest"
        exe = guest.post("/api/method/upload_file", files={"file": (_name("exe"), b"MZ", "text/plain")})
        assert exe.status_code == 417
        assert message(exe) == "You can only upload JPG, PNG, PDF, TXT, CSV or Microsoft documents."


def test_bodies_over_the_site_limit_are_413(sites_root: Path) -> None:
    site = make_site(sites_root, f"small-{secrets.token_hex(3)}.test", "sqlite", {"max_file_size": 2000})
    try:
        client = SiteClient(site, sites_root, api_key_for(site))
        response = client.post(
            "/api/method/upload_file", files={"file": (_name(), b"x" * 5000, "text/plain")}
        )
        assert response.status_code == 413
        assert list(site.settings.public_files_path.iterdir()) == []
        ok = client.post("/api/method/upload_file", files={"file": (_name(), b"x" * 100, "text/plain")})
        assert ok.status_code == 200 and json.loads(ok.text)["message"]["file_size"] == 100
    finally:
        site.dispose()


def test_a_rolled_back_request_leaves_no_stored_file(admin: SiteClient) -> None:
    dt = doctype(admin, "Up Locked", [{"fieldname": "photo", "fieldtype": "Attach"}], is_submittable=1)
    target = admin.post(f"/api/resource/{dt}", json={"docstatus": 1}).json()["data"]["name"]
    public = admin.site.settings.public_files_path
    before = set(public.iterdir())
    name = _name()
    response = admin.post(
        "/api/method/frappe.client.attach_file",
        data={
            "filename": name,
            "filedata": "late failure",
            "doctype": dt,
            "docname": target,
            "docfield": "photo",
        },
    )
    assert response.status_code == 417 and response.json()["exc_type"] == "UpdateAfterSubmitError"
    assert set(public.iterdir()) == before
    files = admin.get("/api/resource/File", params={"filters": json.dumps({"file_name": name})}).json()[
        "data"
    ]
    assert files == []
