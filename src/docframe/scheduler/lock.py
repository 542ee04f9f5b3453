"""SchedulerLock: a lease row in the site's database that one scheduler process holds at a time.

The holder renews the lease on every tick; another process takes it over only once it has
expired (its holder died or hung), so at most one scheduler per site runs jobs even when several
``docframe serve`` workers or ``docframe scheduler`` processes are started. Works the same on
SQLite, PostgreSQL and MariaDB (one UPDATE, or one INSERT when the row does not exist yet).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy import Column, Double, MetaData, String, Table, delete, insert, or_, update
from sqlalchemy.exc import IntegrityError

if TYPE_CHECKING:
    from docframe.sites import Site

__all__ = ["SchedulerLock", "holder_id"]

_METADATA = MetaData()
LOCKS = Table(
    "__SchedulerLock", _METADATA,
    Column("name", String(140), primary_key=True),
    Column("holder", String(255), nullable=False),
    Column("expires", Double(), nullable=False),
)  # fmt: skip
_CREATED: set[int] = set()
_CREATE_LOCK = threading.Lock()


def holder_id() -> str:
    """A name for this process that no other process shares."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class SchedulerLock:
    """The lease on one site's scheduler."""

    def __init__(self, site: Site, holder: str, lease: float, name: str = "scheduler") -> None:
        self.site = site
        self.holder = holder
        self.lease = lease
        self.name = name

    def _ensure_table(self) -> None:
        key = id(self.site.db.engine)
        if key in _CREATED:
            return
        with _CREATE_LOCK:
            LOCKS.create(self.site.db.engine, checkfirst=True)
            _CREATED.add(key)

    def acquire(self) -> bool:
        """Take or renew the lease; True while this process holds it."""
        self._ensure_table()
        now = time.time()
        with self.site.db.engine.begin() as conn:
            taken = conn.execute(
                update(LOCKS)
                .where(LOCKS.c.name == self.name, or_(LOCKS.c.holder == self.holder, LOCKS.c.expires < now))
                .values(holder=self.holder, expires=now + self.lease)
            ).rowcount
        if taken == 1:
            return True
        try:
            with self.site.db.engine.begin() as conn:
                conn.execute(
                    insert(LOCKS).values(name=self.name, holder=self.holder, expires=now + self.lease)
                )
        except IntegrityError:
            return False  # someone holds a live lease
        return True

    def holder_now(self) -> str | None:
        """Who holds a live lease right now (None when nobody)."""
        self._ensure_table()
        with self.site.db.engine.connect() as conn:
            row = conn.execute(LOCKS.select().where(LOCKS.c.name == self.name)).first()
        return str(row.holder) if row is not None and row.expires >= time.time() else None

    def release(self) -> None:
        """Give the lease up (on a clean shutdown), so another process takes over at once."""
        self._ensure_table()
        with self.site.db.engine.begin() as conn:
            conn.execute(delete(LOCKS).where(LOCKS.c.name == self.name, LOCKS.c.holder == self.holder))
