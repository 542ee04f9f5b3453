"""Naming: choose the ``name`` of a new document, one function per ``autoname`` kind.

Kinds (Frappe's): ``hash`` (10 base32hex characters, roughly time-ordered), ``autoincrement``,
``field:<fieldname>``, ``naming_series:``, ``format:<pattern>``, ``Prompt`` (the client's name),
``UUID`` (v7), dot-separated series with ``#`` counters (``SINV-.YYYY.-.####``), and "by script"
(the controller's ``autoname`` hook). Counters live in ``tabSeries`` and are incremented with an
atomic UPDATE, so concurrent inserts through several processes never hand out the same name.
"""

from __future__ import annotations

import os
import re
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from docframe import errors
from docframe.model.document import Document

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "make_hash",
    "next_counter",
    "parse_series",
    "revert_series_if_last",
    "set_new_name",
    "uuid7",
    "validate_name",
]

BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
MAX_NAME_LENGTH = 140
_SERIES_CHARS = re.compile(r"^[\w\- /.#{}]+$", re.UNICODE)
_BRACES = re.compile(r"\{([^{}]*)\}")


def make_hash(length: int = 10) -> str:
    """A name of base32hex characters: 4 from a wrapping decisecond clock, the rest random."""
    ticks = int(time.time() * 10) % (32**4)
    head = "".join(BASE32HEX[(ticks >> (5 * i)) & 31] for i in (3, 2, 1, 0))
    tail = "".join(secrets.choice(BASE32HEX) for _ in range(max(length - 4, 0)))
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


def next_counter(ctx: Context, key: str) -> int:
    """Increment and return the counter ``key`` in ``tabSeries`` (creating it at 1)."""
    series = ctx.site.tables.framework.series
    bump = update(series).where(series.c.name == bindparam("k")).values(current=series.c.current + 1)
    for _attempt in range(3):
        if ctx.conn.execute(bump, {"k": key}).rowcount:
            value = ctx.conn.execute(select(series.c.current).where(series.c.name == key)).scalar_one()
            return int(value)
        try:
            with ctx.conn.begin_nested():
                ctx.conn.execute(insert(series), {"name": key, "current": 1})
            return 1
        except IntegrityError:
            continue  # another transaction created it first: bump it instead
    raise errors.QueryTimeoutError(f"Could not allocate the next number of series {key}")


def set_counter_at_least(ctx: Context, key: str, value: int) -> None:
    """Move counter ``key`` forward to ``value`` if it is behind."""
    series = ctx.site.tables.framework.series
    current = ctx.conn.execute(select(series.c.current).where(series.c.name == key)).scalar()
    if current is None:
        ctx.conn.execute(insert(series), {"name": key, "current": value})
    elif int(current) < value:
        ctx.conn.execute(update(series).where(series.c.name == key).values(current=value))


def _date_part(part: str, today: datetime) -> str | None:
    return {
        "YY": today.strftime("%y"),
        "YYYY": today.strftime("%Y"),
        "MM": today.strftime("%m"),
        "DD": today.strftime("%d"),
        "WW": _week(today.date()),
        "timestamp": str(today),
    }.get(part)


def _week(day: date) -> str:
    year, week, _ = day.isocalendar()
    if year < day.year:
        return "00"
    if year > day.year:
        return "53"
    return f"{week:02d}"


def _doc_part(doc: Document, key: str) -> str | None:
    if key in doc._data:
        value = doc._data[key]
        if value is None:
            return ""
        if isinstance(value, str | int | float | date):
            return str(value)
        return ""
    return None


