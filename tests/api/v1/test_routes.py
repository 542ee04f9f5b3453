"""Routing (transport spec 2.1-2.4): mounts, trailing slashes, and names that need URL encoding."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.api.v1.doctypes import make_doctype, unique
from tests.conftest import SiteClient


@pytest.fixture(scope="module")
def doctype(admin: SiteClient) -> str:
    return make_doctype(admin, "Route Doc", [{"fieldname": "title", "fieldtype": "Data"}], autoname="prompt")


def test_trailing_slashes_are_tolerated_without_redirect(admin: SiteClient, doctype: str) -> None:
    created = admin.post(f"/api/resource/{doctype}/", json={"name": unique("slash"), "title": "a"})
    assert created.status_code == 200
    name = created.json()["data"]["name"]
    urls = [f"/api/resource/{doctype}/", f"/api/resource/{doctype}/{quote(name)}/",
            f"/api/v2/document/{doctype}/", f"/api/v2/document/{doctype}/{quote(name)}/",
            f"/api/v2/doctype/{doctype}/count/", "/api/method/ping/", "/api/v2/method/ping/"]  # fmt: skip
    for url in urls:
        response = admin.get(url, follow_redirects=False)
        assert response.status_code == 200, url
    updated = admin.put(
        f"/api/resource/{doctype}/{quote(name)}/", json={"title": "b"}, follow_redirects=False
    )
    assert updated.status_code == 200 and updated.json()["data"]["title"] == "b"
    deleted = admin.delete(f"/api/v2/document/{doctype}/{quote(name)}/", follow_redirects=False)
    assert deleted.status_code == 202


def test_v1_mount_is_the_same_as_the_api_mount(admin: SiteClient, doctype: str) -> None:
    created = admin.post(f"/api/v1/resource/{doctype}", json={"name": unique("v1 mount"), "title": "m"})
    assert created.status_code == 200
    name = quote(created.json()["data"]["name"])
    assert (
        admin.get(f"/api/v1/resource/{doctype}/{name}").json()
        == admin.get(f"/api/resource/{doctype}/{name}").json()
    )
    listed = admin.get(f"/api/v1/resource/{doctype}", params={"limit_page_length": "0"}).json()
    assert listed == admin.get(f"/api/resource/{doctype}", params={"limit_page_length": "0"}).json()
    assert admin.patch(f"/api/v1/resource/{doctype}/{name}", json={}).status_code == 405
    assert admin.delete(f"/api/v1/resource/{doctype}/{name}").status_code == 202


@pytest.mark.parametrize(
    "name",
    ["a/b/c", "with space", "ünïcødé ✓ 名前", "percent % and ? and #", "trailing/", "dots.and-dashes"],
)
def test_names_that_need_encoding_work_for_read_update_delete(
    admin: SiteClient, doctype: str, name: str
) -> None:
    name = f"{name.rstrip('/')} {unique('n', '')}" if name.endswith("/") else f"{unique('n', '')} {name}"
    for create, base in ((f"/api/resource/{doctype}", f"/api/resource/{doctype}"),
                         (f"/api/v2/document/{doctype}", f"/api/v2/document/{doctype}")):  # fmt: skip
        doc_name = f"{base[-8:]} {name}"
        created = admin.post(create, json={"name": doc_name, "title": "t"})
        assert created.status_code == 200, created.text
        assert created.json()["data"]["name"] == doc_name
        url = f"{base}/{quote(doc_name, safe='')}"
        read = admin.get(url)
        assert read.status_code == 200 and read.json()["data"]["name"] == doc_name
        slash_kept = admin.get(f"{base}/{quote(doc_name, safe='/')}")
        assert slash_kept.status_code == 200 and slash_kept.json()["data"]["name"] == doc_name
        updated = admin.put(url, json={"title": "changed"})
        assert updated.status_code == 200 and updated.json()["data"]["title"] == "changed"
        assert admin.delete(url).status_code == 202
        assert admin.get(url).status_code == 404


def test_doctype_names_with_spaces_are_percent_encoded(admin: SiteClient, doctype: str) -> None:
    assert " " in doctype
    response = admin.get(f"/api/resource/{quote(doctype)}")
    assert response.status_code == 200 and isinstance(response.json()["data"], list)
