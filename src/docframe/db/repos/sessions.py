"""Sessions stored in the database (``tabSessions``: sid, user, lastupdate, status, sessiondata)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.engine import Connection

__all__ = [
    "StoredSession",
    "delete_expired",
    "delete_sessions",
    "insert_session",
    "read_session",
    "sids_of",
    "touch_session",
]


@dataclass(frozen=True, slots=True)
class StoredSession:
    """One active session row (``data`` is the JSON text of ``sessiondata``)."""

    user: str
    last_updated: datetime | None
    data: str | None


def insert_session(conn: Connection, sessions: Table, sid: str, user: str, when: datetime, data: str) -> None:
    """Store a new active session."""
    conn.execute(
        insert(sessions),
        {"sid": sid, "user": user, "lastupdate": when, "status": "Active", "sessiondata": data},
    )


def read_session(conn: Connection, sessions: Table, sid: str) -> StoredSession | None:
    """The active session ``sid``, or None."""
    stmt = select(sessions.c.user, sessions.c.lastupdate, sessions.c.sessiondata).where(
        sessions.c.sid == sid, sessions.c.status == "Active"
    )
    row = conn.execute(stmt).first()
    return None if row is None else StoredSession(str(row.user), row.lastupdate, row.sessiondata)


def touch_session(conn: Connection, sessions: Table, sid: str, when: datetime, data: str) -> None:
    """Record the session's last use and its data."""
    conn.execute(update(sessions).where(sessions.c.sid == sid).values(lastupdate=when, sessiondata=data))


def delete_sessions(conn: Connection, sessions: Table, sids: Sequence[str]) -> None:
    """Remove the sessions ``sids``."""
    if sids:
        conn.execute(delete(sessions).where(sessions.c.sid.in_(list(sids))))


def sids_of(conn: Connection, sessions: Table, user: str) -> list[str]:
    """The sessions of ``user``, most recently used first."""
    stmt = select(sessions.c.sid).where(sessions.c.user == user).order_by(sessions.c.lastupdate.desc())
    return [str(r) for r in conn.execute(stmt).scalars()]


def delete_expired(conn: Connection, sessions: Table, before: datetime) -> int:
    """Remove sessions last used before ``before``; how many."""
    return int(conn.execute(delete(sessions).where(sessions.c.lastupdate < before)).rowcount)
