"""Connections kept between units of work: a few pooled driver connections that stay checked out.

Every request used to check a connection out of SQLAlchemy's pool and back in (events, reset,
bookkeeping: about 30 µs of Python on each side of a one-statement read). :class:`ConnectionCache`
keeps up to ``size`` connections that a unit of work has finished with, each already between
transactions, together with the SQLAlchemy :class:`~sqlalchemy.engine.Connection` made over it if
one was, and hands them to the next unit of work. A connection goes back to SQLAlchemy's pool (or is
thrown away) instead when the cache is full, when it was invalidated (a lost server connection),
when its unit of work failed in a way that left it unusable, or in a forked child process.

SQLAlchemy's ``pool_pre_ping`` only runs at pool checkout, so a server connection that sat idle in
this cache for more than ``ping_after`` seconds is pinged before it is used again; a dead one is
invalidated and replaced. Units of work always end their own transaction (commit or roll back)
before releasing, so a cached connection never carries an open transaction.

Units of work run in the site's request threads (:mod:`docframe.concurrency`), so the cache is shared
by threads: a lock guards its list, and a connection is only ever used by the one unit of work that
acquired it (never by two threads at once). The cache holds as many connections as there are request
threads, so each thread finds one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import PoolProxiedConnection

__all__ = ["ConnectionCache", "Held"]

log = logging.getLogger("docframe.db")


@dataclass(slots=True)
class Held:
    """One driver connection and, once some code asked for it, the SQLAlchemy Connection over it."""

    fairy: PoolProxiedConnection
    conn: Connection | None = None
    idle_since: float = 0.0
    #: The process that checked it out (a forked child must never use or return it).
    pid: int = 0

    @property
    def usable(self) -> bool:
        """Still connected, and its SQLAlchemy Connection (if any) neither closed nor invalidated."""
        if self.fairy.dbapi_connection is None:
            return False
        return self.conn is None or not (self.conn.closed or self.conn.invalidated)

    def close(self) -> None:
        """Give the connection back to SQLAlchemy's pool (which discards it if it was invalidated)."""
        try:
            if self.conn is not None and not self.conn.closed:
                self.conn.close()
            else:
                self.fairy.close()
        except Exception:  # closing a connection whose server went away
            log.debug("closing a cached connection failed", exc_info=True)


class ConnectionCache:
    """Up to ``size`` idle connections of one engine, reused last-in first-out."""

    def __init__(self, engine: Engine, *, size: int = 4, ping_after: float = 10.0) -> None:
        self.engine = engine
        self.size = size
        self.ping_after = ping_after
        self._ping = engine.dialect.name != "sqlite"
        self._idle: list[Held] = []
        #: The parent's connections, kept referenced (and untouched) in a forked child.
        self._abandoned: list[Held] = []
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def acquire(self) -> Held:
        """A connection between transactions: a cached one, or a fresh one from the pool."""
        while True:
            with self._lock:
                if self._pid != os.getpid():
                    self._forked()
                held = self._idle.pop() if self._idle else None
            if held is None:
                return Held(self.engine.raw_connection(), pid=self._pid)
            if held.usable and self._alive(held):
                return held
            held.close()

    def _forked(self) -> None:
        """In a forked child: never touch the parent's connections (their sockets are the parent's).

        They stay referenced, never closed or returned (a finaliser would reset them over the
        shared socket), and the engine gets a fresh pool of its own, as SQLAlchemy advises after a
        fork; the parent's pool and cache are left exactly as they were.
        """
        self._abandoned.extend(self._idle)
        self._idle = []
        self.engine.dispose(close=False)
        self._pid = os.getpid()

    def _alive(self, held: Held) -> bool:
        if not self._ping or time.monotonic() - held.idle_since < self.ping_after:
            return True
        dbapi_connection = held.fairy.dbapi_connection
        try:
            if dbapi_connection is not None and self.engine.dialect.do_ping(dbapi_connection):
                return True
        except Exception:
            log.info("a cached database connection was lost; using a new one")
        held.fairy.invalidate()
        return False

    def release(self, held: Held, *, reusable: bool = True) -> None:
        """Keep ``held`` for the next unit of work, or give it back to SQLAlchemy's pool."""
        with self._lock:
            if self._pid != os.getpid():
                self._forked()
            if held.pid != self._pid:  # checked out by the parent before a fork: leave it alone
                self._abandoned.append(held)
                return
            keep = reusable and len(self._idle) < self.size and held.usable
            if keep:
                held.idle_since = time.monotonic()
                self._idle.append(held)
        if not keep:
            held.close()

    def close(self) -> None:
        """Give every cached connection back to SQLAlchemy's pool (before the engine is disposed)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for held in idle:
            held.close()
