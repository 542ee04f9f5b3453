"""Files end to end: upload to a real ``docframe serve`` process and download what it serves."""

from __future__ import annotations

import secrets

import httpx
import pytest

from docframe.sites import Site
from tests.api.rpc.helpers import system_settings
from tests.conftest import ADMIN_PASSWORD, api_key_for


def _name(ext: str = "txt") -> str:
    return f"e2e-{secrets.token_hex(4)}.{ext}"


@pytest.fixture()
def admin_http(server: str, sqlite_site: Site) -> httpx.Client:
    """A token-authenticated client of the real server."""
    return httpx.Client(base_url=server, headers={"Authorization": api_key_for(sqlite_site)}, timeout=30)


def _upload(client: httpx.Client, name: str, content: bytes, **form: str) -> dict:
    response = client.post("/api/method/upload_file", files={"file": (name, content)}, data=form)
    assert response.status_code == 200, response.text
    return dict(response.json()["message"])


def test_public_files_are_served_to_anyone(server: str, admin_http: httpx.Client) -> None:
    name = _name()
    doc = _upload(admin_http, name, b"public hello")
    assert doc["file_url"] == f"/files/{name}"
    served = httpx.get(f"{server}{doc['file_url']}")
    assert served.status_code == 200 and served.content == b"public hello"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{server}/files/{_name()}").status_code == 404


def test_private_files_need_a_user_who_may_read_the_file(
    server: str, admin_http: httpx.Client, sqlite_site: Site
) -> None:
    doc = _upload(admin_http, _name(), b"private hello", is_private="1")
    url = doc["file_url"]
    assert url.startswith("/private/files/")
    assert httpx.get(f"{server}{url}").status_code == 403
    assert httpx.get(f"{server}{url.replace('/private', '')}").status_code == 404
    assert admin_http.get(url).content == b"private hello"
    with httpx.Client(base_url=server) as session:
        login = session.post("/api/method/login", json={"usr": "Administrator", "pwd": ADMIN_PASSWORD})
        assert login.status_code == 200
        assert session.get(url).content == b"private hello"
    email = f"files-{secrets.token_hex(4)}@example.com"
    created = admin_http.post("/api/resource/User", json={"email": email, "first_name": "F"})
    assert created.status_code == 200
    other = httpx.Client(base_url=server, headers={"Authorization": api_key_for(sqlite_site, email)})
    assert other.get(url).status_code == 403
    own = _upload(other, _name(), b"mine", is_private="1")
    assert other.get(own["file_url"]).content == b"mine"


def test_attached_private_files_follow_the_documents_permission(
    server: str, admin_http: httpx.Client, sqlite_site: Site
) -> None:
    email = f"files-{secrets.token_hex(4)}@example.com"
    admin_http.post("/api/resource/User", json={"email": email, "first_name": "F"})
    user = httpx.Client(base_url=server, headers={"Authorization": api_key_for(sqlite_site, email)})
    todo = user.post("/api/resource/ToDo", json={"description": "mine"}).json()["data"]["name"]
    doc = _upload(admin_http, _name(), b"attached", is_private="1", doctype="ToDo", docname=todo)
    assert user.get(doc["file_url"]).content == b"attached"


def test_path_tricks_are_refused(server: str, admin_http: httpx.Client, sqlite_site: Site) -> None:
    raw = httpx.get(f"{server}/files/%2e%2e/%2e%2e/site_config.json")
    assert raw.status_code == 404
    private = admin_http.get("/private/files/%2e%2e/%2e%2e/site_config.json")
    assert private.status_code == 404
    refused = admin_http.post("/api/method/upload_file", files={"file": ("../../x.txt", b"x")})
    assert refused.status_code == 417
    assert not (sqlite_site.settings.site_path / "x.txt").exists()


def test_limits_come_from_system_settings(admin_http: httpx.Client, sqlite_site: Site) -> None:
    with system_settings(sqlite_site, max_file_size=1, allowed_file_extensions="TXT"):
        big = admin_http.post("/api/method/upload_file", files={"file": (_name(), b"x" * (2 * 1024 * 1024))})
        assert big.status_code == 417 and big.json()["exc_type"] == "MaxFileSizeReachedError"
        exe = admin_http.post("/api/method/upload_file", files={"file": (_name("exe"), b"MZ")})
        assert exe.status_code == 417 and exe.json()["exc_type"] == "FileTypeNotAllowed"


def test_deleting_the_file_removes_the_stored_bytes(
    server: str, admin_http: httpx.Client, sqlite_site: Site
) -> None:
    doc = _upload(admin_http, _name(), secrets.token_bytes(64))
    path = sqlite_site.settings.public_files_path / doc["file_url"].rsplit("/", 1)[-1]
    assert path.is_file()
    assert admin_http.delete(f"/api/resource/File/{doc['name']}").status_code == 202
    assert not path.exists()
    assert httpx.get(f"{server}{doc['file_url']}").status_code == 404


def test_html_files_are_downloads(server: str, admin_http: httpx.Client) -> None:
    doc = _upload(admin_http, _name("html"), b"<script>alert(1)</script>")
    served = httpx.get(f"{server}{doc['file_url']}")
    assert served.status_code == 200 and served.headers["content-disposition"].startswith("attachment")


def test_an_attackers_file_record_does_not_open_a_private_file(
    server: str, admin_http: httpx.Client, sqlite_site: Site
) -> None:
    """Issue 10, finding 1, against a real server: a new File record for another user's private file
    is refused, and the file is not served to the attacker."""
    secret = secrets.token_bytes(4096) * 256  # 1 MiB, streamed from disk
    doc = _upload(admin_http, _name("bin"), secret, is_private="1")
    email = f"files-{secrets.token_hex(4)}@example.com"
    assert admin_http.post("/api/resource/User", json={"email": email, "first_name": "A"}).status_code == 200
    attacker = httpx.Client(base_url=server, headers={"Authorization": api_key_for(sqlite_site, email)})
    assert attacker.post("/api/resource/File", json={"file_url": doc["file_url"]}).status_code == 403
    assert attacker.post("/api/method/upload_file", data={"file_url": doc["file_url"]}).status_code == 403
    assert attacker.get(doc["file_url"]).status_code == 403
    assert attacker.delete(f"/api/resource/File/{doc['name']}").status_code == 403
    with admin_http.stream("GET", doc["file_url"]) as served:
        assert served.status_code == 200 and served.headers["content-length"] == str(len(secret))
        assert b"".join(served.iter_bytes()) == secret
