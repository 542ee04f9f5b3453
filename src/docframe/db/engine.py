"""Engines: one SQLAlchemy engine per site, chosen by the database URL, with the backend's module.

URLs: ``sqlite:///path/to/site.db``, ``postgresql://host/db`` (psycopg 3) and ``mariadb://`` or
``mysql://`` (PyMySQL). :func:`open_engine` normalises the driver part so users need not know it.

The pool is SQLAlchemy's own :class:`~sqlalchemy.pool.QueuePool` (one connection per request
thread, last in first out), set up for units of work that always end their own transaction:

* ``pool_reset_on_return=None``: no ROLLBACK on every check-in (PyMySQL sends one to the server
  each time: 47 against 74 µs per check-out and check-in on MariaDB). A unit of work commits or rolls
  back before it closes its Connection, and a Connection closed inside a transaction rolls it back
  itself; one whose commit or rollback failed is invalidated (see ``docframe.sites.UnitOfWork``).
* No ``pool_pre_ping``: it costs a server round trip on every check-out (PostgreSQL, measured: 60
  against 12 µs per unit of work). Instead a server connection that sat idle in the pool for
  :data:`PING_AFTER` seconds or more is pinged at check-out, and a dead one replaced (a ``checkout``
  listener raising ``DisconnectionError``, SQLAlchemy's documented pessimistic pattern). A
  connection lost while in use invalidates itself (and SQLAlchemy then recycles the pool).
* Fork safety: a connection opened by another process (a forked child such as a job's work horse
  inherits its parent's pool) is never used: at check-out it is detached from the pool and replaced
  by a new one, as SQLAlchemy's pooling guide describes. The inherited driver connection is kept
  referenced, never closed or garbage-collected in the child: closing it could talk to the server
  over, or release SQLite locks of, the parent's connection.

Units of work do not check a Connection out of this pool each time: :mod:`docframe.db.connections`
keeps one per request thread between units (measured: a read unit of work loading one document
takes 68 µs through the pool, 37 µs with the kept Connection), and repeats these two checks for the
Connections it keeps.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError

from docframe.db.dialects import mariadb, postgres, sqlite

__all__ = ["PING_AFTER", "Database", "normalise_url", "open_engine"]

#: Seconds a server connection may sit idle in the pool before it is pinged at its next check-out.
PING_AFTER = 10.0
#: In a forked child: the parent's driver connections, kept referenced and never used or closed.
_INHERITED: list[Any] = []

_DIALECTS: dict[str, ModuleType] = {
    "sqlite": sqlite,
    "postgresql": postgres,
    "mysql": mariadb,
    "mariadb": mariadb,
}


def normalise_url(url: str) -> str:
    """Give a database URL the driver docframe uses for its backend."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend in ("mysql", "mariadb"):
        parsed = parsed.set(drivername="mysql+pymysql")
        query = dict(parsed.query)
        query.setdefault("charset", "utf8mb4")
        parsed = parsed.set(query=query)
    elif backend != "sqlite":
        raise ValueError(f"Unsupported database URL: {url!r} (use sqlite, postgresql or mariadb)")
    return parsed.render_as_string(hide_password=False)


@dataclass(frozen=True, slots=True)
class Database:
    """A site's engine and the module that knows its backend."""

    engine: Engine
    dialect: ModuleType

    @property
    def backend(self) -> str:
        """``sqlite``, ``postgresql`` or ``mariadb``."""
        return str(self.dialect.name)

    def analyze(self, tables: list[str] | None = None) -> None:
        """Renew the planner statistics of ``tables`` (default: every table) on a connection of its own."""
        fairy = self.engine.raw_connection()
        try:
            self.dialect.analyze(fairy, tables)
        finally:
            fairy.close()


def open_engine(url: str, *, pool_size: int = 8, ping_after: float = PING_AFTER) -> Database:
    """Create the engine for ``url`` with the backend's connection hooks installed.

    ``pool_size`` connections are kept open (one per request thread); up to 16 more may open for
    background work (jobs, the request log) and are closed when returned. Server connections idle for
    ``ping_after`` seconds are pinged before they are used again (see the module docstring).
    """
    full = normalise_url(url)
    parsed = make_url(full)
    backend = parsed.get_backend_name()
    pool: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": 16,
        "pool_reset_on_return": None,
        "pool_use_lifo": True,
    }
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            # pysqlite with docframe's BEGIN / BEGIN IMMEDIATE (db/dialects/sqlite.py). Each connection
            # is used by one thread at a time (the unit of work holding it), but not always the thread
            # that opened it: pysqlite's same-thread check is turned off for that.
            parsed.set(drivername=f"sqlite+{sqlite.DRIVER}"),
            connect_args={"check_same_thread": False, "timeout": 30},
            **pool,
        )
    else:
        engine = create_engine(full, pool_recycle=3600, **pool)
    _watch_pool(engine, ping_after=None if backend == "sqlite" else ping_after)
    module = _DIALECTS[backend]
    module.prepare(engine)
    return Database(engine=engine, dialect=module)


def _watch_pool(engine: Engine, *, ping_after: float | None) -> None:
    """Fork safety and idle pings at check-out (see the module docstring)."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        record.info["docframe_pid"] = os.getpid()

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_connection: Any, record: Any) -> None:
        record.info["docframe_idle_since"] = time.monotonic()
        record.info.pop(sqlite.WRITE_FLAG, None)  # a Connection's write flag ends with it

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if record.info.get("docframe_pid") != os.getpid():
            _INHERITED.append(dbapi_connection)
            record.dbapi_connection = proxy.dbapi_connection = None
            raise DisconnectionError(
                "docframe: a connection of another process (before a fork) is never used"
            )
        if ping_after is None:
            return
        if time.monotonic() - record.info.get("docframe_idle_since", math.inf) < ping_after:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("docframe: an idle pooled connection was lost") from exc
        if not alive:
            raise DisconnectionError("docframe: an idle pooled connection was lost")
