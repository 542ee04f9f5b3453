"""Naming: choose the ``name`` of a new document, one function per ``autoname`` kind.

Kinds (Frappe's): ``hash`` (10 base32hex characters, roughly time-ordered), ``autoincrement``,
``field:<fieldname>``, ``naming_series:``, ``format:<pattern>``, ``Prompt`` (the client's name),
``UUID`` (v7), dot-separated series with ``#`` counters (``SINV-.YYYY.-.####``), and "by script"
(the controller's ``autoname`` hook). Child rows are named by their own DocType's rule.

Counters live in ``tabSeries`` (one row per rendered prefix) and are incremented with one atomic
upsert that holds the row lock until commit, so concurrent inserts through several processes never
hand out the same number. Autoincrement DocTypes keep their sequence there too (key
``<doctype>_id_seq``, lower-case with underscores).
"""

from __future__ import annotations

import os
import re
import time
import unicodedata
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, case, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.expression import Executable

from docframe import errors
from docframe.db.dialects import mariadb, postgres
from docframe.model.document import Document

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "MAX_NAME_LENGTH",
    "make_hash",
    "name_new_rows",
    "next_counter",
    "render_format",
    "render_series",
    "revert_series_if_last",
    "set_counter_at_least",
    "set_new_name",
    "uuid7",
    "validate_name",
]

BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
MAX_NAME_LENGTH = 140
#: ``tabSeries.name`` is ``varchar(100)``.
SERIES_KEY_LENGTH = 100
_SERIES_CHARS = re.compile(r"^[\w\- /.#{}]+$", re.UNICODE)
_BRACES = re.compile(r"\{([\w | #]+)\}")
_DIGITS = re.compile(r"[0-9]+")
#: Values a series may show; anything else (objects, lists) renders as nothing.
_SHOWABLE = (str, int, float, date, time_of_day, timedelta)

#: ``number(prefix, width)`` -> the counter text placed after ``prefix``.
NumberFn = Callable[[str, int], str]


# -- generated names -------------------------------------------------------------------------------


#: Byte -> the base32hex character of its low five bits (256 is a multiple of 32, so a random
#: byte gives a uniform character).
_LOW_FIVE_BITS = bytes(ord(BASE32HEX[b & 31]) for b in range(256))


#: The clock and the random source of :func:`make_hash` (tests replace them to force a collision).
_clock: Callable[[], float] = time.time
_random_bytes: Callable[[int], bytes] = os.urandom


def make_hash(length: int = 10) -> str:
    """A name of base32hex characters: 4 from a wrapping decisecond clock, the rest random.

    30 random bits per decisecond: two names can collide, so an insert under a generated name
    takes another one when its name is taken (``persistence.insert_doc(new_name=...)``).
    """
    ticks = int(_clock() * 10) % (32**4)
    head = (
        BASE32HEX[ticks >> 15 & 31]
        + BASE32HEX[ticks >> 10 & 31]
        + BASE32HEX[ticks >> 5 & 31]
        + BASE32HEX[ticks & 31]
    )
    tail = _random_bytes(max(length - 4, 0)).translate(_LOW_FIVE_BITS).decode("ascii")
    return (head + tail)[:length]


