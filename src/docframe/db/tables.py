"""Tables: :class:`~docframe.meta.schema.Meta` -> :class:`sqlalchemy.Table`, plus the framework tables.

The only place that decides what a DocType's table looks like (``"tab" + DocType``, standard
columns, data columns, indexes). Tables are cached per site in a :class:`TableRegistry` and rebuilt
when a DocType's meta changes.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from sqlalchemy import BigInteger, Column, Index, MetaData, SmallInteger, String, Table, Text, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateTable

from docframe.db.types import (
    CHECK_TYPE,
    DATETIME6,
    IDX_TYPE,
    LONGTEXT,
    NAME_TYPE,
    NOT_NULL_TYPES,
    VARCHAR_LEN,
    column_type,
    is_indexable,
    varchar_length,
)
from docframe.meta.fieldtypes import (
    CHILD_FIELDS,
    FLOAT_TYPES,
    INT_TYPES,
    LONG_TEXT_TYPES,
    OPTIONAL_FIELDS,
    TEXT_TYPES,
    VARCHAR_TYPES,
)
from docframe.meta.schema import DocFieldDef, Meta

__all__ = [
    "MARIADB_TABLE_OPTIONS",
    "FrameworkTables",
    "TableRegistry",
    "build_table",
    "data_column",
    "index_name",
]

#: The MariaDB table options of every docframe table (Frappe's: InnoDB, dynamic rows, utf8mb4).
MARIADB_TABLE_OPTIONS = "ENGINE=InnoDB ROW_FORMAT=DYNAMIC CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci"


# The options are added to MariaDB's CREATE TABLE here rather than given to each Table as
# ``mysql_engine=...`` keywords: SQLAlchemy validates such keywords by loading the dialect they
# name, so every process (a SQLite site's too) would import sqlalchemy.dialects.mysql (+0.8 MiB).
@compiles(CreateTable, "mysql")
@compiles(CreateTable, "mariadb")
def _mariadb_create_table(element: CreateTable, compiler: Any, **kw: Any) -> str:
    ddl = str(compiler.visit_create_table(element, **kw))
    body, end = ddl.rstrip("\n"), ddl[len(ddl.rstrip("\n")) :]
    return f"{body}{MARIADB_TABLE_OPTIONS}{end}"


#: Longest index name, in bytes (PostgreSQL keeps 63, MariaDB 64).
MAX_IDENTIFIER = 60
#: Defaults Frappe resolves per document; they never become column defaults.
DYNAMIC_DEFAULTS = frozenset({"_Login", "__user", "_Full Name", "Today", "__today", "now", "Now"})


def index_name(table: str, column: str, kind: str) -> str:
    """A deterministic index name that fits every backend's identifier limit (in bytes)."""
    name = f"{table}_{column}_{kind}"
    if len(name.encode()) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    head = name.encode()[: MAX_IDENTIFIER - 11].decode("utf-8", "ignore")
    return f"{head}_{digest}"


def _name_column(meta: Meta) -> Column[Any]:
    if meta.naming_rule == "autoincrement":
        return Column("name", BigInteger(), primary_key=True, autoincrement=False)
    return Column("name", NAME_TYPE, primary_key=True)


def _standard_columns(meta: Meta) -> list[Column[Any]]:
    cols: list[Column[Any]] = [
        _name_column(meta),
        Column("creation", DATETIME6),
        Column("modified", DATETIME6),
        Column("modified_by", String(VARCHAR_LEN)),
        Column("owner", String(VARCHAR_LEN)),
        Column("docstatus", CHECK_TYPE, nullable=False, server_default="0"),
        Column("idx", IDX_TYPE, nullable=False, server_default="0"),
    ]
    if meta.istable:
        cols += [Column(c, String(VARCHAR_LEN)) for c in CHILD_FIELDS]
    else:
        cols += [Column(c, Text()) for c in OPTIONAL_FIELDS]
        if meta.track_seen:
            cols.append(Column("_seen", Text()))
    return cols


def _number(value: str | None, whole: bool) -> str:
    try:
        number = float(str(value or 0).replace(",", ""))
    except ValueError:
        number = 0.0
    if number != number or number in (float("inf"), float("-inf")):
        number = 0.0
    return str(int(number)) if whole or number.is_integer() else repr(number)


def _literal_default(f: DocFieldDef) -> str | None:
    default = f.default
    if default is None or default in DYNAMIC_DEFAULTS or default.startswith(":"):
        return None
    if f.fieldtype in VARCHAR_TYPES:
        return default if len(default) <= varchar_length(f) else None
    if f.fieldtype in TEXT_TYPES | LONG_TEXT_TYPES and f.fieldtype != "JSON":
        return default
    return None


