"""Column types: each DocField type mapped to a SQLAlchemy type on SQLite, PostgreSQL and MariaDB.

Generic SQLAlchemy types with per-dialect variants, so one :class:`~sqlalchemy.Table` serves every
backend. Numbers are read back as Python ``int``/``float`` (never ``Decimal``), dates and times as
``date``/``datetime``/``time`` objects.

The map follows Frappe v16 (spec section 2.2): ``varchar(140)`` (or ``length``) for short text,
``int``/``bigint``, ``tinyint`` (MariaDB) or ``smallint`` (PostgreSQL) for Check, ``decimal(21,9)``
for Float/Currency/Percent/Duration, ``decimal(3,2)`` for Rating, ``date``, ``datetime(6)`` /
``timestamp(6)``, ``time(6)``, ``text`` / ``longtext``. SQLite keeps its own affinities (``REAL`` for
decimals). JSON is stored as (long) text on every backend so values round-trip as the text sent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    REAL,
    BigInteger,
    Date,
    DateTime,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.types import TypeEngine

from docframe.meta.fieldtypes import LONG_TEXT_TYPES, TEXT_TYPES, VARCHAR_TYPES
from docframe.meta.schema import DocFieldDef

__all__ = [
    "CHECK_TYPE",
    "DATETIME6",
    "IDX_TYPE",
    "LONGTEXT",
    "NAME_TYPE",
    "NOT_NULL_TYPES",
    "VARCHAR_LEN",
    "column_type",
    "is_indexable",
    "varchar_length",
]

VARCHAR_LEN = 140
#: Largest ``length`` a varchar field may ask for.
MAX_VARCHAR_LEN = 1000
#: Field types whose column is ``NOT NULL DEFAULT <number>`` (Frappe's ``NOT_NULL_TYPES``).
NOT_NULL_TYPES: frozenset[str] = frozenset({"Check", "Int", "Currency", "Float", "Percent"})
#: Types that are never indexed (Frappe refuses ``search_index`` and ``unique`` on them).
_UNINDEXABLE = TEXT_TYPES | LONG_TEXT_TYPES


class _DateTime6(DateTime):
    """``DateTime`` spelled ``timestamp(6)`` on PostgreSQL and ``datetime(6)`` on MariaDB."""


class _Time6(Time):
    """``Time`` spelled ``time(6)`` on PostgreSQL and MariaDB."""


class _LongText(Text):
    """MariaDB's ``longtext`` (the MariaDB variant of :data:`LONGTEXT`)."""

    # What reflection reports for the column (migrate.diff compares type spellings by it).
    __visit_name__ = "LONGTEXT"


class _TinyInt(Integer):
    """MariaDB's ``tinyint`` (the MariaDB variant of :data:`CHECK_TYPE`)."""

    __visit_name__ = "TINYINT"


# The backend spellings are compiled here rather than taken from sqlalchemy.dialects.postgresql and
# .mysql, whose packages import their drivers' dialects (PostgreSQL +2.8 MiB, MySQL +0.8 MiB in a
# process that never connects to them). An engine reads and binds these as it does its own types:
# a MariaDB engine adapts _Time6 to its TIME (which reads the driver's timedelta as a time).
@compiles(_DateTime6, "postgresql")
def _timestamp6(type_: _DateTime6, compiler: Any, **kw: Any) -> str:
    return "TIMESTAMP(6) WITHOUT TIME ZONE"


@compiles(_DateTime6, "mysql")
@compiles(_DateTime6, "mariadb")
def _datetime6(type_: _DateTime6, compiler: Any, **kw: Any) -> str:
    return "DATETIME(6)"


@compiles(_Time6, "postgresql")
def _pg_time6(type_: _Time6, compiler: Any, **kw: Any) -> str:
    return "TIME(6) WITHOUT TIME ZONE"


@compiles(_Time6, "mysql")
@compiles(_Time6, "mariadb")
def _time6(type_: _Time6, compiler: Any, **kw: Any) -> str:
    return "TIME(6)"


@compiles(_LongText)
def _longtext(type_: _LongText, compiler: Any, **kw: Any) -> str:
    return "LONGTEXT"


@compiles(_TinyInt)
def _tinyint(type_: _TinyInt, compiler: Any, **kw: Any) -> str:
    return "TINYINT"


DATETIME6: TypeEngine[Any] = _DateTime6()
TIME6: TypeEngine[Any] = _Time6()
LONGTEXT: TypeEngine[Any] = Text().with_variant(_LongText(), "mysql", "mariadb")
NAME_TYPE: TypeEngine[Any] = String(VARCHAR_LEN)
#: Check and ``docstatus``: ``tinyint`` on MariaDB, ``smallint`` elsewhere.
CHECK_TYPE: TypeEngine[Any] = SmallInteger().with_variant(_TinyInt(), "mysql", "mariadb")
#: ``idx``: ``int`` on MariaDB and SQLite, ``bigint`` on PostgreSQL.
IDX_TYPE: TypeEngine[Any] = Integer().with_variant(BigInteger(), "postgresql")


def _decimal(precision: int, scale: int) -> TypeEngine[Any]:
    return Numeric(precision, scale, asdecimal=False).with_variant(REAL(), "sqlite")


def varchar_length(field: DocFieldDef) -> int:
    """The varchar length of a short-text field: ``length`` when 1..1000, else 140."""
    return field.length if 0 < field.length <= MAX_VARCHAR_LEN else VARCHAR_LEN


def column_type(field: DocFieldDef) -> TypeEngine[Any]:
    """The SQLAlchemy type of the column that stores ``field``."""
    ft = field.fieldtype
    if ft in VARCHAR_TYPES:
        return String(varchar_length(field))
    if ft == "Int":
        return BigInteger() if field.length > 11 else Integer()
    if ft == "Long Int":
        return BigInteger()
    if ft == "Check":
        return CHECK_TYPE
    if ft in ("Float", "Currency", "Percent", "Duration"):
        return _decimal(21, 9)
    if ft == "Rating":
        return _decimal(3, 2)
    if ft == "Date":
        return Date()
    if ft == "Datetime":
        return DATETIME6
    if ft == "Time":
        return TIME6
    if ft in TEXT_TYPES:
        return Text()
    if ft in LONG_TEXT_TYPES:
        return LONGTEXT
    return Text()


def is_indexable(field: DocFieldDef) -> bool:
    """Whether a unique constraint or index may be put on the field's column (never on text)."""
    return field.has_column and field.fieldtype not in _UNINDEXABLE