def uuid7() -> str:
    """A version-7 UUID string (time-ordered)."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 68) & 0xFFF) << 64
    value |= 0x2 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


# -- counters --------------------------------------------------------------------------------------


def _check_key(key: str) -> None:
    if len(key) > SERIES_KEY_LENGTH:
        raise errors.InvalidNamingSeriesError(
            f"Naming series prefix is too long ({len(key)} characters, at most {SERIES_KEY_LENGTH}): {key[:40]}..."
        )
    if "\x00" in key:
        raise errors.InvalidNamingSeriesError("Naming series prefix cannot contain NUL characters")


def _upsert(ctx: Context, key: str, value: int, on_clash: ColumnElement[Any]) -> Executable:
    """``INSERT (key, value)``, or on a clash ``SET current = on_clash``, in one statement.

    One atomic statement per backend (``ON CONFLICT`` / ``ON DUPLICATE KEY``): a two-step
    "UPDATE, else INSERT" lets two InnoDB transactions creating the same counter deadlock on the
    gap locks each one's empty UPDATE took.
    """
    series = ctx.site.tables.framework.series
    row = {"name": key, "current": value}
    if ctx.conn.dialect.name in ("mysql", "mariadb"):
        return mariadb.insert(series).values(row).on_duplicate_key_update(current=on_clash)
    make = postgres.insert if ctx.conn.dialect.name == "postgresql" else sqlite_insert
    return (
        make(series)
        .values(row)
        .on_conflict_do_update(index_elements=[series.c.name], set_={"current": on_clash})
    )


def next_counter(ctx: Context, key: str) -> int:
    """Increment and return the counter ``key`` in ``tabSeries`` (creating it at 1).

    The row stays locked by this transaction until it ends, so no other transaction can be given
    the same number.
    """
    _check_key(key)
    series = ctx.site.tables.framework.series
    ctx.conn.execute(_upsert(ctx, key, 1, series.c.current + 1))
    return int(ctx.conn.execute(select(series.c.current).where(series.c.name == key)).scalar_one())


def set_counter_at_least(ctx: Context, key: str, value: int) -> None:
    """Move counter ``key`` forward to ``value`` if it is behind (never backwards)."""
    _check_key(key)
    series = ctx.site.tables.framework.series
    ctx.conn.execute(
        _upsert(ctx, key, value, case((series.c.current < value, value), else_=series.c.current))
    )


def _autoincrement_key(doctype: str) -> str:
    return doctype.lower().replace(" ", "_") + "_id_seq"


# -- series rendering ------------------------------------------------------------------------------


def _week(day: date) -> str:
    year, week, _ = day.isocalendar()
    if year < day.year:
        return "00"
    if year > day.year:
        return "53"
    return f"{week:02d}"


def _date_part(part: str, today: datetime) -> str | None:
    if part == "YY":
        return today.strftime("%y")
    if part == "YYYY":
        return today.strftime("%Y")
    if part == "MM":
        return today.strftime("%m")
    if part == "DD":
        return today.strftime("%d")
    if part == "WW":
        return _week(today.date())
    if part == "timestamp":
        return str(today)
    return None


def _doc_value(doc: Document, key: str) -> str | None:
    """The document's value of ``key`` as text (``None`` when ``key`` is not a field)."""
    if key not in doc._data:
        return None
    value = doc._data[key]
    if value is None or isinstance(value, bool) or not isinstance(value, _SHOWABLE):
        return ""
    return str(value).strip()


def _series_part(doc: Document, part: str, today: datetime) -> str:
    if part.startswith("{") and part.endswith("}"):
        return _doc_value(doc, part[1:-1]) or ""
    rendered = _date_part(part, today)
    if rendered is None:
        rendered = _doc_value(doc, part)
    return part if rendered is None else rendered


def render_series(doc: Document, series: str, today: datetime, number: NumberFn) -> str:
    """Render a dot-separated series (``.#####`` is appended when it has no ``#``).

    The first ``#`` part becomes ``number(prefix, width)`` where ``prefix`` is the text rendered
    so far; later ``#`` parts render as nothing.
    """
    if "#" not in series:
        series += ".#####"
    out = ""
    counted = False
    for part in series.split("."):
        if not part:
            continue
        if part.startswith("#"):
            if not counted:
                out += number(out, len(part))
                counted = True
            continue
        out += _series_part(doc, part, today)
    return out


def _format_part(doc: Document, word: str, today: datetime) -> str:
    rendered = _date_part(word, today)
    if rendered is None:
        rendered = _doc_value(doc, word)
    return word if rendered is None else rendered


def render_format(doc: Document, pattern: str, today: datetime, number: NumberFn) -> str:
    """Render a ``format:`` pattern; the one ``{#...}`` group's counter key is the text before it."""
    groups = [m for m in _BRACES.finditer(pattern) if m.group(1).startswith("#")]
    if len(groups) > 1:
        raise errors.ValidationError(
            f"Only one counter ({{#...}}) is allowed in the autoname format:{pattern}"
        )
    out = ""
    last = 0
    for match in _BRACES.finditer(pattern):
        out += pattern[last : match.start()]
        word = match.group(1)
        out += number(out, len(word)) if word.startswith("#") else _format_part(doc, word, today)
        last = match.end()
    return out + pattern[last:]


def _counter_text(ctx: Context) -> NumberFn:
    return lambda prefix, width: str(next_counter(ctx, prefix)).zfill(width)


# -- validate_name ---------------------------------------------------------------------------------


def validate_name(doc: Document, name: Any) -> Any:
    """Frappe's name rules: not empty, no ``<``/``>``, not the DocType's own name, at most 140 chars."""
    meta = doc.meta
    if isinstance(name, int) and not isinstance(name, bool):
        if meta.naming_rule != "autoincrement":
            raise errors.NameError("Invalid name type (integer) for varchar name column")
        return name
    if not isinstance(name, str) or not name.strip():
        raise errors.ValidationError(f"No Name Specified for {meta.name}")
    if name.startswith(f"New {meta.name}"):
        raise errors.NameError("There were some errors setting the name, please contact the administrator")
    name = name.strip()
    if name == meta.name and not meta.issingle and meta.name != "DocType":
        raise errors.NameError(f"Name of {meta.name} cannot be {name}")
    if "<" in name or ">" in name:
        raise errors.NameError("Name cannot contain special characters like '<', '>'")
    check_name_characters(name)
    _check_length(meta.name, name)
    return name


