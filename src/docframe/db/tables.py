"""Tables: :class:`~docframe.meta.schema.Meta` -> :class:`sqlalchemy.Table`, plus the framework tables.

The only place that decides what a DocType's table looks like (``"tab" + DocType``, standard
columns, data columns, indexes). Tables are cached per site in a :class:`TableRegistry` and rebuilt
when a DocType's meta changes.
"""

from __future__ import annotations

import hashlib
import threading

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, SmallInteger, String, Table, Text

from docframe.db.types import DATETIME6, LONGTEXT, NAME_TYPE, VARCHAR_LEN, column_type, is_indexable
from docframe.meta.schema import Meta

__all__ = ["FrameworkTables", "TableRegistry", "build_table", "index_name"]

MYSQL_TABLE_ARGS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
    "mariadb_engine": "InnoDB",
    "mariadb_charset": "utf8mb4",
    "mariadb_collate": "utf8mb4_unicode_ci",
}
MAX_IDENTIFIER = 60


def index_name(table: str, column: str, kind: str) -> str:
    """A deterministic index name that fits every backend's identifier limit."""
    name = f"{table}_{column}_{kind}"
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    return f"{name[: MAX_IDENTIFIER - 11]}_{digest}"


def _name_column(meta: Meta) -> Column[object]:
    if meta.naming_rule == "autoincrement":
        return Column("name", BigInteger(), primary_key=True, autoincrement=False)
    return Column("name", NAME_TYPE, primary_key=True)


def build_table(meta: Meta, metadata: MetaData) -> Table:
    """Describe the table of ``meta`` in ``metadata`` (replacing an older description)."""
    tname = meta.table
    if tname in metadata.tables:
        metadata.remove(metadata.tables[tname])
    cols: list[Column[object]] = [
        _name_column(meta),
        Column("creation", DATETIME6),
        Column("modified", DATETIME6),
        Column("modified_by", String(VARCHAR_LEN)),
        Column("owner", String(VARCHAR_LEN)),
        Column("docstatus", SmallInteger(), nullable=False, server_default="0"),
        Column("idx", Integer(), nullable=False, server_default="0"),
    ]
    if meta.istable:
        cols += [Column(c, String(VARCHAR_LEN)) for c in ("parent", "parentfield", "parenttype")]
    else:
        cols += [Column(c, Text()) for c in ("_user_tags", "_comments", "_assign", "_liked_by")]
        if meta.track_seen:
            cols.append(Column("_seen", Text()))
    indexes: list[Index] = []
    for f in meta.data_fields:
        col: Column[object] = Column(f.fieldname, column_type(f))
        if f.fieldtype in ("Check", "Int") or (
            f.not_nullable and f.fieldtype in ("Float", "Currency", "Percent")
        ):
            col = Column(
                f.fieldname, column_type(f), nullable=False, server_default=str(_int_default(f.default))
            )
        cols.append(col)
    table = Table(tname, metadata, *cols, **MYSQL_TABLE_ARGS)
    for f in meta.data_fields:
        if not is_indexable(f):
            continue
        if f.unique:
            indexes.append(Index(index_name(tname, f.fieldname, "unique"), table.c[f.fieldname], unique=True))
        elif f.search_index:
            indexes.append(Index(index_name(tname, f.fieldname, "index"), table.c[f.fieldname]))
    if meta.istable:
        indexes.append(Index(index_name(tname, "parent", "index"), table.c.parent))
    else:
        indexes.append(Index(index_name(tname, "creation", "index"), table.c.creation))
        if meta.sort_field == "modified":
            indexes.append(Index(index_name(tname, "modified", "index"), table.c.modified))
    return table


def _int_default(value: str | None) -> int | float:
    try:
        number = float(value or 0)
    except ValueError:
        return 0
    return int(number) if number.is_integer() else number


class FrameworkTables:
    """Tables that are not DocTypes: Singles, Series, auth secrets, sessions."""

    def __init__(self, metadata: MetaData) -> None:
        self.singles = Table(
            "tabSingles", metadata,
            Column("doctype", String(255), nullable=False),
            Column("field", String(255), nullable=False),
            Column("value", LONGTEXT),
            Index("singles_doctype_field_index", "doctype", "field"),
            **MYSQL_TABLE_ARGS,
        )  # fmt: skip
        self.series = Table(
            "tabSeries", metadata,
            Column("name", String(100), primary_key=True),
            Column("current", BigInteger(), nullable=False, server_default="0"),
            **MYSQL_TABLE_ARGS,
        )  # fmt: skip
        self.auth = Table(
            "__Auth", metadata,
            Column("doctype", String(VARCHAR_LEN), primary_key=True),
            Column("name", String(255), primary_key=True),
            Column("fieldname", String(VARCHAR_LEN), primary_key=True),
            Column("password", Text(), nullable=False),
            Column("encrypted", SmallInteger(), nullable=False, server_default="0"),
            **MYSQL_TABLE_ARGS,
        )  # fmt: skip
        self.sessions = Table(
            "tabSessions", metadata,
            Column("sid", String(255), primary_key=True),
            Column("user", String(255), nullable=False),
            Column("lastupdate", DATETIME6),
            Column("status", String(20)),
            Column("sessiondata", LONGTEXT),
            Index("sessions_user_index", "user"),
            **MYSQL_TABLE_ARGS,
        )  # fmt: skip

    def all(self) -> list[Table]:
        """Every framework table."""
        return [self.singles, self.series, self.auth, self.sessions]


class TableRegistry:
    """Per-site cache of DocType tables, keyed by DocType name and rebuilt when meta changes."""

    def __init__(self) -> None:
        self.metadata = MetaData()
        self.framework = FrameworkTables(self.metadata)
        self._tables: dict[str, tuple[Meta, Table]] = {}
        self._lock = threading.Lock()

    def get(self, meta: Meta) -> Table:
        """The table of ``meta`` (built on first use, rebuilt if ``meta`` is a newer object)."""
        cached = self._tables.get(meta.name)
        if cached is not None and cached[0] is meta:
            return cached[1]
        with self._lock:
            table = build_table(meta, self.metadata)
            self._tables[meta.name] = (meta, table)
            return table

    def forget(self, doctype: str) -> None:
        """Drop the cached table of ``doctype``."""
        with self._lock:
            self._tables.pop(doctype, None)
