"""What the DocType controller checks in stored data before a definition changes or goes away."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import MetaData, Table, delete, func, select
from sqlalchemy.engine import Connection

from docframe.db.tables import build_table
from docframe.meta.schema import Meta

__all__ = [
    "delete_single_values",
    "detached_table",
    "has_duplicates",
    "has_rows",
    "series_user",
    "table_field_user",
]


def detached_table(meta: Meta) -> Table:
    """The table of ``meta`` described on its own (not in the site's registry), to create or drop it."""
    return build_table(meta, MetaData())


def series_user(conn: Connection, doctypes: Table, prefix: str, other_than: str) -> str | None:
    """A DocType other than ``other_than`` whose ``autoname`` uses the series ``prefix`` (``PREFIX.…``)."""
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ".%"
    used = conn.execute(
        select(doctypes.c.name)
        .where(doctypes.c.autoname.like(pattern, escape="\\"), doctypes.c.name != other_than)
        .limit(1)
    ).scalar()
    return None if used is None else str(used)


def has_rows(conn: Connection, table: Table) -> bool:
    """Whether ``table`` has any row."""
    return conn.execute(select(table.c.name).limit(1)).first() is not None


def has_duplicates(conn: Connection, table: Table, column: str, *, blank_counts: bool) -> bool:
    """Whether two rows share a non-NULL value of ``column`` (``''`` too only when ``blank_counts``)."""
    col = table.c[column]
    stmt = select(col).where(col.is_not(None)).group_by(col).having(func.count() > 1)
    if not blank_counts:
        stmt = stmt.where(col != "")
    return conn.execute(stmt.limit(1)).first() is not None


def table_field_user(
    conn: Connection, docfield: Table, child: str, table_types: Collection[str]
) -> str | None:
    """Another DocType with a Table field (of ``table_types``) whose options are ``child``."""
    row = conn.execute(
        select(docfield.c.parent)
        .where(
            docfield.c.fieldtype.in_(sorted(table_types)),
            docfield.c.options == child,
            docfield.c.parenttype == "DocType",
            docfield.c.parent != child,
        )
        .limit(1)
    ).first()
    return None if row is None else str(row.parent)


def delete_single_values(conn: Connection, singles: Table, doctype: str) -> None:
    """Forget every stored value of the Single ``doctype``."""
    conn.execute(delete(singles).where(singles.c.doctype == doctype))