def check_name_characters(name: str) -> None:
    """417 for a name holding a control character (C0, DEL or C1, such as a newline or a tab).

    Such a name could be stored but never reached by URL (routes stop at a newline), and it would
    look like a different name in logs and lists; docframe refuses it on every path that names a
    document (Frappe accepts it).
    """
    if not name.isprintable():
        bad = next((c for c in name if unicodedata.category(c) == "Cc"), None)
        if bad is not None:
            raise errors.ValidationError(
                f"Name cannot contain control characters (found U+{ord(bad):04X})", title="Invalid Name"
            )


def _check_length(doctype: str, name: str) -> None:
    if len(name) > MAX_NAME_LENGTH:
        raise errors.ValidationError(
            f"Name is too long: {len(name)} characters, {doctype} names may have at most {MAX_NAME_LENGTH}",
            title="Invalid Name",
        )


# -- one function per autoname kind ---------------------------------------------------------------


def _by_field(ctx: Context, doc: Document) -> Any:
    fieldname = doc.meta.autoname.split(":", 1)[1].strip()
    value = doc.get(fieldname)
    if value is None or isinstance(value, dict | list) or str(value).strip() == "":
        f = doc.meta.get_field(fieldname)
        raise errors.ValidationError(f"{f.display_label if f else fieldname} is required")
    return str(value).strip()


def _default_series(doc: Document) -> str | None:
    f = doc.meta.get_field("naming_series")
    lines = [o for o in (f.select_options if f else ()) if o]
    return lines[0] if lines else (f.default if f and f.default else None)


def _by_naming_series(ctx: Context, doc: Document) -> Any:
    series = doc.get("naming_series")
    if series in (None, ""):
        series = _default_series(doc)
        doc._data["naming_series"] = series
    if not series:
        raise errors.ValidationError("Naming Series mandatory")
    if not isinstance(series, str):
        raise errors.InvalidNamingSeriesError(f"Invalid naming series {series!r}")
    _check_series(series)
    return render_series(doc, series, ctx.now(), _counter_text(ctx))


def _check_series(series: str) -> None:
    if not _SERIES_CHARS.match(series):
        raise errors.InvalidNamingSeriesError(
            f"Special Characters except '-', '#', '.', '/', '{{' and '}}' not allowed in naming series {series}"
        )


def _by_series(ctx: Context, doc: Document) -> Any:
    _check_series(doc.meta.autoname)
    return render_series(doc, doc.meta.autoname, ctx.now(), _counter_text(ctx))


def _by_format(ctx: Context, doc: Document) -> Any:
    pattern = doc.meta.autoname.split(":", 1)[1]
    return render_format(doc, pattern, ctx.now(), _counter_text(ctx))


def _by_prompt(ctx: Context, doc: Document) -> Any:
    name = doc._extra.get("__newname") or doc.name
    if name is None or name == "":
        raise errors.ValidationError("Please set the document name")
    return name


def _by_uuid(ctx: Context, doc: Document) -> Any:
    if doc.name is None or doc.name == "":
        return uuid7()
    try:
        return str(uuid.UUID(str(doc.name)))
    except ValueError:
        raise errors.InvalidUUIDValue(f"Invalid value specified for UUID: {doc.name}") from None


def _by_autoincrement(ctx: Context, doc: Document) -> Any:
    return next_counter(ctx, _autoincrement_key(doc.doctype))


def _by_hash(ctx: Context, doc: Document) -> Any:
    return make_hash()


NAMERS: dict[str, Callable[[Context, Document], Any]] = {
    "hash": _by_hash,
    "field": _by_field,
    "naming_series": _by_naming_series,
    "format": _by_format,
    "series": _by_series,
    "prompt": _by_prompt,
    "uuid": _by_uuid,
    "autoincrement": _by_autoincrement,
}


# -- the algorithm ---------------------------------------------------------------------------------


def _amended_name(ctx: Context, doc: Document) -> str | None:
    source = doc.get("amended_from") if "amended_from" in doc.meta.fields_by_name else None
    if not source:
        return None
    table = ctx.site.tables.get(doc.meta)
    row = ctx.conn.execute(select(table.c.amended_from).where(table.c.name == source)).first()
    if row is not None and row[0]:
        base, _, number = str(source).rpartition("-")
        if base and _DIGITS.fullmatch(number):
            return f"{base}-{int(number) + 1}"
    return f"{source}-1"


