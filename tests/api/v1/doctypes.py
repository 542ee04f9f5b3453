"""Test DocTypes created through the API, as a client would: unique names, System Manager rights.

The site is shared by the whole session, so every helper makes a fresh, uniquely named DocType.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from tests.conftest import SiteClient, api_key_for

__all__ = ["FULL_RIGHTS", "make_doctype", "make_role", "make_user", "unique"]

FULL_RIGHTS: dict[str, Any] = {
    "role": "System Manager",
    "read": 1, "write": 1, "create": 1, "delete": 1, "submit": 1, "cancel": 1, "amend": 1,
}  # fmt: skip


def unique(prefix: str, sep: str = " ") -> str:
    """A name no other test uses."""
    return f"{prefix}{sep}{secrets.token_hex(4)}"


def _default_rights(options: dict[str, Any]) -> dict[str, Any]:
    """System Manager's full rights; submit, cancel and amend only where the DocType allows them."""
    if options.get("is_submittable"):
        return FULL_RIGHTS
    return {k: v for k, v in FULL_RIGHTS.items() if k not in ("submit", "cancel", "amend")}


def make_doctype(
    client: SiteClient,
    prefix: str,
    fields: list[dict[str, Any]],
    *,
    permissions: list[dict[str, Any]] | None = None,
    sep: str = " ",
    **options: Any,
) -> str:
    """Create a custom DocType through ``POST /api/resource/DocType``; returns its name."""
    name = unique(prefix, sep)
    body = {
        "name": name,
        "custom": 1,
        "module": "Custom",
        "fields": fields,
        "permissions": [_default_rights(options)] if permissions is None else permissions,
        **options,
    }
    response = client.post("/api/resource/DocType", json=body)
    assert response.status_code == 200, response.text
    return name


def make_role(client: SiteClient, prefix: str = "Role") -> str:
    """Create a Role through the API; returns its name."""
    name = unique(prefix)
    response = client.post("/api/resource/Role", json={"role_name": name})
    assert response.status_code == 200, response.text
    return name


def make_user(
    admin: SiteClient, sites_root: Path, roles: list[str], *, user_type: str = "System User"
) -> SiteClient:
    """Create a user with ``roles`` through the API and return a token-authenticated client for it."""
    email = f"{secrets.token_hex(5)}@example.com"
    response = admin.post(
        "/api/resource/User",
        json={
            "email": email,
            "first_name": "Test",
            "user_type": user_type,
            "roles": [{"role": r} for r in roles],
        },
    )
    assert response.status_code == 200, response.text
    return SiteClient(admin.site, sites_root, api_key_for(admin.site, response.json()["data"]["name"]))
