"""SQLite: WAL, busy timeout, explicit BEGIN (IMMEDIATE for writes), planner statistics, errors.

Engines use :class:`DocframeSQLiteDialect` (``sqlite+docframe://``, see
:func:`docframe.db.engine.open_engine`).

Planner statistics: SQLite keeps no statistics unless ANALYZE runs, and without them a filtered page
sorted on another indexed column (``status = 'Open' ORDER BY modified DESC LIMIT 20``) reads every
matching row through the ``status`` index and sorts them in a temporary B-tree. Following SQLite's
advice for long-lived connections, every connection runs ``PRAGMA optimize=0x10002`` when it opens,
and each database is checked when first used and then hourly (:class:`Statistics`): ``PRAGMA
optimize``, then a full ``ANALYZE`` of every table of 1,000 rows or more whose statistics are missing
or off by 4x (SQLite before 3.46 ignores the 0x10000 "check every table" bit, so ``optimize`` at
open cannot see a table filled by another process or an import). ``docframe migrate`` and restores
analyze too (:func:`analyze`).

``analysis_limit`` is left at 0 (a full analysis) on purpose: with SQLite's suggested 400, the
sample is the first rows of each index, so a ``status`` index sorted by value reports ~400 rows per
value instead of ~30,000, and the planner goes back to the temporary B-tree sort. A full analysis
of a 100,000-row table with three indexes takes about 0.1 s.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import PoolProxiedConnection

from docframe.db.dialects import IntegrityInfo

name = "sqlite"
log = logging.getLogger("docframe.db")
#: Seconds between two statistics checks of one database (SQLite suggests hourly).
CHECK_EVERY = 3600.0
#: Tables smaller than this are left to the planner's defaults.
MIN_ROWS = 1000
#: Statistics whose row count is off by this factor (either way) are renewed.
STALE_FACTOR = 4
# Table names may contain spaces ("tabSales Invoice.name"); several columns are ", "-separated.
_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+?)(?:, |$)")


def prepare(engine: Engine) -> None:
    """Turn off pysqlite's own transaction handling and set the pragmas every connection needs."""

    statistics = Statistics()

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=OFF")
        try:
            cursor.execute("PRAGMA optimize=0x10002")
        except sqlite3.OperationalError:  # another connection holds the write lock: the check will run
            log.debug("PRAGMA optimize at connection open skipped", exc_info=True)
        cursor.close()
        record.info["docframe_statistics"] = statistics
        record.info["docframe_statistics_epoch"] = statistics.epoch


#: The SQLAlchemy driver name of :class:`DocframeSQLiteDialect` (``sqlite+docframe://``).
DRIVER = "docframe"
#: Where a driver connection's write flag lives (its pool record's ``info``) until its next check-in.
WRITE_FLAG = "docframe_write"


class DocframeSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, with docframe's own transaction start (``BEGIN``, or ``BEGIN IMMEDIATE`` to write).

    pysqlite's own transaction handling is off (``isolation_level = None``), so the transaction is
    opened here, in the dialect's documented ``do_begin`` hook, rather than in a ``begin`` event
    listener: any connection event listener makes SQLAlchemy dispatch events on every begin, commit
    and rollback of every Connection (measured: about 8 µs per unit of work). The write flag is the
    Connection's ``docframe_write`` execution option, which :meth:`set_connection_execution_options`
    copies to the driver connection's ``info`` (where ``do_begin`` can read it); the pool's check-in
    clears it (:mod:`docframe.db.engine`).
    """

    supports_statement_cache = True  # nothing added that would change compiled SQL

    def set_connection_execution_options(self, connection: Any, opts: Any) -> None:
        super().set_connection_execution_options(connection, opts)
        if WRITE_FLAG in opts:
            connection.connection.info[WRITE_FLAG] = bool(opts[WRITE_FLAG])

    def do_begin(self, dbapi_connection: Any) -> None:
        # SQLAlchemy passes the pooled connection (PoolProxiedConnection): its driver and info.
        info = getattr(dbapi_connection, "info", {})
        driver = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
        driver.execute("BEGIN IMMEDIATE" if info.get(WRITE_FLAG) else "BEGIN")


registry.register(f"sqlite.{DRIVER}", __name__, "DocframeSQLiteDialect")


class Statistics:
    """One database's planner statistics as this process's connections know them.

    A connection loads the statistics when it opens and when it runs ANALYZE itself, not when
    another connection does; so every renewal raises ``epoch``, and each connection that has seen an
    older epoch reloads them (``ANALYZE sqlite_schema``, a read of ``sqlite_stat1``) before its next
    unit of work. Renewals by another process are noticed by the periodic check, which compares a
    fingerprint of ``sqlite_stat1``.
    """

    def __init__(self) -> None:
        self.next_check = 0.0  # the first unit of work checks
        self.epoch = 0
        self._fingerprint: int | None = None
        self._lock = threading.Lock()

    def renewed(self) -> None:
        """Statistics changed: every connection reloads them before its next unit of work."""
        self.epoch += 1

    def maybe_refresh(self, dbapi_connection: Any) -> None:
        """Check the statistics if the time has come (one thread at a time; others go on)."""
        if time.monotonic() < self.next_check or not self._lock.acquire(blocking=False):
            return
        try:
            self.next_check = time.monotonic() + CHECK_EVERY
            analyzed = refresh_statistics(dbapi_connection)
            if analyzed:
                log.info("planner statistics renewed for %s", ", ".join(analyzed))
            fingerprint = hash(tuple(_statistics_rows(dbapi_connection).items()))
            if analyzed or (self._fingerprint is not None and fingerprint != self._fingerprint):
                self.renewed()
            self._fingerprint = fingerprint
        except sqlite3.Error:
            log.warning("planner statistics check failed", exc_info=True)
        finally:
            self._lock.release()


def maintain(fairy: PoolProxiedConnection) -> None:
    """Before a unit of work (between transactions): the periodic check, and reloading statistics."""
    statistics = fairy.info.get("docframe_statistics")
    dbapi_connection = fairy.dbapi_connection
    if statistics is None or dbapi_connection is None or dbapi_connection.in_transaction:
        return
    statistics.maybe_refresh(dbapi_connection)
    epoch = statistics.epoch
    if fairy.info.get("docframe_statistics_epoch", 0) != epoch:
        # The reload takes the write lock for a moment: never wait for it (a later unit of work retries).
        dbapi_connection.execute("PRAGMA busy_timeout=0")
        try:
            dbapi_connection.execute("ANALYZE sqlite_schema")
            fairy.info["docframe_statistics_epoch"] = epoch
        except sqlite3.OperationalError:
            log.debug("statistics reload postponed: the database is busy")
        finally:
            dbapi_connection.execute("PRAGMA busy_timeout=30000")


def commits_seen(fairy: PoolProxiedConnection) -> int | None:
    """``PRAGMA data_version``: it changes when another connection (any process) has committed.

    SQLite documents that two readings on one connection differ exactly when another connection
    committed in between (this connection's own commits leave it unchanged); inside a transaction it
    is the value of the transaction's snapshot. About 1 µs, against about 5 µs for a primary-key read.
    """
    dbapi_connection: Any = fairy.dbapi_connection
    row = dbapi_connection.execute("PRAGMA data_version").fetchone()
    return int(row[0]) if row else None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _statistics_rows(dbapi_connection: Any) -> dict[str, int]:
    """Rows per table as the statistics last recorded them."""
    if not dbapi_connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
    ).fetchone():
        return {}
    known: dict[str, int] = {}
    for table, stat in dbapi_connection.execute("SELECT tbl, stat FROM sqlite_stat1"):
        head = str(stat or "").split(" ", 1)[0]
        if head.isdigit():
            known[table] = max(known.get(table, 0), int(head))
    return known


def refresh_statistics(dbapi_connection: Any) -> list[str]:
    """``PRAGMA optimize``, then a full ANALYZE of tables with missing or stale statistics.

    A table's size is estimated with ``max(rowid)`` (one B-tree descent, not a count). Returns the
    tables analyzed. Must run outside a transaction.
    """
    dbapi_connection.execute("PRAGMA optimize")
    known = _statistics_rows(dbapi_connection)
    tables = [
        str(row[0])
        for row in dbapi_connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
        )
    ]
    stale: list[str] = []
    for table in tables:
        try:
            rows = int(dbapi_connection.execute(f"SELECT max(rowid) FROM {_quote(table)}").fetchone()[0] or 0)
        except sqlite3.OperationalError:  # a WITHOUT ROWID table: left to PRAGMA optimize
            continue
        before = known.get(table)
        if rows < MIN_ROWS:
            continue
        if before is None or rows > before * STALE_FACTOR or rows * STALE_FACTOR < before:
            stale.append(table)
    for table in stale:
        dbapi_connection.execute(f"ANALYZE {_quote(table)}")
    return stale


def analyze(fairy: PoolProxiedConnection, tables: list[str] | None = None) -> None:
    """A full ANALYZE of ``tables`` (default: the whole database); other connections then reload."""
    dbapi_connection: Any = fairy.dbapi_connection
    if dbapi_connection.in_transaction:
        dbapi_connection.rollback()
    if tables is None:
        dbapi_connection.execute("ANALYZE")
    for table in tables or ():
        dbapi_connection.execute(f"ANALYZE {_quote(table)}")
    statistics = fairy.info.get("docframe_statistics")
    if statistics is not None:
        statistics.renewed()
        fairy.info["docframe_statistics_epoch"] = statistics.epoch


def decode_integrity_error(message: str, orig: BaseException | None) -> IntegrityInfo:
    """Read ``UNIQUE constraint failed: tabToDo.name``."""
    match = _UNIQUE.search(message)
    if not match:
        return IntegrityInfo("other")
    column = match.group(1).rsplit(".", 1)[-1]
    return IntegrityInfo("primary" if column == "name" else "unique", column)


def optimize(conn: Connection) -> None:
    """``PRAGMA optimize`` on the connection of a unit of work (the scheduler's periodic task)."""
    conn.exec_driver_sql("PRAGMA optimize")
