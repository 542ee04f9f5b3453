"""The handshake's pure rules: which site, which origin, which credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from docframe.settings import Settings
from docframe.sockets import handshake


def _settings(allow_cors: tuple[str, ...] = ()) -> Settings:
    return Settings(site_name="a.test", site_path=Path("."), db_url="sqlite://", allow_cors=allow_cors)


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("http://site.test:8000", "site.test"),
        ("https://site.test/app/todo", "site.test"),
        ("site.test:9000", "site.test"),
        ("site.test", "site.test"),
        ("http://[::1]:8000", "[::1]"),
        ("", None),
        (None, None),
    ],
)
def test_hostname(value: str | None, host: str | None) -> None:
    assert handshake.hostname(value) == host


def test_site_name_order() -> None:
    assert (
        handshake.site_name({"x-frappe-site-name": "b.test", "host": "localhost:9000"}, "a.test") == "b.test"
    )
    assert handshake.site_name({"host": "localhost:9000", "origin": "http://c.test"}, "a.test") == "a.test"
    assert handshake.site_name({"host": "127.0.0.1:9000"}, "a.test") == "a.test"
    assert handshake.site_name({"host": "d.test:9000", "origin": "http://c.test:8000"}, "a.test") == "c.test"
    assert handshake.site_name({"host": "d.test:9000"}, "a.test") == "d.test"
    assert handshake.site_name({"host": "localhost:9000"}, None) == "localhost"


def test_origin_rules() -> None:
    settings = _settings(("https://app.example",))
    handshake.check_origin({"host": "site.test:9000", "origin": "http://site.test:8000"}, settings)
    handshake.check_origin({"host": "site.test:9000"}, settings)  # no Origin: not a browser page
    handshake.check_origin({"host": "site.test:9000", "origin": "https://app.example"}, settings)
    with pytest.raises(handshake.Refused, match=r"^Invalid origin$"):
        handshake.check_origin({"host": "site.test:9000", "origin": "https://evil.example"}, settings)


def test_credentials() -> None:
    assert handshake.credentials({"cookie": "sid=abc; system_user=yes"}) == handshake.Credentials("abc", None)
    assert handshake.credentials({"authorization": "token a:b"}) == handshake.Credentials(None, "token a:b")
    with pytest.raises(handshake.Refused, match="Missing cookie and authorization header"):
        handshake.credentials({})
    with pytest.raises(handshake.Refused, match="No authentication method used"):
        handshake.credentials({"cookie": "user_id=x"})
    with pytest.raises(handshake.Refused, match="No authentication method used"):
        handshake.credentials({"cookie": 'sid="broken'})


def test_headers_of_environ() -> None:
    environ = {"HTTP_X_FRAPPE_SITE_NAME": "a", "HTTP_COOKIE": "sid=1", "REQUEST_METHOD": "GET", "HTTP_BAD": 1}
    assert handshake.headers_of(environ) == {"x-frappe-site-name": "a", "cookie": "sid=1"}
