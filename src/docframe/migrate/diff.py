"""Diff: the tables the metadata describes vs. the tables the database has -> a list of operations.

Pure: it takes a desired :class:`sqlalchemy.Table` and what reflection found, and returns
:class:`Operation` records. Only additions are produced (tables, columns, indexes); a column whose
field was removed or whose type changed is reported as a :class:`Notice`, never dropped or altered,
so no data is lost silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Column, Index, Table

__all__ = ["AddColumn", "CreateIndex", "CreateTable", "Notice", "Operation", "Reflected", "diff_table"]


@dataclass(frozen=True)
class CreateTable:
    """Create ``table`` with its indexes."""

    table: Table


@dataclass(frozen=True)
class AddColumn:
    """Add ``column`` to ``table``."""

    table: Table
    column: Column[object]


@dataclass(frozen=True)
class CreateIndex:
    """Create ``index`` (unique or not)."""

    index: Index


@dataclass(frozen=True)
class Notice:
    """Something the migration saw but will not change by itself."""

    table: str
    text: str


Operation = CreateTable | AddColumn | CreateIndex | Notice


@dataclass
class Reflected:
    """What the database has for one table."""

    exists: bool
    columns: set[str] = field(default_factory=set)
    indexes: set[str] = field(default_factory=set)
    unique_columns: set[str] = field(default_factory=set)


def diff_table(desired: Table, found: Reflected) -> list[Operation]:
    """The operations that bring the database's table up to ``desired``."""
    if not found.exists:
        return [CreateTable(desired)]
    ops: list[Operation] = []
    existing = {c.lower() for c in found.columns}
    for column in desired.columns:
        if column.name.lower() not in existing:
            ops.append(AddColumn(desired, column))
    for index in desired.indexes:
        cols = [c.name for c in index.columns]
        if index.name in found.indexes:
            continue
        if index.unique and len(cols) == 1 and cols[0] in found.unique_columns:
            continue
        ops.append(CreateIndex(index))
    wanted = {c.name.lower() for c in desired.columns}
    for name in sorted(existing - wanted):
        ops.append(Notice(desired.name, f"column {name} has no field any more; kept (data is never dropped)"))
    return ops
