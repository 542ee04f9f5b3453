"""Stored values of Single DocTypes (``tabSingles``: one row per doctype and field)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

__all__ = ["single_values"]


def single_values(conn: Connection, singles: Table, doctype: str, fields: Collection[str]) -> dict[str, Any]:
    """The stored values of ``fields`` of the Single ``doctype`` (fields never saved are absent)."""
    stmt = select(singles.c.field, singles.c.value).where(
        singles.c.doctype == doctype, singles.c.field.in_(list(fields))
    )
    return {str(row[0]): row[1] for row in conn.execute(stmt)}
