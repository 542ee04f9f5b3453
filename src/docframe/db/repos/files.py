"""File rows as the upload service and File permissions read them (the ``File`` DocType's table)."""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

__all__ = ["attached_doctypes", "file_names_of_url"]


def attached_doctypes(conn: Connection, files: Table, other_than: str) -> list[str]:
    """DocTypes that private files owned by someone other than ``other_than`` are attached to."""
    stmt = (
        select(files.c.attached_to_doctype)
        .where(files.c.is_private == 1, files.c.attached_to_doctype.is_not(None), files.c.owner != other_than)
        .distinct()
    )
    return [str(row[0]) for row in conn.execute(stmt) if row[0]]


def file_names_of_url(conn: Connection, files: Table, url: str, exclude: object, limit: int) -> list[str]:
    """Up to ``limit`` File records (not folders, not ``exclude``) whose ``file_url`` is ``url``."""
    stmt = select(files.c.name).where(files.c.file_url == url, files.c.is_folder == 0)
    if exclude not in (None, ""):
        stmt = stmt.where(files.c.name != exclude)
    return [str(name) for name in conn.execute(stmt.limit(limit)).scalars()]
