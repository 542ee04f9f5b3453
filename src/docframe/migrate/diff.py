"""Diff: the tables the metadata describes vs. the tables the database has -> a list of operations.

Pure: it takes a desired :class:`sqlalchemy.Table` and what reflection found (:class:`Reflected`),
and returns :class:`Operation` records; nothing here touches a database. What it produces:

* a missing table -> :class:`CreateTable` (with its indexes);
* a missing column -> :class:`AddColumn`; a missing index -> :class:`CreateIndex`;
* an index docframe named for a field (``<table>_<column>_unique`` / ``_index``) that the field no
  longer asks for -> :class:`DropIndex` (an index holds no data; a stale unique index would refuse
  valid rows);
* a column whose field was removed, or whose type differs from what the field wants ->
  :class:`Notice`. Columns are never dropped or altered, so no data is lost silently.

Column names are compared case-insensitively (MariaDB and SQLite treat them so). Types are
compared by :func:`column_kind`, a backend-neutral spelling such as ``varchar(140)``, ``int``,
``decimal(21,9)``, ``datetime`` or ``longtext``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Index, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.types import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    TypeEngine,
    Uuid,
)

from docframe.db.tables import index_name

__all__ = [
    "AddColumn",
    "CreateIndex",
    "CreateTable",
    "DropIndex",
    "Notice",
    "Operation",
    "Reflected",
    "ReflectedIndex",
    "column_kind",
    "diff_table",
    "is_change",
]

#: Suffixes of the index names docframe gives field indexes (see docframe.db.tables.index_name).
OWN_INDEX_SUFFIXES = ("_unique", "_index")


@dataclass(frozen=True)
class CreateTable:
    """Create ``table`` with its indexes."""

    table: Table


@dataclass(frozen=True)
class AddColumn:
    """Add ``column`` to ``table``."""

    table: Table
    column: Column[Any]


@dataclass(frozen=True)
class CreateIndex:
    """Create ``index`` (unique or not)."""

    index: Index


@dataclass(frozen=True)
class DropIndex:
    """Drop index ``name`` on ``column`` of table ``table`` (a field index no longer wanted)."""

    table: str
    name: str
    column: str


@dataclass(frozen=True)
class Notice:
    """Something the migration saw but will not change by itself.

    ``kind`` is ``removed_column`` (a column without a field; kept) or ``type_changed`` (the
    field wants another column type; the column is not altered).
    """

    table: str
    text: str
    kind: str = "other"
    column: str = ""


Operation = CreateTable | AddColumn | CreateIndex | DropIndex | Notice


@dataclass(frozen=True)
class ReflectedIndex:
    """One index (or unique constraint) the database has."""

    name: str
    columns: tuple[str, ...]
    unique: bool = False


@dataclass
class Reflected:
    """What the database has for one table.

    ``columns`` maps each column name to its :func:`column_kind`; ``dialect`` is the backend the
    reflection came from (used to resolve the desired table's per-backend types).
    """

    exists: bool
    columns: dict[str, str] = field(default_factory=dict)
    indexes: list[ReflectedIndex] = field(default_factory=list)
    dialect: Dialect | None = None


def is_change(op: Operation) -> bool:
    """Whether ``op`` changes the database (everything except a :class:`Notice`)."""
    return not isinstance(op, Notice)


def _integer_kind(t: Integer) -> str:
    if isinstance(t, BigInteger):
        return "bigint"
    if isinstance(t, SmallInteger):
        return "smallint"
    visit = str(getattr(t, "__visit_name__", "")).lower()
    if visit in ("tinyint", "smallint", "mediumint", "bigint"):
        return "int" if visit == "mediumint" else visit
    return "int"


def _text_kind(t: String) -> str:
    visit = str(getattr(t, "__visit_name__", "")).lower()
    if visit in ("longtext", "mediumtext"):
        return "longtext"
    if isinstance(t, Text) or visit in ("text", "tinytext") or not t.length:
        return "text"
    return f"varchar({t.length})"


def column_kind(t: TypeEngine[Any]) -> str:
    """A backend-neutral spelling of a column type, for comparing metadata with reflection."""
    if isinstance(t, Boolean):
        return "bool"
    if isinstance(t, Integer):
        return _integer_kind(t)
    if isinstance(t, Float):
        return "float"
    if isinstance(t, Numeric):
        return f"decimal({t.precision},{t.scale})" if t.precision is not None else "decimal"
    if isinstance(t, DateTime):
        return "datetime"
    if isinstance(t, Date):
        return "date"
    if isinstance(t, Time):
        return "time"
    if isinstance(t, JSON):
        return "json"
    if isinstance(t, Uuid):
        return "uuid"
    if isinstance(t, String):
        return _text_kind(t)
    return type(t).__name__.lower()


def _desired_kind(column: Column[Any], dialect: Dialect | None) -> str:
    ctype = column.type
    if dialect is not None:
        ctype = ctype.dialect_impl(dialect)
    return column_kind(ctype)


def _own_index_column(desired: Table, index: ReflectedIndex) -> str | None:
    """The column of an index docframe named for a field, or None for any other index."""
    if len(index.columns) != 1:
        return None
    column = index.columns[0]
    own = {index_name(desired.name, column, suffix[1:]) for suffix in OWN_INDEX_SUFFIXES}
    return column if index.name in own else None


def _index_ops(desired: Table, found: Reflected) -> list[Operation]:
    ops: list[Operation] = []
    by_name = {ix.name: ix for ix in found.indexes}
    present = {(tuple(c.lower() for c in ix.columns), ix.unique) for ix in found.indexes}
    wanted_names = {str(ix.name) for ix in desired.indexes}
    for index in sorted(desired.indexes, key=lambda ix: str(ix.name)):
        cols = tuple(c.name.lower() for c in index.columns)
        if str(index.name) in by_name or (cols, bool(index.unique)) in present:
            continue
        ops.append(CreateIndex(index))
    for ix in found.indexes:
        column = _own_index_column(desired, ix)
        if ix.name not in wanted_names and column is not None:
            ops.append(DropIndex(desired.name, ix.name, column))
    # A DropIndex must run before a CreateIndex on the same column (unique -> plain search index).
    return sorted(ops, key=lambda op: 0 if isinstance(op, DropIndex) else 1)


def _column_ops(desired: Table, found: Reflected) -> list[Operation]:
    ops: list[Operation] = []
    existing = {name.lower(): kind for name, kind in found.columns.items()}
    for column in desired.columns:
        have = existing.get(column.name.lower())
        if have is None:
            ops.append(AddColumn(desired, column))
            continue
        want = _desired_kind(column, found.dialect)
        if have != want:
            ops.append(
                Notice(
                    desired.name,
                    f"column {column.name} is {have} in the database but its field wants {want}; "
                    "not altered (change it by hand if the data allows)",
                    kind="type_changed",
                    column=column.name,
                )
            )
    wanted = {c.name.lower() for c in desired.columns}
    for name in sorted(set(existing) - wanted):
        ops.append(
            Notice(
                desired.name,
                f"column {name} has no field any more; kept (data is never dropped)",
                kind="removed_column",
                column=name,
            )
        )
    return ops


def diff_table(desired: Table, found: Reflected) -> list[Operation]:
    """The operations that bring the database's table up to ``desired`` (plus notices)."""
    if not found.exists:
        return [CreateTable(desired)]
    column_ops = _column_ops(desired, found)
    changes = [op for op in column_ops if is_change(op)]
    notices = [op for op in column_ops if not is_change(op)]
    return changes + _index_ops(desired, found) + notices
