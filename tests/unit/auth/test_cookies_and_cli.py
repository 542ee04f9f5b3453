"""Session cookie headers, and the ``docframe add-user`` command."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from starlette.responses import Response

from docframe.auth.backends import AuthState
from docframe.auth.sessions import SessionInfo
from docframe.cli.main import cli
from docframe.http.cookies import apply, clear_session_cookies, session_cookie_headers
from docframe.sites import Site
from docframe.users import User
from tests.conftest import SiteClient


def _state() -> AuthState:
    info = SessionInfo("abc123", "jo@example.com", datetime.now(), {"full_name": "Jö Dœ"}, timedelta(hours=2))
    return AuthState(
        user="jo@example.com",
        sid="abc123",
        via="session",
        extra={"session": info, "user_image": "/files/a b.png"},
    )


def test_session_cookie_headers() -> None:
    user = User("jo@example.com", frozenset({"All"}), user_type="Website User")
    headers = [h.decode() for h in session_cookie_headers(_state(), user, https=True)]
    sid, system_user, full_name, user_id, image = headers
    assert (
        sid.startswith("sid=abc123; Path=/; SameSite=Lax; Expires=")
        and "Max-Age=7200; HttpOnly; Secure" in sid
    )
    assert system_user == "system_user=no; Path=/; SameSite=Lax; Secure"
    assert full_name.startswith("full_name=J%C3%B6%20D%C5%93;")
    assert user_id.startswith("user_id=jo%40example.com;") and image.startswith(
        "user_image=%2Ffiles%2Fa%20b.png;"
    )
    assert session_cookie_headers(AuthState(), user, https=False) == []


def test_logout_and_expiry_clear_every_cookie() -> None:
    response = Response()
    clear_session_cookies(response)
    cleared = [v.decode() for k, v in response.raw_headers if k == b"set-cookie"]
    assert [c.split("=", 1)[0] for c in cleared] == [
        "sid",
        "system_user",
        "full_name",
        "user_id",
        "user_image",
    ]
    assert all("Expires=Thu, 01 Jan 1970 00:00:00 GMT" in c for c in cleared)
    expired = Response()
    apply(expired, AuthState(session_expired=True), None, https=False, user=User.guest())  # type: ignore[arg-type]
    assert len([k for k, _ in expired.raw_headers if k == b"set-cookie"]) == 5


def test_add_user_command(sqlite_site: Site, sites_root: Path) -> None:
    email = f"cli-{secrets.token_hex(4)}@example.com"
    runner = CliRunner()
    args = ["--sites", str(sites_root), "add-user", email, "--password", "Cli-Pass-1", "--role", "System Manager",
            "--site", sqlite_site.name]  # fmt: skip
    result = runner.invoke(cli, args, obj={})
    assert result.exit_code == 0, result.output
    client = SiteClient(sqlite_site, sites_root)
    login = client.post("/api/method/login", json={"usr": email, "pwd": "Cli-Pass-1"})
    assert login.status_code == 200 and login.json()["message"] == "Logged In"
    again = runner.invoke(cli, args, obj={})
    assert again.exit_code != 0 and "was not created" in again.output
    bad_role = runner.invoke(
        cli, [*args[:3], f"x{email}", "--role", "No Such Role", "--site", sqlite_site.name], obj={}
    )
    assert bad_role.exit_code != 0 and "No Such Role" in bad_role.output
    web = runner.invoke(
        cli, ["--sites", str(sites_root), "add-user", f"web-{email}", "--site", sqlite_site.name], obj={}
    )
    assert web.exit_code == 0 and "Password: " in web.output
