"""Identity lookups: build the :class:`~docframe.users.User` of a user name or an API key.

Results are cached per site for :data:`TTL` seconds; the User controller clears the cache after a
user change commits, so role and key changes apply at once in the process that made them (and
within half a second in other worker processes when the site has Redis, else within :data:`TTL`
seconds).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from docframe.auth.passwords import digest_secret, get_auth_value, secret_matches
from docframe.auth.stores import SharedEpoch, shared_epoch
from docframe.db.repos import rows, users
from docframe.users import ADMINISTRATOR, GUEST, User, effective_roles

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site

__all__ = ["IdentityCache", "identity_cache"]

TTL = 30.0


class IdentityCache:
    """Per-site cache of users and API keys."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._users: dict[str, tuple[float, User | None]] = {}
        self._keys: dict[tuple[str, str], tuple[float, str | None]] = {}
        self._lock = threading.Lock()
        self._epoch: SharedEpoch | None = None

    def clear(self) -> None:
        """Forget everything in this process."""
        with self._lock:
            self._users.clear()
            self._keys.clear()

    def invalidate(self) -> None:
        """A user or role changed: forget everything here, and tell the other workers (Redis)."""
        self.clear()
        shared_epoch(self.site, "identity").bump()

    def _sync(self) -> None:
        epoch = self._epoch
        if epoch is None:
            epoch = self._epoch = shared_epoch(self.site, "identity")
        if epoch.changed():
            self.clear()

    def user(self, ctx: Context, name: str) -> User | None:
        """The enabled user ``name`` with its roles, or None."""
        if name == GUEST:
            return User.guest()
        self._sync()
        hit = self._users.get(name)
        if hit is not None and time.monotonic() - hit[0] < TTL:
            return hit[1]
        found = self._load_user(ctx, name)
        with self._lock:
            self._users[name] = (time.monotonic(), found)
        return found

    def _load_user(self, ctx: Context, name: str) -> User | None:
        metas = ctx.site.metas
        table = ctx.site.tables.get(metas.get("User", ctx.conn))
        row = rows.first(ctx.conn, table, ("name", "enabled", "user_type", "full_name"), {"name": name})
        if row is None or not (row["enabled"] or row["name"] == ADMINISTRATOR):
            return None
        if row["name"] == ADMINISTRATOR:
            roles = ctx.site.tables.get(metas.get("Role", ctx.conn))
            return User.administrator(frozenset(users.role_names(ctx.conn, roles)))
        has_role = ctx.site.tables.get(metas.get("Has Role", ctx.conn))
        assigned = users.assigned_roles(ctx.conn, has_role, name)
        user_type = row["user_type"] or "System User"
        return User(
            row["name"], effective_roles(assigned, user_type), user_type=user_type,
            full_name=row["full_name"] or "",
        )  # fmt: skip

    def user_for_key(self, ctx: Context, api_key: str, api_secret: str) -> str | None:
        """The user whose API key and secret these are, or None."""
        cache_key = (api_key, digest_secret(api_secret))
        self._sync()
        hit = self._keys.get(cache_key)
        if hit is not None and time.monotonic() - hit[0] < TTL:
            return hit[1]
        table = ctx.site.tables.get(ctx.meta("User"))
        row = rows.first(ctx.conn, table, ("name", "enabled"), {"api_key": api_key})
        found: str | None = None
        if row is not None and row["enabled"]:
            stored = get_auth_value(ctx, "User", row["name"], "api_secret")
            if secret_matches(stored, api_secret):
                found = row["name"]
        with self._lock:
            if len(self._keys) > 10000:
                self._keys.clear()
            self._keys[cache_key] = (time.monotonic(), found)
        return found


def identity_cache(site: Site) -> IdentityCache:
    """The site's identity cache (created on first use)."""
    return site.services.identity.get(lambda: IdentityCache(site))
