"""SQLAlchemy Connections kept checked out between units of work, one per request thread.

A unit of work has one handle, a SQLAlchemy :class:`~sqlalchemy.engine.Connection` with one
transaction. Taking it from SQLAlchemy's pool and giving it back for every unit costs about 35 µs of
Python (the pool's queue and events, a new Connection object), measured on SQLite with this
machine's request path: a read unit of work that loads one document took 68 µs through the pool
against 29 µs with the previous driver-connection cache. :class:`ConnectionCache` therefore keeps up
to ``size`` Connections that units of work have finished with (each between transactions: a unit
always commits or rolls back first) and hands them to the next unit; it is the measured reason this
module exists. A Connection goes back to the pool (or is thrown away) instead when the cache is full,
when it was invalidated (a lost server connection), when its unit of work failed in a way that left
it unusable, or in a forked child process.

The pool's own checks (see :mod:`docframe.db.engine`) run only at pool check-out, so the cache
repeats the two that matter for a kept Connection: a server connection idle here for ``ping_after``
seconds is pinged before it is used again (a dead one is invalidated and replaced), and a Connection
whose driver connection another process opened (the parent, before a fork) is never used, returned or
closed: it stays referenced, and the engine gets a fresh pool (``engine.dispose(close=False)``, as
SQLAlchemy advises after a fork).

Units of work run in the site's request threads (:mod:`docframe.concurrency`), so the cache is shared
by threads: a lock guards its list, and a Connection is only ever used by the one unit of work that
acquired it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from sqlalchemy.engine import Connection, Engine

from docframe.db.engine import PING_AFTER

__all__ = ["ConnectionCache"]

log = logging.getLogger("docframe.db")


def _quietly_close(conn: Connection) -> None:
    try:
        conn.close()
    except Exception:  # closing a connection whose server went away
        log.debug("closing a cached connection failed", exc_info=True)


class ConnectionCache:
    """Up to ``size`` idle Connections of one engine, reused last-in first-out."""

    def __init__(self, engine: Engine, *, size: int = 4, ping_after: float = PING_AFTER) -> None:
        self.engine = engine
        self.size = size
        self.ping_after = ping_after
        self._ping = engine.dialect.name != "sqlite"
        self._idle: list[tuple[Connection, float]] = []
        #: The parent's Connections, kept referenced (and untouched) in a forked child.
        self._abandoned: list[Any] = []
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def acquire(self) -> Connection:
        """A Connection between transactions: a cached one, or a new one from the pool."""
        while True:
            with self._lock:
                if self._pid != os.getpid():
                    self._forked()
                item = self._idle.pop() if self._idle else None
            if item is None:
                return self.engine.connect()
            conn, idle_since = item
            if conn.closed or conn.invalidated:
                _quietly_close(conn)
                continue
            if self._ping and time.monotonic() - idle_since >= self.ping_after and not self._alive(conn):
                continue
            return conn

    def _forked(self) -> None:
        """In a forked child: never touch the parent's Connections (their sockets are the parent's)."""
        self._abandoned.extend(self._idle)
        self._idle = []
        self.engine.dispose(close=False)
        self._pid = os.getpid()

    def _alive(self, conn: Connection) -> bool:
        try:
            dbapi_connection = conn.connection.dbapi_connection
            if dbapi_connection is not None and self.engine.dialect.do_ping(dbapi_connection):
                return True
        except Exception:
            log.info("a cached database connection was lost; using a new one")
        conn.invalidate()
        _quietly_close(conn)
        return False

    def release(self, conn: Connection, *, reusable: bool = True) -> None:
        """Keep ``conn`` for the next unit of work, or give it back to the pool.

        ``reusable=False`` (its transaction may not have ended) invalidates it first, so the pool
        discards its driver connection instead of handing it out again.
        """
        with self._lock:
            if self._pid != os.getpid():
                self._forked()
            usable = not (conn.closed or conn.invalidated)
            if usable and conn.info.get("docframe_pid", self._pid) != self._pid:  # opened before a fork
                self._abandoned.append(conn)
                return
            keep = reusable and usable and len(self._idle) < self.size
            if keep:
                self._idle.append((conn, time.monotonic()))
        if not keep:
            if not reusable and not conn.closed:
                try:
                    conn.invalidate()
                except Exception:
                    log.debug("invalidating a connection failed", exc_info=True)
            _quietly_close(conn)

    def close(self) -> None:
        """Give every cached Connection back to the pool (before the engine is disposed)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            _quietly_close(conn)
