"""Rows: a kept list shape's driver rows turned into result rows, converting only what needs it.

SQLite stores dates and times as ISO text, and SQLAlchemy gives each column's values to its type's
result processor (``datetime.fromisoformat`` for a Datetime column); the prepared executor
(:mod:`docframe.db.prepared`) runs every value of every row through a generic per-value loop to do
that. On a driver that reports no column types (pysqlite: ``cursor.description`` carries ``None``
type codes, so each column's processor is fixed by its SQLAlchemy type alone), a kept list shape
runs a twin of its statement whose columns carry no type (the same SQL text, checked when the twin
is built), and :class:`RowReader` converts only the columns that have a processor, column by column.

For a response that goes straight to JSON (``json_ready``), a Datetime or Date text that is already
what the parsed value prints as (``str(datetime.fromisoformat(text))``: Frappe's JSON form, a space
between date and time, microseconds unless they are zero) is kept as it is after the same parse has
checked it, so it is neither turned into an object nor formatted back by the JSON encoder's default
hook. Anything else goes through the column's processor exactly as before, and the encoder renders
the object as it always did: the response body is the same byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import type_coerce
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.engine import processors as sa_processors
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import Label
from sqlalchemy.types import NullType

from docframe.db.prepared import Prepared

__all__ = ["RowReader", "date_text", "datetime_text", "untyped_columns"]

Converter = Callable[[Any], Any]

_parse_datetime = datetime.fromisoformat
_parse_date = date.fromisoformat


def datetime_text(value: Any) -> Any:
    """``value`` (a Datetime column's stored value on SQLite) as the JSON encoder would print it.

    ``YYYY-MM-DD HH:MM:SS.ffffff`` with non-zero microseconds prints as itself once
    ``datetime.fromisoformat`` accepts it (a malformed text raises as the column's processor
    would); any other value is returned parsed, as the column's processor returns it.
    """
    if (
        type(value) is str
        and len(value) == 26
        and value[10] == " "
        and value[19] == "."
        and value[4] == "-"
        and value[7] == "-"
        and value[13] == ":"
        and value[16] == ":"
        and not value.endswith("000000")
    ):
        _parse_datetime(value)
        return value
    return sa_processors.str_to_datetime(value)


def date_text(value: Any) -> Any:
    """``value`` (a Date column's stored value on SQLite) as the JSON encoder would print it
    (``YYYY-MM-DD`` prints as itself once ``date.fromisoformat`` accepts it)."""
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        _parse_date(value)
        return value
    return sa_processors.str_to_date(value)


#: The JSON-ready form of a processor's result, for the processors that have one.
_JSON_FORMS: dict[Any, Converter] = {
    sa_processors.str_to_datetime: datetime_text,
    sa_processors.str_to_date: date_text,
}


def untyped_columns(columns: Sequence[Label[Any]]) -> list[Label[Any]]:
    """``columns`` with the same labels and SQL but no type (so no result processor applies)."""
    return [type_coerce(c.element, NullType()).label(c.name) for c in columns]


class RowReader:
    """Runs a shape's untyped twin statement and converts the columns that need it."""

    __slots__ = ("_by_label", "_json_by_label", "_json_positions", "_positions", "labels", "prepared")

    def __init__(
        self, prepared: Prepared, labels: Sequence[str], processors: Sequence[Converter | None]
    ) -> None:
        self.prepared = prepared
        self.labels = tuple(labels)
        last = {label: i for i, label in enumerate(self.labels)}  # a later duplicate label wins
        self._positions = tuple((i, p) for i, p in enumerate(processors) if p is not None)
        self._json_positions = tuple((i, _JSON_FORMS.get(p, p)) for i, p in self._positions)
        self._by_label = tuple((self.labels[i], p) for i, p in self._positions if last[self.labels[i]] == i)
        self._json_by_label = tuple((label, _JSON_FORMS.get(p, p)) for label, p in self._by_label)

    @classmethod
    def build(
        cls, typed: Select[Any], untyped: Select[Any], labels: Sequence[str], dialect: Dialect
    ) -> RowReader | None:
        """A reader for ``typed`` (run as ``untyped``), or None when the driver reports column types
        (its processors could depend on them) or the untyped statement's SQL differs."""
        if dialect.name != "sqlite":
            return None
        try:
            plain = Prepared(untyped, dialect)
            if plain.sql != Prepared(typed, dialect).sql:
                return None
        except ValueError:
            return None
        processors = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in typed.selected_columns
        ]
        return cls(plain, labels, processors)

    def rows(self, conn: Connection, params: dict[str, Any], *, as_dict: bool, json_ready: bool) -> list[Any]:
        """The statement's rows as dicts keyed by label (or lists in column order), converted."""
        raw = self.prepared.rows(conn, params)
        if as_dict:
            labels = self.labels
            out: list[Any] = [dict(zip(labels, r, strict=True)) for r in raw]
            for label, convert in self._json_by_label if json_ready else self._by_label:
                for row in out:
                    value = row[label]
                    if value is not None:
                        row[label] = convert(value)
            return out
        lists = [list(r) for r in raw]
        for position, convert in self._json_positions if json_ready else self._positions:
            for item in lists:
                value = item[position]
                if value is not None:
                    item[position] = convert(value)
        return lists
