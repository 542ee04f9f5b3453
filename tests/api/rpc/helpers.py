"""Helpers for the RPC, action, job and file tests: unique DocTypes, users and polling, via the API."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete, insert, select

from docframe.sites import Site
from docframe.users import User
from tests.conftest import SiteClient, api_key_for

__all__ = ["doctype", "message", "poll_job", "system_settings", "unique", "user_client"]

ALL_RIGHTS = {"read": 1, "write": 1, "create": 1, "delete": 1, "submit": 1, "cancel": 1, "amend": 1}


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix} {secrets.token_hex(4)}"


def doctype(
    admin: SiteClient,
    prefix: str,
    fields: list[dict[str, Any]],
    *,
    permissions: list[dict[str, Any]] | None = None,
    **options: Any,
) -> str:
    """Create a custom DocType (System Manager gets every right unless ``permissions`` is given)."""
    name = unique(prefix)
    rights = dict(ALL_RIGHTS)
    if not options.get("is_submittable"):
        rights = {k: v for k, v in rights.items() if k not in ("submit", "cancel", "amend")}
    body = {
        "name": name, "custom": 1, "module": "Custom", "fields": fields,
        "permissions": permissions if permissions is not None else [{"role": "System Manager", **rights}],
        **options,
    }  # fmt: skip
    response = admin.post("/api/resource/DocType", json=body)
    assert response.status_code == 200, response.text
    return name


def user_client(admin: SiteClient, roles: list[str]) -> tuple[str, SiteClient]:
    """A new System User with ``roles`` and a token client for it."""
    email = f"rpc-{secrets.token_hex(5)}@example.com"
    response = admin.post(
        "/api/resource/User",
        json={"email": email, "first_name": "Rpc", "roles": [{"role": r} for r in roles]},
    )
    assert response.status_code == 200, response.text
    return email, SiteClient(admin.site, admin.app.state.sites.sites_path, api_key_for(admin.site, email))


def message(response: Any) -> str:
    """The first user-facing message of a v1 or v2 error body."""
    body = response.json()
    if "errors" in body:
        return str(body["errors"][0].get("message", ""))
    return str(json.loads(json.loads(body["_server_messages"])[0])["message"])


def poll_job(client: SiteClient, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """Wait until the job's RQ Job record is finished or failed; return it."""
    deadline = time.monotonic() + timeout
    record: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.get("/api/v2/method/docframe.get_job", params={"job_id": job_id})
        assert response.status_code == 200, response.text
        record = response.json()["data"]
        if record["status"] in ("finished", "failed"):
            return record
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {record}")


@contextmanager
def system_settings(site: Site, **values: Any) -> Iterator[None]:
    """Set System Settings values (rows of ``tabSingles``) for a block, then restore them."""
    singles = site.tables.framework.singles

    def where(key: str) -> Any:
        return (singles.c.doctype == "System Settings", singles.c.field == key)

    with site.unit_of_work(User.administrator()) as ctx:
        old = {k: ctx.conn.execute(select(singles.c.value).where(*where(k))).scalar() for k in values}
        for key, value in values.items():
            ctx.conn.execute(delete(singles).where(*where(key)))
            ctx.conn.execute(insert(singles).values(doctype="System Settings", field=key, value=str(value)))
    try:
        yield
    finally:
        with site.unit_of_work(User.administrator()) as ctx:
            for key, value in old.items():
                ctx.conn.execute(delete(singles).where(*where(key)))
                if value is not None:
                    ctx.conn.execute(
                        insert(singles).values(doctype="System Settings", field=key, value=value)
                    )
