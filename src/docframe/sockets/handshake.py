"""Handshake: which site a socket is for and whether its connection may open (Frappe's rules).

The site is resolved as Frappe's realtime server resolves it: the ``X-Frappe-Site-Name`` header,
then the default site when the ``Host`` is ``localhost`` or ``127.0.0.1``, then the host of the
``Origin``, then the ``Host``. A connection is refused (``connect_error`` with Frappe's message)
when its namespace is not that site, when its ``Origin`` names another host than its ``Host``
(unless the site's ``allow_cors`` lists that origin), or when it carries neither a cookie nor an
``Authorization`` header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

from docframe.cors import origin_allowed
from docframe.settings import Settings

__all__ = [
    "INVALID_NAMESPACE",
    "INVALID_ORIGIN",
    "MISSING_CREDENTIALS",
    "NO_AUTH_METHOD",
    "Credentials",
    "Refused",
    "check_origin",
    "credentials",
    "hostname",
    "site_name",
]

INVALID_NAMESPACE = "Invalid namespace"
INVALID_ORIGIN = "Invalid origin"
MISSING_CREDENTIALS = "Missing cookie and authorization header. Either one needed for authentication."
NO_AUTH_METHOD = "No authentication method used. Use cookie or authorization header."
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})


class Refused(Exception):
    """A connection the handshake refuses; ``str(exc)`` is the message the client gets."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a handshake carries that may identify a user."""

    sid: str | None
    authorization: str | None


def hostname(value: str | None) -> str | None:
    """The host of a URL or ``Host`` header value, without scheme, path or port."""
    if not value:
        return None
    if "://" in value:
        value = value.split("://", 1)[1]
    value = value.split("/", 1)[0]
    if value.startswith("["):  # an IPv6 literal
        return value.split("]", 1)[0] + "]"
    return value.split(":", 1)[0] or None


def headers_of(environ: Mapping[str, object]) -> dict[str, str]:
    """The handshake's HTTP headers from an Engine.IO ``environ`` (lower-case names)."""
    out: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            out[key[5:].replace("_", "-").lower()] = value
    return out


def site_name(headers: Mapping[str, str], default_site: str | None) -> str | None:
    """The site a handshake is for (see the module docstring)."""
    explicit = headers.get("x-frappe-site-name")
    if explicit:
        return hostname(explicit.strip())
    host = hostname(headers.get("host"))
    if default_site and host in LOCAL_HOSTS:
        return default_site
    origin = hostname(headers.get("origin"))
    return origin or host


def check_origin(headers: Mapping[str, str], settings: Settings) -> None:
    """Refuse a browser page of another host (an ``Origin`` the site does not allow)."""
    origin = headers.get("origin")
    if not origin or hostname(origin) == hostname(headers.get("host")):
        return
    if origin_allowed(settings, origin):
        return
    raise Refused(INVALID_ORIGIN)


def credentials(headers: Mapping[str, str]) -> Credentials:
    """The session id (``sid`` cookie) and ``Authorization`` header; refused when neither is sent."""
    cookie_header = headers.get("cookie")
    authorization = headers.get("authorization") or None
    if not cookie_header and not authorization:
        raise Refused(MISSING_CREDENTIALS)
    sid: str | None = None
    if cookie_header:
        jar = SimpleCookie()
        try:
            jar.load(cookie_header)
        except CookieError:
            jar = SimpleCookie()
        morsel = jar.get("sid")
        sid = morsel.value if morsel is not None and morsel.value else None
    if not sid and not authorization:
        raise Refused(NO_AUTH_METHOD)
    return Credentials(sid, authorization)
