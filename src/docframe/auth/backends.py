"""Authentication backends: who is making this request?

Each backend has one method, ``authenticate(ctx, request) -> str | None`` (a user name), and they
are tried in a declared order like Django REST framework's: the session (``sid`` parameter, then
cookie) first, then the ``Authorization`` header (``token key:secret`` or ``Basic``) when the
session is a guest. A malformed header is a 400; a well-formed one that matches nobody is a 401.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from docframe import errors
from docframe.auth.identity import identity_cache
from docframe.auth.sessions import SessionInfo, session_manager

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "AuthBackend",
    "AuthState",
    "HeaderBackend",
    "RequestCredentials",
    "SessionBackend",
]


@dataclass
class RequestCredentials:
    """What a request carries that may identify a user."""

    sid: str | None = None
    authorization: str | None = None


@dataclass
class AuthState:
    """The outcome of authentication for one request."""

    user: str = "Guest"
    sid: str | None = None
    via: str = "guest"
    session_expired: bool = False
    #: Set by login (the new session) and logout (cookies must be cleared).
    new_session: bool = False
    logged_out: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def session(self) -> SessionInfo | None:
        """The resumed or new password session of this request, if any."""
        info = self.extra.get("session")
        return info if isinstance(info, SessionInfo) else None


class AuthBackend(Protocol):
    """One way of authenticating a request."""

    def authenticate(self, ctx: Context, creds: RequestCredentials, state: AuthState) -> str | None:
        """The user name, or None when this backend does not apply."""


class SessionBackend:
    """The ``sid`` parameter or cookie of a password login."""

    def authenticate(self, ctx: Context, creds: RequestCredentials, state: AuthState) -> str | None:
        """Resume the session, or mark it expired."""
        sid = creds.sid
        if not sid or sid == "Guest":
            return None
        info = session_manager(ctx.site).resume(ctx, sid)
        if info is None:
            state.session_expired = True
            return None
        state.sid = sid
        state.via = "session"
        state.extra["session"] = info
        return info.user


class HeaderBackend:
    """``Authorization: token <key>:<secret>`` or ``Authorization: Basic base64(<key>:<secret>)``."""

    def authenticate(self, ctx: Context, creds: RequestCredentials, state: AuthState) -> str | None:
        """Check an API key and secret (only when the session is a guest)."""
        header = creds.authorization
        if not header or state.user != "Guest":
            return None
        parts = header.split(" ")
        if len(parts) != 2:
            return None
        scheme, token = parts[0].lower(), parts[1]
        if scheme == "basic":
            try:
                token = base64.b64decode(token, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise errors.InvalidAuthorizationToken(
                    "Failed to decode token, please provide a valid base64-encoded token."
                ) from None
        elif scheme != "token":
            raise errors.AuthenticationError(text="Unsupported authorization scheme")
        pieces = token.split(":")
        if len(pieces) != 2 or not pieces[0] or not pieces[1] or len(token) > 512 or not token.isprintable():
            raise errors.AuthenticationError(text="Invalid API key or secret")
        user = identity_cache(ctx.site).user_for_key(ctx, pieces[0], pieces[1])
        if user is None:
            raise errors.AuthenticationError(text="Invalid API key or secret")
        state.via = "token"
        return user


BACKENDS: tuple[AuthBackend, ...] = (SessionBackend(), HeaderBackend())


def authenticate(ctx: Context, creds: RequestCredentials) -> AuthState:
    """Run the backends in order; the first user found wins."""
    state = AuthState()
    for backend in BACKENDS:
        user = backend.authenticate(ctx, creds, state)
        if user is not None:
            state.user = user
    return state


__all__ += ["BACKENDS", "authenticate"]
