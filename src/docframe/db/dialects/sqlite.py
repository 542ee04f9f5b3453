"""SQLite: WAL, busy timeout, explicit BEGIN (IMMEDIATE for writes), error decoding."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

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
        immediate = conn.get_execution_options().get("docframe_write", False)
        begin_raw(conn.connection.dbapi_connection, write=immediate)


def begin_raw(dbapi_connection: Any, *, write: bool) -> None:
    """Open the transaction on a driver connection (sent on it directly: no per-statement cost).

    A write transaction takes the lock up front so that two writers never deadlock on upgrade. A
    connection already in a transaction (a unit of work's, wrapped later by a SQLAlchemy
    Connection) is left as it is.
    """
    if dbapi_connection.in_transaction:
        return
    statement = "BEGIN IMMEDIATE" if write else "BEGIN"
    try:
        dbapi_connection.execute(statement)
    except sqlite3.Error as exc:  # a lock wait that timed out: SQLAlchemy's class, as from execute()
        raise DBAPIError.instance(statement, (), exc, sqlite3.Error) from exc


def decode_integrity_error(message: str, orig: BaseException | None) -> IntegrityInfo:
    """Read ``UNIQUE constraint failed: tabToDo.name``."""
    match = _UNIQUE.search(message)
    if not match:
        return IntegrityInfo("other")
    column = match.group(1).rsplit(".", 1)[-1]
    return IntegrityInfo("primary" if column == "name" else "unique", column)
