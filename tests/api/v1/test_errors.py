"""v1 error bodies and statuses (transport spec 2.4, 5.1-5.3): class names, tracebacks, masking."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import delete, insert

from docframe.sites import Site
from docframe.users import User
from tests.api.v1.doctypes import make_doctype, make_role, make_user, unique
from tests.conftest import SiteClient


def _messages(body: dict) -> list[dict]:
    return [json.loads(m) for m in json.loads(body["_server_messages"])]


@contextmanager
def tracebacks(site: Site, allowed: bool) -> Iterator[None]:
    """Set System Settings ``allow_error_traceback`` for the duration of a block."""

    def write(value: str | None) -> None:
        singles = site.tables.framework.singles
        with site.unit_of_work(User.administrator()) as ctx:
            where = (singles.c.doctype == "System Settings", singles.c.field == "allow_error_traceback")
            ctx.conn.execute(delete(singles).where(*where))
            if value is not None:
                ctx.conn.execute(
                    insert(singles).values(
                        doctype="System Settings", field="allow_error_traceback", value=value
                    )
                )

    write("1" if allowed else "0")
    try:
        yield
    finally:
        write(None)


@pytest.fixture(scope="module")
def doctype(admin: SiteClient) -> str:
    return make_doctype(
        admin,
        "Error Doc",
        [
            {"fieldname": "title", "fieldtype": "Data", "reqd": 1},
            {"fieldname": "code", "fieldtype": "Data", "unique": 1},
            {"fieldname": "qty", "fieldtype": "Int"},
        ],
    )


def test_unknown_route_is_a_bare_404(admin: SiteClient) -> None:
    for url in ("/api/rest", "/api/method/", "/api/resource", "/api/v1/nothing"):
        response = admin.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"exc_type": "DoesNotExistError"}, url


def test_unknown_doctype_and_document_are_404_without_traceback(admin: SiteClient, doctype: str) -> None:
    with tracebacks(admin.site, True):
        for url in ("/api/resource/No Such Type", f"/api/resource/{doctype}/no-such-doc"):
            response = admin.get(url)
            assert response.status_code == 404
            body = response.json()
            assert body["exc_type"] == "DoesNotExistError"
            assert "exc" not in body and "exception" not in body
        assert _messages(response.json())[0]["message"] == f"{doctype} no-such-doc not found"
        deleted = admin.delete(f"/api/resource/{doctype}/no-such-doc")
        assert deleted.status_code == 404 and "exc" not in deleted.json()
        updated = admin.put(f"/api/resource/{doctype}/no-such-doc", json={"qty": 1})
        assert updated.status_code == 404 and updated.json()["exc_type"] == "DoesNotExistError"


def test_tracebacks_for_system_users_only_when_allowed(admin: SiteClient, doctype: str) -> None:
    with tracebacks(admin.site, True):
        body = admin.post(f"/api/resource/{doctype}", json={"qty": 1}).json()
        assert body["exc_type"] == "MandatoryError"
        assert body["exception"].startswith("frappe.exceptions.MandatoryError: ")
        assert json.loads(body["exc"])[0].startswith("Traceback (most recent call last)")
    with tracebacks(admin.site, False):
        body = admin.post(f"/api/resource/{doctype}", json={"qty": 1}).json()
        assert set(body) == {"exc_type", "_server_messages"}
        assert _messages(body)[0]["message"] == f"Error: Value missing for {doctype}: title"


def test_website_users_and_guests_never_see_tracebacks(
    admin: SiteClient, guest: SiteClient, sites_root: Path, doctype: str
) -> None:
    role = make_role(admin)
    website_user = make_user(admin, sites_root, [role], user_type="Website User")
    with tracebacks(admin.site, True):
        for client in (website_user, guest):
            response = client.post(f"/api/resource/{doctype}", json={"title": "x"})
            assert response.status_code == 403
            assert set(response.json()) == {"exc_type", "_server_messages"}
            assert response.json()["exc_type"] == "PermissionError"


def test_guest_gets_403(guest: SiteClient, doctype: str) -> None:
    for method, url in (("GET", f"/api/resource/{doctype}"), ("GET", f"/api/resource/{doctype}/x"),
                        ("POST", f"/api/resource/{doctype}"), ("DELETE", f"/api/resource/{doctype}/x"),
                        ("GET", "/api/resource/No Such Type")):  # fmt: skip
        response = guest.request(method, url)
        assert response.status_code == 403, url
        assert response.json()["exc_type"] == "PermissionError"


def test_missing_document_without_read_permission_is_403(
    admin: SiteClient, sites_root: Path, doctype: str
) -> None:
    outsider = make_user(admin, sites_root, [make_role(admin)])
    existing = admin.post(f"/api/resource/{doctype}", json={"title": "hidden"}).json()["data"]["name"]
    with tracebacks(admin.site, True):
        for name in ("never-existed", existing):
            response = outsider.get(f"/api/resource/{doctype}/{name}")
            assert response.status_code == 403
            body = response.json()
            assert body["exc_type"] == "PermissionError"
            assert "exc" not in body or name == existing
            assert "not found" not in body["_server_messages"]
        assert outsider.delete(f"/api/resource/{doctype}/never-existed").status_code == 403
        assert outsider.put(f"/api/resource/{doctype}/never-existed", json={}).status_code == 403


def test_patch_on_a_v1_resource_is_405_with_allow(admin: SiteClient, doctype: str) -> None:
    response = admin.patch(f"/api/resource/{doctype}/anything", json={"title": "x"})
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "DELETE",
    }
    assert response.json()["exc_type"] == "MethodNotAllowed"
    listing = admin.delete(f"/api/resource/{doctype}")
    assert listing.status_code == 405
    assert set(listing.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}


@pytest.fixture(scope="module")
def one_word_doctype(admin: SiteClient) -> str:
    return make_doctype(
        admin,
        "ErrorDoc",
        [
            {"fieldname": "title", "fieldtype": "Data", "reqd": 1},
            {"fieldname": "code", "fieldtype": "Data", "unique": 1},
        ],
        sep="",
    )


def test_unique_field_clash_is_409_unique_validation_error(admin: SiteClient, one_word_doctype: str) -> None:
    _check_unique_clash(admin, one_word_doctype)


def test_unique_clash_on_a_doctype_named_with_spaces(admin: SiteClient, doctype: str) -> None:
    _check_unique_clash(admin, doctype)


def test_duplicate_name_on_a_doctype_named_with_spaces(admin: SiteClient, doctype: str) -> None:
    name = unique("dup")
    assert admin.post(f"/api/v2/document/{doctype}", json={"name": name, "title": "a"}).status_code == 200
    again = admin.post(f"/api/v2/document/{doctype}", json={"name": name, "title": "b"})
    assert again.status_code == 409 and again.json()["errors"][0]["type"] == "DuplicateEntryError"


def _check_unique_clash(admin: SiteClient, doctype: str) -> None:
    first = admin.post(f"/api/resource/{doctype}", json={"title": "u1", "code": "SAME-CODE"})
    assert first.status_code == 200
    count = admin.get(f"/api/v2/doctype/{doctype}/count").json()["data"]
    clash = admin.post(f"/api/resource/{doctype}", json={"title": "u2", "code": "SAME-CODE"})
    assert clash.status_code == 409
    assert clash.json()["exc_type"] == "UniqueValidationError"
    assert admin.get(f"/api/v2/doctype/{doctype}/count").json()["data"] == count
    other = admin.post(f"/api/resource/{doctype}", json={"title": "u3", "code": "OTHER"}).json()["data"]
    on_update = admin.put(f"/api/resource/{doctype}/{other['name']}", json={"code": "SAME-CODE"})
    assert on_update.status_code == 409 and on_update.json()["exc_type"] == "UniqueValidationError"


@pytest.mark.parametrize(
    ("body", "exc_type"),
    [
        ({"title": "x", "qty": "lots"}, "ValidationError"),
        ({}, "MandatoryError"),
        ({"title": "x" * 141}, "CharacterLengthExceededError"),
        ({"title": "x", "docstatus": 2}, "DocstatusTransitionError"),
    ],
)
def test_validation_family_is_417(admin: SiteClient, doctype: str, body: dict, exc_type: str) -> None:
    response = admin.post(f"/api/resource/{doctype}", json=body)
    assert response.status_code == 417
    assert response.json()["exc_type"] == exc_type