def data_column(f: DocFieldDef) -> Column[Any]:
    """The column of one data field, with Frappe's nullability and default.

    Check, Int, Float, Currency and Percent are ``NOT NULL DEFAULT <number>``; other numeric fields
    too when ``not_nullable``. Text fields get their default as a column default when it is a
    literal (not ``Today``, ``__user``, ``:Link``...) so rows that exist when a column is added
    receive it; date and time defaults are applied by the model only.
    """
    ctype = column_type(f)
    if f.fieldtype in NOT_NULL_TYPES or (f.not_nullable and f.fieldtype in INT_TYPES | FLOAT_TYPES):
        whole = f.fieldtype in INT_TYPES
        return Column(f.fieldname, ctype, nullable=False, server_default=_number(f.default, whole))
    literal = _literal_default(f)
    if literal is not None:
        return Column(f.fieldname, ctype, server_default=literal)
    return Column(f.fieldname, ctype)


def _indexes(meta: Meta, table: Table) -> list[Index]:
    tname = meta.table
    indexes: list[Index] = []
    for f in meta.data_fields:
        if not is_indexable(f) or meta.issingle:
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
    return indexes


def build_table(meta: Meta, metadata: MetaData) -> Table:
    """Describe the table of ``meta`` in ``metadata`` (replacing an older description).

    Standard columns first (``name``, timestamps, owner, ``docstatus``, ``idx``; the parent
    columns of child tables or the underscore columns of other tables), then one column per data
    field, then the indexes: ``unique`` and ``search_index`` fields, ``parent`` of child tables,
    ``creation`` (and ``modified`` when it is the sort field) of other tables.
    """
    tname = meta.table
    if tname in metadata.tables:
        metadata.remove(metadata.tables[tname])
    standard = _standard_columns(meta)
    taken = {c.name for c in standard}
    cols = standard + [data_column(f) for f in meta.data_fields if f.fieldname not in taken]
    table = Table(tname, metadata, *cols)
    _indexes(meta, table)
    return table


class FrameworkTables:
    """Tables that are not DocTypes: Singles, Series, auth secrets, sessions, versions, counters."""

    def __init__(self, metadata: MetaData) -> None:
        self.singles = Table(
            "tabSingles", metadata,
            Column("doctype", String(255), nullable=False),
            Column("field", String(255), nullable=False),
            Column("value", LONGTEXT),
            Index("singles_doctype_field_index", "doctype", "field"),
        )  # fmt: skip
        self.series = Table(
            "tabSeries", metadata,
            Column("name", String(100), primary_key=True),
            Column("current", BigInteger(), nullable=False, server_default="0"),
        )  # fmt: skip
        self.auth = Table(
            "__Auth", metadata,
            Column("doctype", String(VARCHAR_LEN), primary_key=True),
            Column("name", String(255), primary_key=True),
            Column("fieldname", String(VARCHAR_LEN), primary_key=True),
            Column("password", Text(), nullable=False),
            Column("encrypted", SmallInteger(), nullable=False, server_default="0"),
        )  # fmt: skip
        self.sessions = Table(
            "tabSessions", metadata,
            Column("sid", String(255), primary_key=True),
            Column("user", String(255), nullable=False),
            Column("lastupdate", DATETIME6),
            Column("status", String(20)),
            Column("sessiondata", LONGTEXT),
            Index("sessions_user_index", "user"),
        )  # fmt: skip
        #: One counter per scope ("meta"), raised whenever DocType definitions change, so every
        #: process can tell that its cached metadata is stale (see docframe.db.versions).
        self.versions = Table(
            "__MetaVersion", metadata,
            Column("scope", String(VARCHAR_LEN), primary_key=True),
            Column("version", BigInteger(), nullable=False, server_default="0"),
        )  # fmt: skip

        #: Counters with an expiry shared by every worker of the site when there is no Redis:
        #: failed logins and rate limits (see docframe.ratelimit.stores.DatabaseStore).
        self.counters = Table(
            "__Counters", metadata,
            Column("key", String(VARCHAR_LEN), primary_key=True),
            Column("count", BigInteger(), nullable=False, server_default="0"),
            Column("expires", BigInteger(), nullable=False, server_default="0"),
        )  # fmt: skip

    def single_value(self, conn: Connection, doctype: str, field: str) -> str | None:
        """One stored value of a Single DocType (None when it was never saved)."""
        singles = self.singles
        stmt = select(singles.c.value).where(singles.c.doctype == doctype, singles.c.field == field)
        value = conn.execute(stmt).scalar()
        return None if value is None else str(value)

    def all(self) -> list[Table]:
        """Every framework table."""
        return [self.singles, self.series, self.auth, self.sessions, self.versions, self.counters]


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

    def forget(self, doctype: str | None = None) -> None:
        """Drop the cached table of ``doctype`` (or of every DocType)."""
        with self._lock:
            if doctype is None:
                self._tables.clear()
            else:
                self._tables.pop(doctype, None)
