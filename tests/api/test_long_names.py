"""Over-long names in the Host and X-Frappe-Site-Name headers and in file URLs are a clean 404 (issue 10,
finding 7): the operating system's "file name too long" never becomes a 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from docframe.app import create_app
from tests.conftest import SiteClient

LONG = "a" * 300


@pytest.fixture()
def bare(sites_root: Path) -> TestClient:
    """A client of the whole sites folder without a site header (the site comes from Host; no default)."""
    app = create_app(sites_root)
    app.state.sites.default_site = None
    return TestClient(app, headers={"Accept": "application/json"})


@pytest.mark.parametrize(
    "path", ["/api/method/ping", "/api/v2/method/ping", "/files/x.txt", "/private/files/x.txt"]
)
def test_long_site_header_and_host_are_404(bare: TestClient, path: str) -> None:
    for headers in ({"X-Frappe-Site-Name": LONG}, {"Host": LONG}, {"Host": f"{LONG}.{LONG}:8000"},
                    {"X-Frappe-Site-Name": ("é" * 200).encode()}, {"Host": ("xé" * 150).encode()}):  # fmt: skip
        response = bare.get(path, headers=headers)
        assert response.status_code == 404, (headers, response.text)
        if path.startswith("/api/"):
            body = response.json()
            assert "DoesNotExistError" in str(body), body


def test_long_file_names_are_404(admin: SiteClient, guest: SiteClient) -> None:
    for client in (admin, guest):
        for url in (
            f"/files/{LONG}",
            f"/files/{LONG}.txt",
            f"/files/{LONG}/{LONG}",
            f"/private/files/{LONG}",
        ):
            response = client.get(url)
            assert response.status_code in (403, 404), (url, response.status_code)
            assert response.status_code == 404 or not url.startswith("/files/")
    assert admin.get(f"/private/files/{LONG}").status_code == 404
    made = admin.post("/api/resource/File", json={"file_url": f"/files/{LONG}"})
    assert made.status_code in (404, 417), made.text
    upload = admin.post("/api/method/upload_file", data={"file_url": f"/private/files/{LONG}"})
    assert upload.status_code in (404, 417), upload.text
