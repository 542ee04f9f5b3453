"""Coercion: a client-sent value -> the Python value a column of the field's type stores.

Numbers follow Frappe (``"3.9"`` -> 3 for Int, ``""`` -> 0, commas are thousands separators,
Check is 0/1, Rating clamped to 0..1), dates and times are parsed into ``date``/``datetime``/
``time`` objects, JSON objects are compacted. Unlike Frappe, a value that cannot be read as its
type (``"abc"`` for an Int, ``"2024-13-45"`` for a Date, NaN or infinity for a number, an object
for a Data field, text with a NUL character) is refused with a
:class:`~docframe.errors.ValidationError` (HTTP 417) naming the field, instead of being stored as
0 or failing in the database. See ``docs/compatibility.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import orjson

from docframe import errors
from docframe.meta.schema import DocFieldDef

__all__ = ["coerce", "parse_date", "parse_datetime", "parse_time"]

_TRUE_WORDS = frozenset({"true", "yes"})
_FALSE_WORDS = frozenset({"false", "no"})


def _bad(field: DocFieldDef, value: Any, kind: str) -> errors.ValidationError:
    if isinstance(value, str):
        shown = f"'{value[:60]}'"
    elif isinstance(value, dict | list):
        shown = "an object" if isinstance(value, dict) else "a list"
    else:
        shown = repr(value)[:60]
    return errors.ValidationError(
        f"Value for {field.display_label} must be {kind}, got {shown}", title="Invalid Value"
    )


# -- numbers ---------------------------------------------------------------------------------------


def _parse_number(text: str) -> int | float:
    """``"1,234"`` -> 1234, ``"3.5"`` -> 3.5; raises ValueError for anything else."""
    cleaned = text.strip().replace(",", "")
    try:
        return int(cleaned)
    except ValueError:
        return float(cleaned)


def _to_number(field: DocFieldDef, value: Any, kind: str) -> int | float:
    """A finite int or float from a JSON value (``None`` and ``""`` are 0)."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        number: int | float = value
    elif isinstance(value, str):
        try:
            number = _parse_number(value)
        except ValueError:
            raise _bad(field, value, kind) from None
    else:
        raise _bad(field, value, kind)
    if isinstance(number, float) and not math.isfinite(number):
        raise _bad(field, value, f"{kind} (finite)")
    return number


def _to_check(field: DocFieldDef, value: Any) -> int:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return 1
        if word in _FALSE_WORDS:
            return 0
    return 1 if _to_number(field, value, "0 or 1") else 0


def _to_int(field: DocFieldDef, value: Any) -> int:
    return int(_to_number(field, value, "a whole number"))


def _to_float(field: DocFieldDef, value: Any) -> float:
    number = _to_number(field, value, "a number")
    try:
        result = float(number)
    except OverflowError:
        raise _bad(field, value, "a number of a storable size") from None
    if field.fieldtype == "Rating":
        result = min(max(result, 0.0), 1.0)
    return result


# -- dates and times -------------------------------------------------------------------------------


def parse_date(value: str) -> date:
    """Parse ``YYYY-MM-DD`` (single-digit parts and a trailing time allowed)."""
    text = value.strip().replace("T", " ").split(" ", 1)[0]
    parts = text.split("-")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
        raise ValueError(value)
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def parse_datetime(value: str, tz: tzinfo | None = None) -> datetime:
    """Parse ``YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]``; a value with an offset is moved to ``tz``.

    ``tz`` is the site's time zone (``None``: the server's local zone); the result is naive, as
    Frappe stores datetimes.
    """
    text = value.strip()
    if len(text) <= 10:
        return datetime.combine(parse_date(text), time())
    if not text[:4].isascii() or not text[:4].isdigit():
        raise ValueError(value)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(tz).replace(tzinfo=None)
        except OverflowError:
            raise ValueError(value) from None
    return parsed


def parse_time(value: str) -> time:
    """Parse ``H:MM[:SS[.ffffff]]``."""
    main, _, frac = value.strip().partition(".")
    pieces = main.split(":")
    if not 2 <= len(pieces) <= 3 or not all(p.isascii() and p.isdigit() for p in pieces):
        raise ValueError(value)
    if frac and not (frac.isascii() and frac.isdigit()):
        raise ValueError(value)
    hour, minute = int(pieces[0]), int(pieces[1])
    second = int(pieces[2]) if len(pieces) == 3 else 0
    micro = int((frac + "000000")[:6]) if frac else 0
    return time(hour, minute, second, micro)


def _to_date(field: DocFieldDef, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value)
        except ValueError:
            raise _bad(field, value, "a date (YYYY-MM-DD)") from None
    raise _bad(field, value, "a date (YYYY-MM-DD)")


def _to_datetime(field: DocFieldDef, value: Any, tz: tzinfo | None = None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, str):
        try:
            return parse_datetime(value, tz)
        except ValueError:
            raise _bad(field, value, "a date and time (YYYY-MM-DD HH:MM:SS)") from None
    raise _bad(field, value, "a date and time (YYYY-MM-DD HH:MM:SS)")


def _to_time(field: DocFieldDef, value: Any) -> time | None:
    if value is None or value == "":
        return None
    if isinstance(value, time):
        return value
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds()) % 86400
        return time(seconds // 3600, seconds % 3600 // 60, seconds % 60, value.microseconds)
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            raise _bad(field, value, "a time (HH:MM:SS)") from None
    raise _bad(field, value, "a time (HH:MM:SS)")


# -- text ------------------------------------------------------------------------------------------


def _clean_text(field: DocFieldDef, value: str) -> str:
    """Refuse text no backend can store the same way (NUL, lone surrogates)."""
    if "\x00" in value:
        raise errors.ValidationError(
            f"Value for {field.display_label} cannot contain NUL characters", title="Invalid Value"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise errors.ValidationError(
            f"Value for {field.display_label} is not valid Unicode text", title="Invalid Value"
        ) from None
    return value


def _to_json_text(field: DocFieldDef, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        try:
            return _clean_text(field, orjson.dumps(value).decode())
        except orjson.JSONEncodeError:
            raise _bad(field, value, "a JSON object of storable values") from None
    if isinstance(value, str):
        return _clean_text(field, value)
    raise _bad(field, value, "a JSON object or a JSON string")


def _to_text(field: DocFieldDef, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _clean_text(field, value.strip() if field.fieldtype == "Select" else value)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _bad(field, value, "text")
        return str(value)
    raise _bad(field, value, "text")


_COERCERS: dict[str, Callable[[DocFieldDef, Any], Any]] = {
    "Check": _to_check,
    "Int": _to_int,
    "Long Int": _to_int,
    "Float": _to_float,
    "Currency": _to_float,
    "Percent": _to_float,
    "Duration": _to_float,
    "Rating": _to_float,
    "Date": _to_date,
    "Time": _to_time,
    "JSON": _to_json_text,
}


def coerce(field: DocFieldDef, value: Any, *, tz: tzinfo | None = None) -> Any:
    """The stored form of ``value`` for ``field``; raises ValidationError (417) if it cannot be one.

    ``tz`` is the zone a Datetime sent with a UTC offset is converted to (the site's zone).
    """
    if field.fieldtype == "Datetime":
        return _to_datetime(field, value, tz)
    coercer = _COERCERS.get(field.fieldtype)
    return _to_text(field, value) if coercer is None else coercer(field, value)
