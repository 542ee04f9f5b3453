"""Login and logout with Frappe's bodies: ``{"message": "Logged In", "home_page", "full_name"}``.

Login runs for ``/api/method/login`` and for ``cmd=login`` at any path, with ``usr`` and ``pwd``
from the form dict (``usr`` is the user's name or e-mail; also the username or mobile number when
System Settings allow it). The order is Frappe's: the password is always verified (an unknown user
verifies a fixed dummy hash, so both cost the same argon2 time), then the lock-out counters
(:mod:`docframe.auth.lockout`, keyed on the request's real client address ``ctx.request_ip``) are
consulted, then the outcome is counted once the request's transaction has ended (so a failure is
counted although its request rolls back). Failures are 401 ``AuthenticationError`` with ``message``
in the body; a locked account is Frappe's 500 ``SecurityException``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docframe import errors
from docframe.auth.backends import AuthState
from docframe.auth.identity import identity_cache
from docframe.auth.lockout import Attempt, LoginLockout
from docframe.auth.passwords import check_password
from docframe.auth.sessions import session_manager
from docframe.auth.settings import AuthSettings, auth_settings
from docframe.db.repos import rows, users
from docframe.ratelimit.stores import site_counters
from docframe.users import ADMINISTRATOR

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["GUEST_LOGIN_BODY", "MAX_PASSWORD", "login", "logout"]

MAX_PASSWORD = 512
#: What Frappe answers a logout with: its login manager logs the request in as Guest (a Website
#: User, whose home page is the login page) and writes that login's body.
GUEST_LOGIN_BODY = {"message": "No App", "home_page": "/login", "full_name": "Guest"}
MAX_USER = 255


def _fail(message: str) -> errors.AuthenticationError:
    return errors.AuthenticationError(text=message, body={"message": message})


def _find_user(ctx: Context, usr: str, settings: AuthSettings) -> Any:
    return users.find_login_user(
        ctx.conn,
        ctx.site.tables.get(ctx.meta("User")),
        usr.strip(),
        by_mobile=settings.allow_login_using_mobile_number,
        by_username=settings.allow_login_using_user_name,
    )


def _credentials(form: dict[str, Any]) -> tuple[str, str]:
    usr, pwd = form.get("usr"), form.get("pwd")
    if not usr or not pwd or not isinstance(usr, str) or not isinstance(pwd, str):
        raise _fail("Incomplete login details")
    if len(pwd) > MAX_PASSWORD:
        raise _fail("Password size exceeded the maximum allowed size")
    return usr, pwd


def _authenticate(ctx: Context, usr: str, pwd: str, settings: AuthSettings, ip: str) -> Any:
    searchable = len(usr) <= MAX_USER and usr.isprintable()
    found = _find_user(ctx, usr, settings) if searchable else None
    # An unknown user still costs one auth lookup and one argon2 verification (of a dummy hash).
    valid = check_password(ctx, str(found.name) if found is not None else "", pwd)
    lockout = LoginLockout(site_counters(ctx.site), settings)
    account = (str(found.name) if found is not None else usr.strip()[:MAX_USER]).lower()
    attempt = Attempt(ip, account)
    lockout.check(attempt, str(found.last_ip) if found is not None and found.last_ip else None)
    if found is None or not valid or (not found.enabled and found.name != ADMINISTRATOR):
        # Counted after the request's transaction has ended (it rolls back): the counters keep
        # their own transactions, which must not wait on this request's locks.
        ctx.after_rollback.append(lambda: lockout.failed(attempt))
        raise _fail("Invalid login credentials" if found is None or not valid else "User disabled or missing")
    ctx.after_commit.append(lambda: lockout.succeeded(attempt))
    return found


def login(ctx: Context, form: dict[str, Any], state: AuthState) -> dict[str, Any]:
    """Check ``usr``/``pwd``, start a session, and return Frappe's login body."""
    settings = auth_settings(ctx.site, ctx.conn, fresh=True)
    if settings.disable_user_pass_login:
        raise errors.AuthenticationError("Login with username and password is not allowed.")
    usr, pwd = _credentials(form)
    ip = ctx.request_ip
    found = _authenticate(ctx, usr, pwd, settings, ip)
    user = identity_cache(ctx.site).user(ctx, str(found.name))
    if user is None:
        raise _fail("User disabled or missing")
    form.pop("pwd", None)
    full_name = " ".join(p for p in (found.first_name, found.last_name) if p)
    manager = session_manager(ctx.site)
    info = manager.create(
        ctx,
        user.name,
        {"session_ip": ip, "full_name": full_name, "user_type": user.user_type,
         "user_image": found.user_image or ""},
    )  # fmt: skip
    if settings.deny_multiple_sessions:
        keep = max(int(found.simultaneous_sessions or 1) - 1, 0)
        manager.end_user_sessions(ctx, user.name, keep=info.sid, keep_newest=keep)
    _record_login(ctx, user.name, ip)
    state.user, state.sid, state.via, state.new_session = user.name, info.sid, "session", True
    state.extra.update(session=info, full_name=full_name, user_image=found.user_image or "")
    ctx.user = user
    home = ctx.site.hooks.home_page  # an app's ``home_page`` hook, else Frappe's /app and /me
    if user.user_type == "System User":
        return {"message": "Logged In", "home_page": home or "/app", "full_name": full_name}
    return {"message": "No App", "home_page": home or "/me", "full_name": full_name}


def _record_login(ctx: Context, name: str, ip: str) -> None:
    table = ctx.site.tables.get(ctx.meta("User"))
    rows.update_rows(ctx.conn, table, {"name": name}, {"last_login": str(ctx.now()), "last_ip": ip})


def logout(ctx: Context, state: AuthState) -> dict[str, str]:
    """End the request's session, ask for the cookies to be cleared, and return Guest's login body."""
    if state.sid and state.via == "session":
        session_manager(ctx.site).end(ctx, state.sid)
    state.logged_out = True
    return dict(GUEST_LOGIN_BODY)
