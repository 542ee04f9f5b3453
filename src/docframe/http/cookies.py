"""Cookies: the session cookies Frappe sets (``sid``, ``system_user``, ``full_name``, ``user_id``,
``user_image``) with their attributes, and their deletion on logout, expiry and failed login."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.responses import Response

from docframe.auth.users import User

if TYPE_CHECKING:
    from docframe.auth.backends import AuthState
    from docframe.sites import Site

__all__ = ["apply", "clear_session_cookies"]

SESSION_COOKIES = ("sid", "system_user", "full_name", "user_id", "user_image")
_EXPIRED = "Thu, 01 Jan 1970 00:00:00 GMT"


def _cookie(
    name: str, value: str, *, https: bool, max_age: int | None = None, http_only: bool = False
) -> bytes:
    parts = [f"{name}={quote(value, safe='')}", "Path=/", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
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


def apply(response: Response, state: AuthState, site: Site, *, https: bool, user: User) -> None:
    """Set, refresh or clear the session cookies after a successful request."""
    if state.logged_out or (state.session_expired and state.via != "session"):
        clear_session_cookies(response)
        return
    if state.via != "session" or not state.sid:
        return
    manager = site.cache.get("sessions")
    max_age = manager.max_age if manager is not None else 864000
    raw = response.raw_headers
    raw.append((b"set-cookie", _cookie("sid", state.sid, https=https, max_age=max_age, http_only=True)))
    if state.new_session:
        raw.append(
            (b"set-cookie", _cookie("system_user", "yes" if user.is_system_user else "no", https=https))
        )
        raw.append((b"set-cookie", _cookie("full_name", user.full_name, https=https)))
        raw.append((b"set-cookie", _cookie("user_id", user.name, https=https)))
        raw.append((b"set-cookie", _cookie("user_image", "", https=https)))
