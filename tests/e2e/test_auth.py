"""Identity end to end over TCP against a real ``docframe serve`` process: login, logout, session
expiry, API key rotation, lock-out and CSRF, as a Frappe client would see them."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, insert

from docframe.sites import Site
from docframe.users import User
from tests.conftest import ADMIN_PASSWORD


@contextmanager
def system_settings(site: Site, **values: Any) -> Iterator[None]:
    """System Settings values for a block (the server reads them within a second)."""
    singles = site.tables.framework.singles

    def write(data: dict[str, Any]) -> None:
        with site.unit_of_work(User.administrator()) as ctx:
            for key, value in data.items():
                where = (singles.c.doctype == "System Settings", singles.c.field == key)
                ctx.conn.execute(delete(singles).where(*where))
                if value is not None:
                    ctx.conn.execute(
                        insert(singles).values(doctype="System Settings", field=key, value=str(value))
                    )
        time.sleep(1.1)

    write(values)
    try:
        yield
    finally:
        write(dict.fromkeys(values))


def loopback() -> str:
    """A random loopback address (Linux routes all of 127.0.0.0/8 to the server on 127.0.0.1)."""
    return f"127.7.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def client(server: str, ip: str | None = None) -> httpx.Client:
    """A client connecting from its own source address ``ip`` (a random loopback address by default)."""
    transport = httpx.HTTPTransport(local_address=ip or loopback())
    return httpx.Client(
        base_url=server, headers={"Accept": "application/json"}, timeout=30, transport=transport
    )


@pytest.fixture()
def admin(server: str) -> Iterator[httpx.Client]:
    with client(server) as http:
        response = http.post("/api/method/login", data={"usr": "Administrator", "pwd": ADMIN_PASSWORD})
        assert response.status_code == 200, response.text
        yield http


def new_user(
    admin: httpx.Client, password: str = "E2e-Secret-9", roles: tuple[str, ...] = ("System Manager",)
) -> str:
    email = f"e2e-{secrets.token_hex(5)}@example.com"
    body = {
        "email": email,
        "first_name": "Eve",
        "new_password": password,
        "roles": [{"role": r} for r in roles],
    }
    response = admin.post("/api/resource/User", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["name"])


def test_login_logout_cycle(server: str, admin: httpx.Client) -> None:
    name = new_user(admin)
    with client(server) as http:
        login = http.post("/api/method/login", json={"usr": name, "pwd": "E2e-Secret-9"})
        assert login.json() == {"message": "Logged In", "home_page": "/app", "full_name": "Eve"}
        sid = http.cookies["sid"]
        assert http.cookies["user_id"] == name.replace("@", "%40") and http.cookies["system_user"] == "yes"
        assert http.get("/api/method/frappe.auth.get_logged_user").json() == {"message": name}
        out = http.post("/api/method/logout")
        assert out.status_code == 200 and "sid" not in http.cookies
        assert [c for c in out.headers.get_list("set-cookie") if c.startswith("sid=;")]
    stale = httpx.get(f"{server}/api/method/frappe.auth.get_logged_user", params={"sid": sid})
    assert stale.status_code == 403
    assert httpx.get(f"{server}/api/method/ping", params={"sid": sid}).json() == {
        "message": "pong",
        "session_expired": 1,
    }


def test_session_expiry(server: str, admin: httpx.Client, sqlite_site: Site) -> None:
    name = new_user(admin)
    with system_settings(sqlite_site, session_expiry="00:00:02"), client(server) as http:
        assert http.post("/api/method/login", json={"usr": name, "pwd": "E2e-Secret-9"}).status_code == 200
        sid = http.cookies["sid"]
        used = http.get("/api/method/frappe.auth.get_logged_user")
        assert used.status_code == 200 and "Max-Age=2" in used.headers["set-cookie"]
        time.sleep(3.5)
        expired = httpx.get(f"{server}/api/method/ping", params={"sid": sid})
        assert expired.json() == {"message": "pong", "session_expired": 1}
        assert (
            httpx.get(f"{server}/api/method/frappe.auth.get_logged_user", params={"sid": sid}).status_code
            == 403
        )


def test_api_key_rotation(server: str, admin: httpx.Client) -> None:
    name = new_user(admin, roles=())
    first = admin.post("/api/method/frappe.core.doctype.user.user.generate_keys", data={"user": name}).json()[
        "message"
    ]
    token = {"Authorization": f"token {first['api_key']}:{first['api_secret']}"}
    assert httpx.get(f"{server}/api/method/frappe.auth.get_logged_user", headers=token).json() == {
        "message": name
    }
    second = admin.post(
        "/api/method/frappe.core.doctype.user.user.generate_keys", data={"user": name}
    ).json()["message"]
    assert second["api_key"] == first["api_key"] and second["api_secret"] != first["api_secret"]
    old = httpx.get(f"{server}/api/method/frappe.auth.get_logged_user", headers=token)
    assert old.status_code == 401 and old.json()["exc_type"] == "AuthenticationError"
    new = {"Authorization": f"token {second['api_key']}:{second['api_secret']}"}
    assert httpx.get(f"{server}/api/v2/method/frappe.auth.get_logged_user", headers=new).json() == {
        "data": name
    }
    assert admin.get(f"/api/resource/User/{name}").json()["data"]["api_secret"] != second["api_secret"]


def test_lockout(server: str, admin: httpx.Client, sqlite_site: Site) -> None:
    victim, bystander = new_user(admin), new_user(admin)
    attacker = loopback()
    with system_settings(sqlite_site, allow_consecutive_login_attempts=2, allow_login_after_fail=30):
        for _ in range(3):
            with client(server, attacker) as http:
                assert http.post("/api/method/login", json={"usr": victim, "pwd": "nope"}).status_code == 401
        with client(server, attacker) as http:
            locked = http.post("/api/method/login", json={"usr": victim, "pwd": "E2e-Secret-9"})
            assert locked.status_code == 500 and locked.json()["exc_type"] == "SecurityException"
            assert "locked and will resume after 30 seconds" in locked.json()["_server_messages"]
            assert "sid" not in http.cookies
        for name in (bystander, victim):  # from another address both get in
            with client(server) as http:
                assert (
                    http.post("/api/method/login", json={"usr": name, "pwd": "E2e-Secret-9"}).status_code
                    == 200
                )


def test_a_changing_forwarded_for_header_does_not_dodge_the_lockout(
    server: str, admin: httpx.Client, sqlite_site: Site
) -> None:
    """Issue 10, finding 6, against a real server: the count follows the socket peer."""
    victim = new_user(admin)
    attacker = loopback()
    with system_settings(sqlite_site, allow_consecutive_login_attempts=3, allow_login_after_fail=30):
        with client(server, attacker) as http:
            for i in range(4):
                fake = {"X-Forwarded-For": f"198.51.100.{i + 1}"}
                response = http.post("/api/method/login", json={"usr": victim, "pwd": "guess"}, headers=fake)
                assert response.status_code == 401
            fake = {"X-Forwarded-For": "198.51.100.99"}
            locked = http.post("/api/method/login", json={"usr": victim, "pwd": "E2e-Secret-9"}, headers=fake)
            assert locked.status_code == 500 and locked.json()["exc_type"] == "SecurityException"
        with client(server) as http:
            assert (
                http.post("/api/method/login", json={"usr": victim, "pwd": "E2e-Secret-9"}).status_code == 200
            )


def test_csrf_after_the_token_is_minted(server: str, admin: httpx.Client) -> None:
    name = new_user(admin)
    with client(server) as http:
        http.post("/api/method/login", json={"usr": name, "pwd": "E2e-Secret-9"})
        assert http.post("/api/resource/ToDo", json={"description": "before"}).status_code == 200
        token = http.get("/api/method/frappe.sessions.get_csrf_token").json()["message"]
        refused = http.post("/api/resource/ToDo", json={"description": "after"})
        assert refused.status_code == 400 and refused.json()["exc_type"] == "CSRFTokenError"
        allowed = http.post(
            "/api/resource/ToDo", json={"description": "after"}, headers={"X-Frappe-CSRF-Token": token}
        )
        assert allowed.status_code == 200


def test_bad_credentials_over_tcp(server: str) -> None:
    for header, status in (("token x:y", 401), ("Basic ###", 400), ("Bearer nothing", 401)):
        response = httpx.get(
            f"{server}/api/resource/ToDo", headers={"Authorization": header, "Accept": "application/json"}
        )
        assert response.status_code == status, header
    response = httpx.get(f"{server}/api/resource/ToDo", cookies={"sid": "x" * 4000})
    assert response.status_code == 403
