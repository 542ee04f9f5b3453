"""Column types: each DocField type mapped to a SQLAlchemy type on SQLite, PostgreSQL and MariaDB.

Generic SQLAlchemy types with per-dialect variants, so one :class:`~sqlalchemy.Table` serves every
backend. Numbers are read back as Python ``int``/``float`` (never ``Decimal``), dates and times as
``date``/``datetime``/``time`` objects.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Date, DateTime, Float, Integer, Numeric, SmallInteger, String, Text, Time
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import TypeEngine

from docframe.meta.fieldtypes import LONG_TEXT_TYPES, TEXT_TYPES, VARCHAR_TYPES
from docframe.meta.schema import DocFieldDef

__all__ = ["DATETIME6", "NAME_TYPE", "VARCHAR_LEN", "column_type", "is_indexable"]

VARCHAR_LEN = 140

DATETIME6: TypeEngine[object] = (
    DateTime()
    .with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    .with_variant(postgresql.TIMESTAMP(precision=6), "postgresql")
)
TIME6: TypeEngine[object] = (
    Time()
    .with_variant(mysql.TIME(fsp=6), "mysql", "mariadb")
    .with_variant(postgresql.TIME(precision=6), "postgresql")
)
LONGTEXT: TypeEngine[object] = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
NAME_TYPE: TypeEngine[object] = String(VARCHAR_LEN)


def _decimal(precision: int, scale: int) -> TypeEngine[object]:
    return Numeric(precision, scale, asdecimal=False).with_variant(Float(), "sqlite")


def column_type(field: DocFieldDef) -> TypeEngine[object]:
    """The SQLAlchemy type of the column that stores ``field``."""
    ft = field.fieldtype
    if ft in VARCHAR_TYPES:
        return String(field.length if 0 < field.length <= 1000 else VARCHAR_LEN)
    if ft == "Int":
        return BigInteger() if field.length > 11 else Integer()
    if ft == "Long Int":
        return BigInteger()
    if ft == "Check":
        return SmallInteger()
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
    """Whether a unique constraint or index may be put on the field's column."""
    return field.fieldtype in VARCHAR_TYPES or field.fieldtype in (
        "Int",
        "Long Int",
        "Check",
        "Date",
        "Datetime",
    )
