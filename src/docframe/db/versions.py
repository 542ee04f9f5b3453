"""Metadata version: a counter row that tells every process when DocType definitions changed.

A save or delete of a DocType raises the counter in the same transaction as its records and DDL.
Each process remembers the value it last saw; when it moved, the process drops its cached
metadata. Writes compare on every unit of work (one primary-key read inside their transaction, or on
SQLite, while no other connection has committed since the connection's last read, a ``PRAGMA
data_version`` instead: see :meth:`docframe.sites.Site._refresh_metadata_within`); reads at most once
per ``Settings.meta_check_interval`` seconds and pay nothing in between (see
:meth:`docframe.sites.Site.unit_of_work`).
"""

from __future__ import annotations

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from docframe.db.prepared import prepared

__all__ = ["META_SCOPE", "bump_version", "ensure_version_row", "read_version"]

META_SCOPE = "meta"


def read_version(conn: Connection, table: Table, scope: str = META_SCOPE) -> int:
    """The current counter of ``scope`` (0 when it was never raised)."""
    stmt = prepared(
        table,
        "read_version",
        lambda: select(table.c.version).where(table.c.scope == bindparam("scope")),
        conn.dialect,
    )
    return int(stmt.scalar(conn, {"scope": scope}) or 0)


def ensure_version_row(conn: Connection, table: Table, scope: str = META_SCOPE) -> None:
    """Create the counter row of ``scope`` if it is missing (install and migrate call this)."""
    exists = conn.execute(select(table.c.scope).where(table.c.scope == scope)).first()
    if exists is None:
        conn.execute(insert(table).values(scope=scope, version=0))


def bump_version(conn: Connection, table: Table, scope: str = META_SCOPE) -> None:
    """Raise the counter of ``scope`` by one (atomically, inside the caller's transaction)."""
    result = conn.execute(update(table).where(table.c.scope == scope).values(version=table.c.version + 1))
    if result.rowcount == 0:
        conn.execute(insert(table).values(scope=scope, version=1))
