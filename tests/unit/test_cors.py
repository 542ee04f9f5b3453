"""CORS headers follow Frappe's ``allow_cors`` rules."""

from __future__ import annotations

from pathlib import Path

from docframe.cors import cors_headers, origin_allowed
from docframe.settings import Settings


def _settings(allow: tuple[str, ...], developer_mode: bool = False) -> Settings:
    return Settings(
        site_name="s",
        site_path=Path("/tmp/s"),
        db_url="sqlite://",
        allow_cors=allow,
        developer_mode=developer_mode,
    )


def test_listed_origin_gets_its_own_origin_back_with_credentials() -> None:
    headers = cors_headers(
        _settings(("https://app.example.com",)), {"origin": "https://app.example.com"}, preflight=False
    )
    assert headers == {
        "access-control-allow-origin": "https://app.example.com",
        "access-control-allow-credentials": "true",
        "vary": "Origin",
    }


def test_star_allows_any_origin_but_never_answers_a_literal_star() -> None:
    headers = cors_headers(_settings(("*",)), {"origin": "https://other.test"}, preflight=False)
    assert headers["access-control-allow-origin"] == "https://other.test"


def test_unlisted_origin_and_missing_origin_get_nothing() -> None:
    settings = _settings(("https://app.example.com",))
    assert cors_headers(settings, {"origin": "https://evil.test"}, preflight=False) == {}
    assert cors_headers(settings, {}, preflight=False) == {}
    assert not origin_allowed(_settings(()), "https://app.example.com")


def test_preflight_echoes_method_and_headers_and_sets_max_age() -> None:
    request = {
        "origin": "https://app.example.com",
        "access-control-request-method": "PUT",
        "access-control-request-headers": "content-type, x-frappe-csrf-token",
    }
    headers = cors_headers(_settings(("https://app.example.com",)), request, preflight=True)
    assert headers["access-control-allow-methods"] == "PUT"
    assert headers["access-control-allow-headers"] == "content-type, x-frappe-csrf-token"
    assert headers["access-control-max-age"] == "86400"
    dev = cors_headers(_settings(("https://app.example.com",), developer_mode=True), request, preflight=True)
    assert "access-control-max-age" not in dev
