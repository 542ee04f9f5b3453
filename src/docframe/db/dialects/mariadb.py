"""MariaDB / MySQL (PyMySQL): strict mode, utf8mb4, error decoding."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection

from docframe.db.dialects import IntegrityInfo

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.dialects.mysql import Insert

name = "mariadb"
_DUPLICATE = re.compile(r"Duplicate entry .* for key '([^']+)'")


def insert(table: Table) -> Insert:
    """MariaDB's ``INSERT`` of ``table`` (with ``on_duplicate_key_update``)."""
    # Imported here, as in db/dialects/postgres.py: only a MariaDB engine loads
    # sqlalchemy.dialects.mysql, whose package imports every MySQL driver's dialect (+0.8 MiB).
    from sqlalchemy.dialects.mysql import insert as mysql_insert

    return mysql_insert(table)


def prepare(engine: Engine) -> None:
    """Make every session strict, so bad values fail instead of being truncated."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'")
        cursor.close()


def maintain(fairy: PoolProxiedConnection) -> None:
    """Nothing to do: InnoDB recalculates its persistent statistics as tables change."""


def commits_seen(fairy: PoolProxiedConnection) -> int | None:
    """None: MariaDB has no per-connection counter of other connections' commits."""
    return None


def analyze(fairy: PoolProxiedConnection, tables: list[str] | None = None) -> None:
    """ANALYZE TABLE ``tables`` (default: every table of the database), e.g. after a bulk load."""
    dbapi_connection: Any = fairy.dbapi_connection
    cursor = dbapi_connection.cursor()
    try:
        if tables is None:
            cursor.execute("SHOW TABLES")
            tables = [str(row[0]) for row in cursor.fetchall()]
        for table in tables:
            cursor.execute("ANALYZE TABLE `{}`".format(table.replace("`", "``")))
            cursor.fetchall()
    finally:
        cursor.close()
    dbapi_connection.commit()


def decode_integrity_error(message: str, orig: BaseException | None) -> IntegrityInfo:
    """Read ``Duplicate entry 'x' for key 'PRIMARY'`` (or the index name)."""
    match = _DUPLICATE.search(message)
    if not match:
        return IntegrityInfo("other")
    key = match.group(1).rsplit(".", 1)[-1]
    if key == "PRIMARY":
        return IntegrityInfo("primary", "name")
    return IntegrityInfo("unique", key)
