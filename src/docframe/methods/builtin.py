"""Built-in whitelisted methods served under Frappe's names (``ping``, ``frappe.auth.*``, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docframe.auth.login import GUEST_LOGIN_BODY
from docframe.auth.login import logout as end_session
from docframe.methods.call import TopLevel
from docframe.methods.registry import alias, whitelist

if TYPE_CHECKING:
    from docframe.context import Context


@alias("ping", "frappe.ping", "frappe.handler.ping")
@whitelist(allow_guest=True)
def ping() -> str:
    """Health check: ``"pong"``."""
    return "pong"


@alias("frappe.auth.get_logged_user", "frappe.core.api.auth.get_logged_user")
@whitelist()
def get_logged_user(ctx: Context) -> str:
    """The name of the logged-in user."""
    return ctx.user.name


@alias("logout", "frappe.handler.logout", "web_logout")
@whitelist(allow_guest=True)
def logout(ctx: Context) -> Any:
    """End the session; the response clears the session cookies and carries Guest's login body."""
    if ctx.auth is not None:
        return TopLevel(end_session(ctx, ctx.auth))
    return TopLevel(dict(GUEST_LOGIN_BODY))
