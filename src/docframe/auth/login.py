"""Login and logout with Frappe's bodies: ``{"message": "Logged In", "home_page", "full_name"}``.

Login runs for ``/api/method/login`` and for ``cmd=login`` at any path, with ``usr`` and ``pwd``
from the form dict. Unknown users and wrong passwords get the same answer in the same time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from docframe import errors
from docframe.auth.backends import AuthState, session_manager
from docframe.auth.identity import identity_cache
from docframe.auth.passwords import check_password

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["login", "logout"]

MAX_PASSWORD = 512


def _fail(message: str) -> errors.AuthenticationError:
    return errors.AuthenticationError(text=message, body={"message": message})


def _find_user(ctx: Context, usr: str) -> str | None:
    users = ctx.site.tables.get(ctx.site.metas.get("User", ctx.conn))
    key = usr.strip()
    row = ctx.conn.execute(
        select(users.c.name)
        .where(or_(users.c.name == key, func.lower(users.c.email) == key.lower()))
        .limit(1)
    ).first()
    return None if row is None else str(row[0])


def login(ctx: Context, form: dict[str, Any], state: AuthState) -> dict[str, Any]:
    """Check ``usr``/``pwd``, start a session, and return Frappe's login body."""
    usr, pwd = form.get("usr"), form.get("pwd")
    if not usr or not pwd or not isinstance(usr, str) or not isinstance(pwd, str):
        raise _fail("Incomplete login details")
    if len(pwd) > MAX_PASSWORD:
        raise _fail("Password size exceeded the maximum allowed size")
    name = _find_user(ctx, usr) if len(usr) <= 255 else None
    valid = check_password(ctx, name or usr, pwd)
    if name is None or not valid:
        raise _fail("Invalid login credentials")
    user = identity_cache(ctx.site).user(ctx, name)
    if user is None:
        raise _fail("User disabled or missing")
    form.pop("pwd", None)
    sid = session_manager(ctx).create(
        ctx, user.name, {"user": user.name, "user_type": user.user_type, "full_name": user.full_name}
    )
    state.user, state.sid, state.via, state.new_session = user.name, sid, "session", True
    ctx.user = user
    if user.user_type == "System User":
        return {"message": "Logged In", "home_page": "/app", "full_name": user.full_name}
    return {"message": "No App", "home_page": "/me", "full_name": user.full_name}


def logout(ctx: Context, state: AuthState) -> None:
    """End the request's session and ask for the cookies to be cleared."""
    if state.sid:
        session_manager(ctx).end(state.sid)
    state.logged_out = True
