"""Leases (``__SchedulerLock``: name, holder, expiry in epoch seconds): one holder per name at a time.

The table is created on first use with each engine (it is not part of a site's schema sync).
"""

from __future__ import annotations

import threading

from sqlalchemy import Column, Double, MetaData, String, Table, delete, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

__all__ = ["LEASES", "ensure_table", "holder_of", "release", "take"]

_METADATA = MetaData()
LEASES = Table(
    "__SchedulerLock", _METADATA,
    Column("name", String(140), primary_key=True),
    Column("holder", String(255), nullable=False),
    Column("expires", Double(), nullable=False),
)  # fmt: skip
_CREATED: set[int] = set()
_CREATE_LOCK = threading.Lock()


def ensure_table(engine: Engine) -> None:
    """Create the lease table on ``engine``'s database unless this process already did."""
    key = id(engine)
    if key in _CREATED:
        return
    with _CREATE_LOCK:
        LEASES.create(engine, checkfirst=True)
        _CREATED.add(key)


def take(engine: Engine, name: str, holder: str, now: float, lease: float) -> bool:
    """Take or renew the lease ``name`` for ``lease`` seconds; True while ``holder`` holds it."""
    t = LEASES
    with engine.begin() as conn:
        taken = conn.execute(
            update(t)
            .where(t.c.name == name, or_(t.c.holder == holder, t.c.expires < now))
            .values(holder=holder, expires=now + lease)
        ).rowcount
    if taken == 1:
        return True
    try:
        with engine.begin() as conn:
            conn.execute(insert(t).values(name=name, holder=holder, expires=now + lease))
    except IntegrityError:
        return False  # someone holds a live lease
    return True


def holder_of(engine: Engine, name: str, now: float) -> str | None:
    """Who holds a live lease ``name`` at ``now`` (None when nobody)."""
    t = LEASES
    with engine.connect() as conn:
        row = conn.execute(select(t.c.holder, t.c.expires).where(t.c.name == name)).first()
    return str(row.holder) if row is not None and row.expires >= now else None


def release(engine: Engine, name: str, holder: str) -> None:
    """Give the lease ``name`` up if ``holder`` holds it."""
    t = LEASES
    with engine.begin() as conn:
        conn.execute(delete(t).where(t.c.name == name, t.c.holder == holder))