def _generated_name(ctx: Context, doc: Document) -> Any:
    """Steps 3-9 of Frappe's naming algorithm (the caller validates the result)."""
    meta = doc.meta
    rule = meta.naming_rule
    if rule == "autoincrement" and not meta.issingle:
        return _by_autoincrement(ctx, doc)
    if rule == "uuid":
        return _by_uuid(ctx, doc)
    name = _amended_name(ctx, doc)
    if name is None and meta.issingle:
        name = meta.name
    if name is None:
        doc.autoname()
        name = doc.name if doc.name not in (None, "") else None
    if name is None:
        namer = NAMERS.get(rule, _by_hash)
        name = namer(ctx, doc)
        doc.flags.name_generated = namer is _by_hash
    return name


def _name_by_rule(ctx: Context, doc: Document) -> None:
    doc.flags.name_generated = False
    doc.before_naming()
    if doc.meta.naming_rule not in ("prompt", "uuid"):
        doc._data["name"] = None
    name = _generated_name(ctx, doc)
    doc._data["name"] = name if doc.meta.naming_rule == "uuid" else validate_name(doc, name)


def _keep_given_name(ctx: Context, doc: Document) -> None:
    """v2's rule: a client name is used verbatim; an autoincrement sequence moves past it."""
    name = doc.name
    if doc.meta.naming_rule == "autoincrement":
        name = _as_sequence_number(name)
        doc._data["name"] = name
        set_counter_at_least(ctx, _autoincrement_key(doc.doctype), name)
    elif isinstance(name, str):
        _check_length(doc.doctype, name)
        check_name_characters(name)


def _as_sequence_number(name: Any) -> int:
    if isinstance(name, int) and not isinstance(name, bool):
        return name
    if isinstance(name, str) and _DIGITS.fullmatch(name.strip()):
        return int(name.strip())
    raise errors.NameError("Invalid name type (string) for integer name column")


def set_new_name(ctx: Context, doc: Document, *, set_name: Any = None) -> None:
    """Name a new document and its child rows following the DocType's ``autoname``.

    Order: a name already set (``flags.name_set``, v2) is kept; then an explicit ``set_name``
    (validated; an integer moves an autoincrement sequence); else Frappe's algorithm.
    """
    if doc.flags.name_set and doc.name not in (None, ""):
        _keep_given_name(ctx, doc)
    elif set_name is not None:
        doc._data["name"] = validate_name(doc, set_name)
        if doc.meta.naming_rule == "autoincrement" and isinstance(doc.name, int):
            set_counter_at_least(ctx, _autoincrement_key(doc.doctype), doc.name)
    else:
        _name_by_rule(ctx, doc)
    doc.flags.name_set = True
    for child in doc.all_children():
        _name_by_rule(ctx, child)
        _link_to_parent(doc, child)


def name_new_rows(ctx: Context, doc: Document) -> None:
    """Name child rows that have no name yet (on save of an existing document)."""
    for child in doc.all_children():
        if child.name in (None, ""):
            _name_by_rule(ctx, child)
            child.mark_new(True)
        _link_to_parent(doc, child)


def _link_to_parent(doc: Document, child: Document) -> None:
    child._data["parent"] = doc.name
    child._data["parenttype"] = doc.doctype


def _name_children(doc: Document) -> None:
    """Deprecated alias of :func:`name_new_rows` for callers without a context at hand."""
    name_new_rows(doc.ctx, doc)


# -- delete ----------------------------------------------------------------------------------------


def _series_of(doc: Document) -> str | None:
    rule = doc.meta.naming_rule
    if rule == "naming_series":
        series = doc.get("naming_series")
        return series if isinstance(series, str) else None
    if rule == "series":
        return doc.meta.autoname
    return None


def revert_series_if_last(ctx: Context, doc: Document) -> None:
    """Step a series counter back when the deleted document had its last number."""
    series = _series_of(doc)
    if not series or not isinstance(doc.name, str):
        return
    marker = "\x00"
    prefixes: list[str] = []

    def placeholder(prefix: str, width: int) -> str:
        prefixes.append(prefix)
        return marker

    head, _, tail = render_series(doc, series, ctx.now(), placeholder).partition(marker)
    name = doc.name
    if not prefixes or not name.startswith(head) or not name.endswith(tail):
        return
    digits = name[len(head) : len(name) - len(tail)]
    if not _DIGITS.fullmatch(digits):
        return
    table = ctx.site.tables.framework.series
    ctx.conn.execute(
        update(table)
        .where(table.c.name == head, table.c.current == int(digits))
        .values(current=table.c.current - 1)
    )
