"""SQLite: WAL, busy timeout, explicit BEGIN (IMMEDIATE for writes), error decoding."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from docframe.db.dialects import IntegrityInfo

name = "sqlite"
# Table names may contain spaces ("tabSales Invoice.name"); several columns are ", "-separated.
_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+?)(?:, |$)")


def prepare(engine: Engine) -> None:
    """Turn off pysqlite's own transaction handling and set the pragmas every connection needs."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A write transaction takes the lock up front so that two writers never deadlock on upgrade.
        immediate = conn.get_execution_options().get("docframe_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def decode_integrity_error(message: str, orig: BaseException | None) -> IntegrityInfo:
    """Read ``UNIQUE constraint failed: tabToDo.name``."""
    match = _UNIQUE.search(message)
    if not match:
        return IntegrityInfo("other")
    column = match.group(1).rsplit(".", 1)[-1]
    return IntegrityInfo("primary" if column == "name" else "unique", column)