def parse_series(ctx: Context, doc: Document, series: str) -> tuple[str, str, int]:
    """Render a dot-series into ``(prefix, rendered_name, counter)``; the counter is allocated here."""
    if "#" not in series:
        series = series + ".#####"
    today = ctx.now()
    out = ""
    prefix = ""
    counter = 0
    for part in series.split("."):
        if not part:
            continue
        if part.startswith("#"):
            if not prefix and counter == 0:
                prefix = out
                counter = next_counter(ctx, prefix)
                out += str(counter).zfill(len(part))
            continue
        if part.startswith("{") and part.endswith("}"):
            out += _doc_part(doc, part[1:-1]) or ""
            continue
        rendered = _date_part(part, today)
        if rendered is None:
            rendered = _doc_part(doc, part)
        out += part if rendered is None else rendered
    return prefix, out, counter


def _format_name(ctx: Context, doc: Document, pattern: str) -> str:
    today = ctx.now()
    counters = 0

    def render(match: re.Match[str]) -> str:
        nonlocal counters
        word = match.group(1)
        if word.startswith("#"):
            counters += 1
            if counters > 1:
                raise errors.ValidationError("Only one counter ({#...}) is allowed in a format: name")
            prefix = pattern[: match.start()]
            prefix = _BRACES.sub(lambda m: _plain_part(doc, m.group(1), today), prefix)
            return str(next_counter(ctx, prefix)).zfill(len(word))
        return _plain_part(doc, word, today)

    return _BRACES.sub(render, pattern)


def _plain_part(doc: Document, word: str, today: datetime) -> str:
    rendered = _date_part(word, today)
    if rendered is not None:
        return rendered
    value = _doc_part(doc, word)
    return word if value is None else value


def validate_name(doc: Document, name: Any) -> Any:
    """Frappe's name rules: not empty, no ``<``/``>``, not the DocType's own name, at most 140 chars."""
    meta = doc.meta
    if isinstance(name, int) and not isinstance(name, bool):
        if meta.naming_rule != "autoincrement":
            raise errors.NameError("Invalid name type (integer) for varchar name column")
        return name
    if not isinstance(name, str):
        raise errors.ValidationError(f"No Name Specified for {meta.name}")
    name = name.strip()
    if not name:
        raise errors.ValidationError(f"No Name Specified for {meta.name}")
    if name.startswith(f"New {meta.name}"):
        raise errors.NameError("There were some errors setting the name, please contact the administrator")
    if name == meta.name and not meta.issingle and meta.name != "DocType":
        raise errors.NameError(f"Name of {meta.name} cannot be {name}")
    if "<" in name or ">" in name:
        raise errors.NameError("Name cannot contain special characters like '<', '>'")
    if len(name) > MAX_NAME_LENGTH:
        raise errors.ValidationError(
            f"Name is too long: {len(name)} characters, {meta.name} names may have at most {MAX_NAME_LENGTH}"
        )
    return name


def _by_field(ctx: Context, doc: Document) -> Any:
    fieldname = doc.meta.autoname.split(":", 1)[1].strip()
    value = doc.get(fieldname)
    if value is None or str(value).strip() == "":
        f = doc.meta.get_field(fieldname)
        raise errors.ValidationError(f"{f.display_label if f else fieldname} is required")
    return str(value).strip()


def _by_naming_series(ctx: Context, doc: Document) -> Any:
    series = doc.get("naming_series")
    if not series:
        f = doc.meta.get_field("naming_series")
        options = [o for o in (f.select_options if f else ()) if o]
        series = options[0] if options else None
        if series:
            doc._data["naming_series"] = series
    if not series:
        raise errors.ValidationError("Naming Series mandatory")
    _check_series(series)
    return parse_series(ctx, doc, series)[1]


def _check_series(series: str) -> None:
    if not _SERIES_CHARS.match(series):
        raise errors.InvalidNamingSeriesError(
            f"Special Characters except '-', '#', '.', '/', '{{' and '}}' not allowed in naming series {series}"
        )


def _by_series(ctx: Context, doc: Document) -> Any:
    _check_series(doc.meta.autoname)
    return parse_series(ctx, doc, doc.meta.autoname)[1]


def _by_prompt(ctx: Context, doc: Document) -> Any:
    name = doc.name or doc._extra.get("__newname")
    if not name:
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
    return next_counter(ctx, _autoincrement_key(doc))


