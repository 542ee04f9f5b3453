"""CSRF: Frappe's v15/v16 rule for cookie sessions on unsafe methods (``X-Frappe-CSRF-Token``).

The token is minted lazily: a session has none until something asks for it (the desk boot, or
``frappe.sessions.get_csrf_token`` — see :mod:`docframe.methods.auth`). An unsafe request (POST, PUT,
DELETE, PATCH) passes when any of these holds:

* the site config has ``ignore_csrf``;
* the request has no password session (Guest, or an API key/secret in ``Authorization``);
* the session has no token yet (API clients that only log in never need one);
* header ``X-Frappe-CSRF-Token`` or form field ``csrf_token`` equals the session's token;
* ``Referer`` starts with, or ``Origin`` equals, an entry of site config ``allowed_referrers``.

Otherwise it is a 400 :class:`~docframe.errors.CSRFTokenError` "Invalid Request" (no traceback).
The ``csrf_token`` form field is always removed from the form dict.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Any

from docframe import errors
from docframe.auth.sessions import session_manager

if TYPE_CHECKING:
    from docframe.auth.backends import AuthState
    from docframe.context import Context

__all__ = ["UNSAFE_METHODS", "check_csrf", "csrf_token"]

UNSAFE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})


def _same(given: Any, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def _allowed_referrer(ctx: Context, headers: dict[str, str]) -> bool:
    referer, origin = headers.get("referer") or "", headers.get("origin") or ""
    return any(referer.startswith(entry) or origin == entry for entry in ctx.site.settings.allowed_referrers)


def check_csrf(
    ctx: Context, state: AuthState, method: str, headers: dict[str, str], form: dict[str, Any]
) -> None:
    """Raise ``CSRFTokenError`` (400) when a cookie session's unsafe request lacks its token."""
    given = form.pop("csrf_token", None)
    if method not in UNSAFE_METHODS or ctx.site.settings.ignore_csrf or form.get("cmd") == "login":
        return
    info = state.session
    if info is None or state.via != "session":
        return
    expected = info.data.get("csrf_token")
    if not isinstance(expected, str) or not expected:
        return
    if _same(headers.get("x-frappe-csrf-token"), expected) or _same(given, expected):
        return
    if _allowed_referrer(ctx, headers):
        return
    raise errors.CSRFTokenError("Invalid Request")


def csrf_token(ctx: Context, state: AuthState | None) -> str | None:
    """The session's CSRF token, minted on first use (``None`` without a password session)."""
    if state is None or state.via != "session":
        return None
    info = state.session
    if info is None:
        return None
    token = info.data.get("csrf_token")
    if isinstance(token, str) and token:
        return token
    token = secrets.token_hex(28)
    state.extra["session"] = session_manager(ctx.site).update_data(ctx, info, csrf_token=token)
    return token
