"""PostgreSQL (psycopg 3): error decoding from the constraint name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection

from docframe.db.dialects import IntegrityInfo

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.dialects.postgresql import Insert

name = "postgresql"


def insert(table: Table) -> Insert:
    """PostgreSQL's ``INSERT`` of ``table`` (with ``on_conflict_do_update``)."""
    # Imported here: every process imports this module (db/engine.py), but only a PostgreSQL
    # engine loads sqlalchemy.dialects.postgresql, whose package imports every PostgreSQL
    # driver's dialect (+2.8 MiB in a process that never connects to PostgreSQL).
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert

    return postgresql_insert(table)


def prepare(engine: Engine) -> None:
    """Nothing to install: psycopg's defaults suit docframe."""


def maintain(fairy: PoolProxiedConnection) -> None:
    """Nothing to do: autovacuum keeps PostgreSQL's planner statistics."""


def commits_seen(fairy: PoolProxiedConnection) -> int | None:
    """None: PostgreSQL has no per-connection counter of other connections' commits."""
    return None


def analyze(fairy: PoolProxiedConnection, tables: list[str] | None = None) -> None:
    """ANALYZE ``tables`` (default: the whole database), e.g. after a bulk load, and commit."""
    dbapi_connection: Any = fairy.dbapi_connection
    cursor = dbapi_connection.cursor()
    try:
        if tables is None:
            cursor.execute("ANALYZE")
        for table in tables or ():
            cursor.execute('ANALYZE "{}"'.format(table.replace('"', '""')))
    finally:
        cursor.close()
    dbapi_connection.commit()


def decode_integrity_error(message: str, orig: BaseException | None) -> IntegrityInfo:
    """Read the violated constraint from the driver's diagnostics."""
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    if constraint.endswith("_pkey"):
        return IntegrityInfo("primary", "name")
    if constraint:
        return IntegrityInfo("unique", constraint)
    return IntegrityInfo("other")
