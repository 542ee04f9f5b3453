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
import time
from typing import TYPE_CHECKING

from docframe.db.repos import leases

if TYPE_CHECKING:
    from docframe.sites import Site

__all__ = ["SchedulerLock", "holder_id"]


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

    def acquire(self) -> bool:
        """Take or renew the lease; True while this process holds it."""
        engine = self.site.db.engine
        leases.ensure_table(engine)
        return leases.take(engine, self.name, self.holder, time.time(), self.lease)

    def holder_now(self) -> str | None:
        """Who holds a live lease right now (None when nobody)."""
        leases.ensure_table(self.site.db.engine)
        return leases.holder_of(self.site.db.engine, self.name, time.time())

    def release(self) -> None:
        """Give the lease up (on a clean shutdown), so another process takes over at once."""
        leases.ensure_table(self.site.db.engine)
        leases.release(self.site.db.engine, self.name, self.holder)
