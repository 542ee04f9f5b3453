"""End to end: a real ``docframe serve`` process, reached over TCP."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN_PASSWORD


def test_login_sets_cookies_and_the_session_works(server: str) -> None:
    with httpx.Client(base_url=server) as client:
        response = client.post("/api/method/login", json={"usr": "Administrator", "pwd": ADMIN_PASSWORD})
        assert response.status_code == 200
        assert response.json() == {"message": "Logged In", "home_page": "/app", "full_name": "Administrator"}
        sid_cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("sid="))
        assert "HttpOnly" in sid_cookie and "SameSite=Lax" in sid_cookie
        who = client.get("/api/method/frappe.auth.get_logged_user")
        assert who.json() == {"message": "Administrator"}
        created = client.post("/api/v2/document/ToDo", json={"description": "over tcp"})
        assert created.status_code == 200 and created.json()["data"]["description"] == "over tcp"


def test_wrong_password_is_401_with_frappe_body(server: str) -> None:
    response = httpx.post(f"{server}/api/method/login", data={"usr": "Administrator", "pwd": "wrong"})
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid login credentials"
    assert response.json()["exc_type"] == "AuthenticationError"


def test_root_cmd_login_like_frappe_client(server: str) -> None:
    response = httpx.post(
        f"{server}/",
        data={"cmd": "login", "usr": "Administrator", "pwd": ADMIN_PASSWORD},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200 and response.json()["message"] == "Logged In"