def _autoincrement_key(doc: Document) -> str:
    return doc.meta.name.lower().replace(" ", "_") + "_id_seq"


NAMERS: dict[str, Callable[[Context, Document], Any]] = {
    "hash": lambda ctx, doc: make_hash(),
    "field": _by_field,
    "naming_series": _by_naming_series,
    "format": lambda ctx, doc: _format_name(ctx, doc, doc.meta.autoname.split(":", 1)[1]),
    "series": lambda ctx, doc: _by_series(ctx, doc),
    "prompt": _by_prompt,
    "uuid": _by_uuid,
    "autoincrement": _by_autoincrement,
}


def _amended_name(ctx: Context, doc: Document) -> str | None:
    source = doc.get("amended_from")
    if not source:
        return None
    from_meta = doc.meta
    table = ctx.site.tables.get(from_meta)
    row = ctx.conn.execute(select(table.c.amended_from).where(table.c.name == source)).first()
    if row is not None and row[0]:
        base, _, number = str(source).rpartition("-")
        if base and number.isdigit():
            return f"{base}-{int(number) + 1}"
    return f"{source}-1"


def set_new_name(ctx: Context, doc: Document, *, set_name: Any = None) -> None:
    """Name a new document (and its unnamed child rows) following the DocType's ``autoname``."""
    if doc.flags.name_set and doc.name not in (None, ""):
        _name_children(doc)
        return
    meta = doc.meta
    if set_name is not None:
        doc._data["name"] = validate_name(doc, set_name)
        if meta.naming_rule == "autoincrement" and isinstance(doc.name, int):
            set_counter_at_least(ctx, _autoincrement_key(doc), doc.name)
    else:
        doc.before_naming()
        if meta.naming_rule not in ("prompt", "uuid"):
            doc._data["name"] = None
        name: Any = None
        if meta.naming_rule == "autoincrement" and not meta.issingle:
            name = _by_autoincrement(ctx, doc)
        elif meta.naming_rule == "uuid":
            name = _by_uuid(ctx, doc)
        else:
            name = _amended_name(ctx, doc) if "amended_from" in meta.fields_by_name else None
            if name is None and meta.issingle:
                name = meta.name
            if name is None:
                doc.autoname()
                name = doc.name
            if name is None:
                name = NAMERS.get(meta.naming_rule, NAMERS["hash"])(ctx, doc)
        doc._data["name"] = name if meta.naming_rule == "uuid" else validate_name(doc, name)
    doc.flags.name_set = True
    _name_children(doc)


def _name_children(doc: Document) -> None:
    for child in doc.all_children():
        if child.is_new() or child.name in (None, ""):
            child._data["name"] = make_hash()
        child._data["parent"] = doc.name
        child._data["parenttype"] = doc.doctype


def revert_series_if_last(ctx: Context, doc: Document) -> None:
    """Step a series counter back when the deleted document had its last number."""
    meta = doc.meta
    if meta.naming_rule == "naming_series":
        series = doc.get("naming_series")
    elif meta.naming_rule == "series":
        series = meta.autoname
    else:
        return
    if not series or not isinstance(doc.name, str):
        return
    if "#" not in series:
        series += ".#####"
    head = series.split("#", 1)[0].rstrip(".")
    prefix_parts = [p for p in head.split(".") if p]
    today = ctx.now()
    prefix = "".join(_date_part(p, today) or _doc_part(doc, p.strip("{}")) or p for p in prefix_parts)
    if not doc.name.startswith(prefix):
        return
    digits = doc.name[len(prefix) :]
    if not digits.isdigit():
        return
    table = ctx.site.tables.framework.series
    current = ctx.conn.execute(select(table.c.current).where(table.c.name == prefix)).scalar()
    if current is not None and int(current) == int(digits):
        ctx.conn.execute(update(table).where(table.c.name == prefix).values(current=int(current) - 1))
