"""Counters with an expiry (``__Counters``: key, count, expiry in epoch milliseconds).

Failed-login and rate-limit counts when the site has no Redis (see
:class:`docframe.ratelimit.stores.DatabaseStore`, which picks the transactions).
"""

from __future__ import annotations

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

__all__ = ["add", "clear", "current", "purge"]


def _count(conn: Connection, t: Table, key: str) -> int:
    return int(conn.execute(select(t.c.count).where(t.c.key == key)).scalar() or 0)


def add(conn: Connection, t: Table, key: str, amount: int, expires: int, now: int) -> int:
    """Add ``amount`` to the live counter ``key`` (created to expire at ``expires``); the new value.

    A counter created meanwhile by another worker is counted up instead (the insert runs in a
    savepoint, so its conflict leaves the transaction usable).
    """
    live = (t.c.key == key, t.c.expires > now)
    if conn.execute(update(t).where(*live).values(count=t.c.count + amount)).rowcount:
        return _count(conn, t, key)
    conn.execute(delete(t).where(t.c.key == key))
    try:
        with conn.begin_nested():
            conn.execute(insert(t).values(key=key, count=amount, expires=expires))
    except IntegrityError:
        conn.execute(update(t).where(t.c.key == key).values(count=t.c.count + amount))
        return _count(conn, t, key)
    return amount


def current(conn: Connection, t: Table, key: str, now: int) -> int:
    """The value of the live counter ``key`` (0 when absent or expired)."""
    value = conn.execute(select(t.c.count).where(t.c.key == key, t.c.expires > now)).scalar()
    return int(value or 0)


def clear(conn: Connection, t: Table, key: str) -> int:
    """Forget ``key``."""
    return int(conn.execute(delete(t).where(t.c.key == key)).rowcount)


def purge(conn: Connection, t: Table, now: int) -> int:
    """Remove every counter expired at ``now``; how many."""
    return int(conn.execute(delete(t).where(t.c.expires <= now)).rowcount)
