"""Cookies: the session cookies Frappe sets (``sid``, ``system_user``, ``full_name``, ``user_id``,
``user_image``) with their attributes, and their deletion on logout, expiry and failed login.

``sid`` is ``HttpOnly; SameSite=Lax; Path=/`` with ``Max-Age`` and ``Expires`` equal to the session
lifetime, and is re-sent on every response of a password session (the expiry slides). The other
four are readable by scripts, session-scoped, and re-sent with it (Frappe v15). Values are
URL-quoted UTF-8; ``Secure`` is added on https. Requests without a password session get no
cookies (Frappe sends Guest values that clients ignore); a logout or an expired ``sid`` deletes
them all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.responses import Response

from docframe.users import User

if TYPE_CHECKING:
    from docframe.auth.backends import AuthState
    from docframe.sites import Site

__all__ = ["SESSION_COOKIES", "apply", "clear_session_cookies", "session_cookie_headers"]

SESSION_COOKIES = ("sid", "system_user", "full_name", "user_id", "user_image")
_EXPIRED = "Thu, 01 Jan 1970 00:00:00 GMT"


def _http_date(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def _cookie(
    name: str, value: str, *, https: bool, max_age: int | None = None, http_only: bool = False
) -> bytes:
    parts = [f"{name}={quote(value, safe='')}", "Path=/", "SameSite=Lax"]
    if max_age is not None:
        expires = datetime.now(UTC) + timedelta(seconds=max_age)
        parts += [f"Expires={_http_date(expires)}", f"Max-Age={max_age}"]
    if http_only:
        parts.append("HttpOnly")
    if https:
        parts.append("Secure")
    return "; ".join(parts).encode("latin-1")


def clear_session_cookies(response: Response) -> None:
    """Delete every session cookie."""
    for name in SESSION_COOKIES:
        response.raw_headers.append(
            (b"set-cookie", f"{name}=; Expires={_EXPIRED}; Max-Age=0; Path=/".encode())
        )


def session_cookie_headers(state: AuthState, user: User, *, https: bool) -> list[bytes]:
    """The ``Set-Cookie`` values of a password session (empty without one)."""
    info = state.session
    if state.via != "session" or not state.sid or info is None:
        return []
    full_name = str(state.extra.get("full_name") or info.data.get("full_name") or user.full_name)
    image = str(state.extra.get("user_image") or info.data.get("user_image") or "")
    return [
        _cookie("sid", state.sid, https=https, max_age=info.max_age, http_only=True),
        _cookie("system_user", "yes" if user.is_system_user else "no", https=https),
        _cookie("full_name", full_name, https=https),
        _cookie("user_id", user.name, https=https),
        _cookie("user_image", image, https=https),
    ]


def apply(response: Response, state: AuthState, site: Site, *, https: bool, user: User) -> None:
    """Set, refresh or clear the session cookies after a successful request."""
    if state.logged_out or (state.session_expired and state.via != "session"):
        clear_session_cookies(response)
        return
    for header in session_cookie_headers(state, user, https=https):
        response.raw_headers.append((b"set-cookie", header))
