"""Sessions: create, resume and end password-login sessions (the ``sid`` cookie).

Sessions are rows of ``tabSessions`` (sid, user, lastupdate, status, sessiondata). Expiry slides:
each use extends it, and the row's ``lastupdate`` is persisted at most every 10 minutes, in its own
short transaction so that GET requests (whose transaction is rolled back) keep sessions alive too.
Lookups are cached in-process for a few seconds.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import delete, insert, select, update

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site

__all__ = ["SessionInfo", "SessionManager", "parse_expiry"]

PERSIST_EVERY = timedelta(minutes=10)
CACHE_SECONDS = 5.0


def parse_expiry(text: str | None) -> timedelta:
    """``"HH:MM"`` or ``"HH:MM:SS"`` -> a duration (default 240 hours, Frappe's)."""
    if not text:
        return timedelta(hours=240)
    try:
        parts = [int(p) for p in str(text).split(":")]
    except ValueError:
        return timedelta(hours=240)
    while len(parts) < 3:
        parts.append(0)
    return timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A live session."""

    sid: str
    user: str
    lastupdate: datetime
    data: dict[str, object]


class SessionManager:
    """Session operations for one site (cached lookups, database rows)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.expiry = parse_expiry(site.settings.raw.get("session_expiry"))
        self._cache: dict[str, tuple[float, SessionInfo]] = {}
        self._lock = threading.Lock()

    @property
    def max_age(self) -> int:
        """Cookie lifetime in seconds."""
        return int(self.expiry.total_seconds())

    def create(self, ctx: Context, user: str, data: dict[str, object]) -> str:
        """Start a session for ``user`` in the context's transaction; returns the new sid."""
        sid = secrets.token_hex(28)
        table = self.site.tables.framework.sessions
        now = ctx.now()
        ctx.conn.execute(
            insert(table),
            {
                "sid": sid,
                "user": user,
                "lastupdate": now,
                "status": "Active",
                "sessiondata": orjson.dumps(data).decode(),
            },
        )
        return sid

    def resume(self, sid: str) -> SessionInfo | None:
        """The live session ``sid`` (None if unknown or expired); extends its expiry."""
        if not sid or sid == "Guest" or len(sid) > 128:
            return None
        cached = self._cache.get(sid)
        clock = time.monotonic()
        if cached is not None and clock - cached[0] < CACHE_SECONDS:
            return cached[1]
        table = self.site.tables.framework.sessions
        with self.site.db.engine.connect() as conn:
            row = (
                conn.execute(select(table).where(table.c.sid == sid, table.c.status == "Active"))
                .mappings()
                .first()
            )
            conn.rollback()
        if row is None:
            self._forget(sid)
            return None
        now = self._now()
        last = row["lastupdate"] or now
        if now - last > self.expiry:
            self.end(sid)
            return None
        info = SessionInfo(sid, row["user"], last, orjson.loads(row["sessiondata"] or "{}"))
        if now - last > PERSIST_EVERY:
            with self.site.db.engine.begin() as conn:
                conn.execute(update(table).where(table.c.sid == sid).values(lastupdate=now))
            info = SessionInfo(sid, info.user, now, info.data)
        with self._lock:
            self._cache[sid] = (clock, info)
        return info

    def end(self, sid: str) -> None:
        """Delete session ``sid`` (in its own transaction)."""
        table = self.site.tables.framework.sessions
        with self.site.db.engine.begin() as conn:
            conn.execute(delete(table).where(table.c.sid == sid))
        self._forget(sid)

    def _forget(self, sid: str) -> None:
        with self._lock:
            self._cache.pop(sid, None)

    def _now(self) -> datetime:
        tz = self.site.time_zone
        return datetime.now(tz).replace(tzinfo=None) if tz else datetime.now()
