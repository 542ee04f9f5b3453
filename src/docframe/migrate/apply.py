"""Apply: run migration operations on a connection, and reflect what a table has.

The only migration code that talks to the database. DDL is emitted through SQLAlchemy's schema
constructs, so each backend gets its own dialect of CREATE TABLE / ALTER TABLE / CREATE INDEX.
"""

from __future__ import annotations

import logging

from sqlalchemy import Column, Table, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex as SACreateIndex
from sqlalchemy.schema import CreateTable as SACreateTable

from docframe.migrate.diff import (
    AddColumn,
    CreateIndex,
    CreateTable,
    Notice,
    Operation,
    Reflected,
    diff_table,
)

__all__ = ["apply", "reflect", "sync_table"]

log = logging.getLogger("docframe.migrate")


def reflect(conn: Connection, table_name: str) -> Reflected:
    """What the database has for ``table_name``."""
    inspector = inspect(conn)
    if not inspector.has_table(table_name):
        return Reflected(exists=False)
    columns = {c["name"] for c in inspector.get_columns(table_name)}
    indexes = {i["name"] for i in inspector.get_indexes(table_name) if i.get("name")}
    unique_columns: set[str] = set()
    for uc in inspector.get_unique_constraints(table_name):
        if uc.get("name"):
            indexes.add(str(uc["name"]))
        if len(uc["column_names"]) == 1:
            unique_columns.add(uc["column_names"][0])
    for ix in inspector.get_indexes(table_name):
        if ix.get("unique") and len(ix["column_names"]) == 1 and ix["column_names"][0]:
            unique_columns.add(str(ix["column_names"][0]))
    return Reflected(exists=True, columns=columns, indexes=indexes, unique_columns=unique_columns)


def apply(conn: Connection, ops: list[Operation]) -> list[str]:
    """Run ``ops``; return one line per operation (what was done or noticed)."""
    done: list[str] = []
    for op in ops:
        if isinstance(op, CreateTable):
            conn.execute(SACreateTable(op.table))
            for index in op.table.indexes:
                conn.execute(SACreateIndex(index))
            done.append(f"created table {op.table.name}")
        elif isinstance(op, AddColumn):
            _add_column(conn, op.table, op.column)
            done.append(f"added column {op.table.name}.{op.column.name}")
        elif isinstance(op, CreateIndex):
            conn.execute(SACreateIndex(op.index))
            done.append(f"created index {op.index.name}")
        elif isinstance(op, Notice):
            log.info("%s: %s", op.table, op.text)
            done.append(f"notice {op.table}: {op.text}")
    return done


def _add_column(conn: Connection, table: Table, column: Column[object]) -> None:
    # SQLAlchemy Core has no ADD COLUMN construct; the dialect's own DDL compiler renders the spec.
    compiler = conn.dialect.ddl_compiler(conn.dialect, None)
    spec = compiler.get_column_specification(column)
    preparer = conn.dialect.identifier_preparer
    conn.exec_driver_sql(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {spec}")


def sync_table(conn: Connection, table: Table) -> list[str]:
    """Bring one table up to its description; returns what was done."""
    return apply(conn, diff_table(table, reflect(conn, table.name)))
