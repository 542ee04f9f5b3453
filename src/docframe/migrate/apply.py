"""Apply: run migration operations on a connection, and reflect what a table has.

The only migration code that talks to the database. DDL is emitted through SQLAlchemy's schema
constructs, so each backend gets its own dialect of CREATE TABLE / CREATE INDEX / DROP INDEX;
ADD COLUMN is the one statement SQLAlchemy Core has no construct for (see :func:`_add_column`).

MariaDB commits implicitly before and after every DDL statement, so on that backend a DocType
change that fails after its DDL ran cannot be rolled back completely; SQLite and PostgreSQL run
DDL inside the caller's transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Column, Index, MetaData, String, Table, inspect
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.schema import CreateIndex as SACreateIndex
from sqlalchemy.schema import CreateTable as SACreateTable
from sqlalchemy.schema import DropIndex as SADropIndex
from sqlalchemy.schema import DropTable as SADropTable

from docframe.migrate.diff import (
    AddColumn,
    CreateIndex,
    CreateTable,
    DropIndex,
    Notice,
    Operation,
    Reflected,
    ReflectedIndex,
    column_kind,
    diff_table,
)

__all__ = ["apply", "drop_table", "plan", "reflect", "stored_name", "sync_table"]

log = logging.getLogger("docframe.migrate")


def stored_name(dialect: Dialect, name: str) -> str:
    """The name the backend keeps for identifier ``name`` (PostgreSQL cuts it to 63 bytes)."""
    limit = int(dialect.max_identifier_length or 0)
    raw = name.encode()
    if dialect.name != "postgresql" or not limit or len(raw) <= limit:
        return name
    return raw[:limit].decode("utf-8", "ignore")


def _indexes(inspector: object, table_name: str) -> list[ReflectedIndex]:
    found: dict[str, ReflectedIndex] = {}
    for ix in inspector.get_indexes(table_name):  # type: ignore[attr-defined]
        cols = tuple(str(c) for c in ix["column_names"] if c)
        if ix.get("name") and len(cols) == len(ix["column_names"]):
            found[str(ix["name"])] = ReflectedIndex(str(ix["name"]), cols, bool(ix.get("unique")))
    for uc in inspector.get_unique_constraints(table_name):  # type: ignore[attr-defined]
        name = str(uc.get("name") or "")
        if name and name not in found:
            found[name] = ReflectedIndex(name, tuple(uc["column_names"]), True)
    return list(found.values())


def reflect(conn: Connection, table_name: str) -> Reflected:
    """What the database has for ``table_name``: columns with their kinds, and indexes."""
    inspector = inspect(conn)
    name = stored_name(conn.dialect, table_name)
    if not inspector.has_table(name):
        return Reflected(exists=False, dialect=conn.dialect)
    columns = {str(c["name"]): column_kind(c["type"]) for c in inspector.get_columns(name)}
    return Reflected(exists=True, columns=columns, indexes=_indexes(inspector, name), dialect=conn.dialect)


def plan(conn: Connection, table: Table) -> list[Operation]:
    """The operations that would bring ``table`` up to its description (nothing is run)."""
    return diff_table(table, reflect(conn, table.name))


def apply(conn: Connection, ops: list[Operation]) -> list[str]:
    """Run ``ops``; return one line per operation (what was done or noticed)."""
    done: list[str] = []
    for op in ops:
        if isinstance(op, CreateTable):
            conn.execute(SACreateTable(op.table))
            for index in sorted(op.table.indexes, key=lambda ix: str(ix.name)):
                conn.execute(SACreateIndex(index))
            done.append(f"created table {op.table.name}")
        elif isinstance(op, AddColumn):
            _add_column(conn, op.table, op.column)
            done.append(f"added column {op.table.name}.{op.column.name}")
        elif isinstance(op, CreateIndex):
            conn.execute(SACreateIndex(op.index))
            done.append(f"created index {op.index.name}")
        elif isinstance(op, DropIndex):
            _drop_index(conn, op)
            done.append(f"dropped index {op.name}")
        elif isinstance(op, Notice):
            log.info("%s: %s", op.table, op.text)
            done.append(f"notice {op.table}: {op.text}")
    return done


def _add_column(conn: Connection, table: Table, column: Column[Any]) -> None:
    # SQLAlchemy Core has no ADD COLUMN construct (that is Alembic's job); the dialect's own DDL
    # compiler renders the column specification and the identifier preparer quotes the table, so
    # only names checked against metadata reach the statement.
    compiler = conn.dialect.ddl_compiler(conn.dialect, None)  # type: ignore[arg-type]  # no statement: only its column rendering is used
    spec = compiler.get_column_specification(column)
    preparer = conn.dialect.identifier_preparer
    conn.exec_driver_sql(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {spec}")


def _drop_index(conn: Connection, op: DropIndex) -> None:
    # DROP INDEX needs only the names (MariaDB also the table): describe them on a scratch table so
    # the site's own Table objects are not touched.
    scratch = Table(op.table, MetaData(), Column(op.column, String()))
    conn.execute(SADropIndex(Index(op.name, scratch.c[op.column])))


def sync_table(conn: Connection, table: Table) -> list[str]:
    """Bring one table up to its description; returns what was done (and noticed)."""
    return apply(conn, plan(conn, table))


def drop_table(conn: Connection, table: Table) -> bool:
    """Drop ``table`` if the database has it (deleting a custom DocType); True when dropped."""
    if not inspect(conn).has_table(stored_name(conn.dialect, table.name)):
        return False
    conn.execute(SADropTable(table))
    return True
