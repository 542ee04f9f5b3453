"""Sessions: create, resume, renew and end password-login sessions (the ``sid`` cookie).

A session lives in the site's :class:`~docframe.auth.stores.SessionStore` (``tabSessions``, or
Redis when the site has ``redis_url``). Its lifetime is System Settings ``session_expiry``
(``"HH:MM[:SS]"``, default 240 hours) and slides: every use extends it. The stored
``last_updated`` is written at most every :data:`PERSIST_EVERY` (sooner for short lifetimes), so a
busy session costs no write per request. Resumed database sessions are remembered in-process for
:data:`CACHE_SECONDS`; Redis sessions are read from Redis on every request. A user may hold several sessions; System Settings
``deny_multiple_sessions`` keeps only the newest ``simultaneous_sessions`` of them at login.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from docframe.auth.settings import auth_settings
from docframe.auth.stores import RedisSessionStore, SessionRecord, SessionStore, session_store
from docframe.realtime.publish import session_ended

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site

__all__ = ["SessionInfo", "SessionManager", "session_manager"]

PERSIST_EVERY = timedelta(minutes=10)
#: How long a resumed database session is remembered in-process (Redis sessions are never cached:
#: a logout on one worker must end the session on every worker at once).
CACHE_SECONDS = 1.0
MAX_SID_LENGTH = 128


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A live session."""

    sid: str
    user: str
    last_updated: datetime
    data: dict[str, Any]
    expiry: timedelta

    @property
    def max_age(self) -> int:
        """Cookie lifetime in seconds."""
        return int(self.expiry.total_seconds())


class SessionManager:
    """Session operations for one site."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.store: SessionStore = session_store(site)
        self.cache_seconds = 0.0 if isinstance(self.store, RedisSessionStore) else CACHE_SECONDS
        self._cache: dict[str, tuple[float, SessionInfo]] = {}
        self._lock = threading.Lock()

    def _now(self) -> datetime:
        tz = self.site.time_zone
        return datetime.now(tz).replace(tzinfo=None) if tz else datetime.now()

    def _expiry(self, ctx: Context | None) -> timedelta:
        return auth_settings(self.site, ctx.conn if ctx is not None else None).session_expiry

    def create(self, ctx: Context, user: str, data: dict[str, Any]) -> SessionInfo:
        """Start a session for ``user``; returns it (with its new sid)."""
        expiry = self._expiry(ctx)
        now = self._now()
        sid = secrets.token_hex(28)
        full = {**data, "user": user, "last_updated": str(now), "session_expiry": _hhmmss(expiry)}
        self.store.create(ctx, SessionRecord(sid, user, now, full), int(expiry.total_seconds()))
        info = SessionInfo(sid, user, now, full, expiry)
        self._remember(info)
        return info

    def resume(self, ctx: Context | None, sid: str) -> SessionInfo | None:
        """The live session ``sid`` (``None`` if unknown or expired); extends its expiry."""
        if not sid or sid == "Guest" or len(sid) > MAX_SID_LENGTH or not sid.isalnum():
            return None
        cached = self._cache.get(sid)
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        record = self.store.get(sid)
        if record is None:
            self._forget(sid)
            return None
        expiry = self._expiry(ctx)
        now = self._now()
        if now - record.last_updated > expiry:
            self.end(ctx, sid)
            return None
        info = SessionInfo(sid, record.user, record.last_updated, record.data, expiry)
        if now - record.last_updated > min(PERSIST_EVERY, expiry / 4):
            info = self._persist(ctx, replace(info, last_updated=now))
        self._remember(info)
        return info

    def _persist(self, ctx: Context | None, info: SessionInfo) -> SessionInfo:
        data = {**info.data, "last_updated": str(info.last_updated), "session_expiry": _hhmmss(info.expiry)}
        record = SessionRecord(info.sid, info.user, info.last_updated, data)
        self.store.touch(ctx, record, info.max_age)
        return replace(info, data=data)

    def update_data(self, ctx: Context | None, info: SessionInfo, **values: Any) -> SessionInfo:
        """Store extra session data (for example the CSRF token) right away."""
        updated = self._persist(ctx, replace(info, data={**info.data, **values}, last_updated=self._now()))
        self._remember(updated)
        return updated

    def end(self, ctx: Context | None, sid: str) -> None:
        """Delete session ``sid`` (its Socket.IO connections are dropped too, on every worker)."""
        self.store.delete(ctx, [sid])
        self._forget(sid)
        session_ended(self.site, sid)

    def end_user_sessions(
        self, ctx: Context | None, user: str, *, keep: str | None = None, keep_newest: int = 0
    ) -> int:
        """Delete ``user``'s sessions except ``keep`` and the ``keep_newest`` most recent others."""
        others = [sid for sid in self.store.sids_of(ctx, user) if sid != keep]
        doomed = others[keep_newest:]
        self.store.delete(ctx, doomed)
        for sid in doomed:
            self._forget(sid)
            session_ended(self.site, sid)
        return len(doomed)

    def clear_cache(self) -> None:
        """Forget every remembered session (the next use reads the store)."""
        with self._lock:
            self._cache.clear()

    def _remember(self, info: SessionInfo) -> None:
        with self._lock:
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[info.sid] = (time.monotonic(), info)

    def _forget(self, sid: str) -> None:
        with self._lock:
            self._cache.pop(sid, None)


def _hhmmss(duration: timedelta) -> str:
    total = int(duration.total_seconds())
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def session_manager(site: Site) -> SessionManager:
    """The site's session manager (created on first use)."""
    manager = site.cache.get("sessions")
    if manager is None:
        manager = site.cache.setdefault("sessions", SessionManager(site))
    return manager
